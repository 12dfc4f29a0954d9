#include "sales-service/domain/pipeline_report.h"

namespace handoff::sales {

PipelineReport BuildPipelineReport(const std::vector<StageTotals>& totals,
                                   const OpportunityWorkflow& rules) {
  PipelineReport r;
  for (int stage = 1; stage <= kStageMax && stage < static_cast<int>(totals.size()); ++stage) {
    StageLine& line = r.stages[stage];
    line.count = totals[stage].count;
    line.amount_minor = totals[stage].amount_minor;
    line.weighted_minor = static_cast<int64_t>(
        static_cast<__int128>(line.amount_minor) * rules.Probability(static_cast<Stage>(stage)) / 100);
  }
  const StageLine& won = r.stages[static_cast<int>(Stage::kClosedWon)];
  const StageLine& lost = r.stages[static_cast<int>(Stage::kClosedLost)];
  if (won.count + lost.count > 0) r.win_rate_basis_points = won.count * 10000 / (won.count + lost.count);
  if (won.count > 0) r.average_deal_minor = won.amount_minor / won.count;
  return r;
}

}  // namespace handoff::sales
