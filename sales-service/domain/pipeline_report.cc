#include "sales-service/domain/pipeline_report.h"

#include <type_traits>

#include "absl/strings/str_cat.h"
#include "common/validation.h"

namespace handoff::sales {
namespace {

int64_t Weighted(int64_t amount_minor, int percent) {
  return static_cast<int64_t>(static_cast<__int128>(amount_minor) * percent / 100);
}

bool Matches(const std::string& rep_id, const std::string& row_rep) {
  return rep_id.empty() || rep_id == row_rep;
}

// Every figure of a report sums a subset of its rows, so when the amounts of all rows fit
// within kMaxTotalMinor, no figure can overflow.
template <typename Row>
absl::Status CheckTotal(const std::vector<Row>& rows) {
  __int128 total = 0;
  for (const Row& r : rows) total += r.amount_minor;
  if (total > kMaxTotalMinor) {
    return absl::OutOfRangeError(absl::StrCat(
        "the opportunities of this report sum to more than ", kMaxTotalMinor,
        " minor units; ask for a narrower period or one rep"));
  }
  return absl::OkStatus();
}

// Figures from the rows of `rep_id` (empty: all rows).
template <typename Row>
std::array<Row, kStageMax + 1> SumByStage(const std::vector<Row>& rows, const std::string& rep_id) {
  std::array<Row, kStageMax + 1> by_stage{};
  for (const Row& r : rows) {
    const int stage = static_cast<int>(r.stage);
    if (stage < 1 || stage > kStageMax || !Matches(rep_id, r.rep_id)) continue;
    Row& sum = by_stage[stage];
    sum.count += r.count;
    sum.amount_minor += r.amount_minor;
    if constexpr (std::is_same_v<Row, PipelineRow>) {
      sum.cycle_micros_sum += r.cycle_micros_sum;
    } else {
      sum.committed_minor += r.committed_minor;
    }
  }
  return by_stage;
}

PipelineFigures Pipeline(const std::vector<PipelineRow>& rows, const std::string& rep_id,
                         const OpportunityWorkflow& rules) {
  const std::array<PipelineRow, kStageMax + 1> sums = SumByStage(rows, rep_id);
  PipelineFigures f;
  for (int stage = 1; stage <= kStageMax; ++stage) {
    StageLine& line = f.stages[stage];
    line.count = sums[stage].count;
    line.amount_minor = sums[stage].amount_minor;
    line.weighted_minor = Weighted(line.amount_minor, rules.Probability(static_cast<Stage>(stage)));
  }
  const PipelineRow& won = sums[static_cast<int>(Stage::kClosedWon)];
  const PipelineRow& lost = sums[static_cast<int>(Stage::kClosedLost)];
  if (won.count + lost.count > 0) f.win_rate_basis_points = won.count * 10000 / (won.count + lost.count);
  if (won.count > 0) {
    f.average_deal_minor = won.amount_minor / won.count;
    f.average_sales_cycle = absl::Seconds(won.cycle_micros_sum / won.count / 1'000'000);
  }
  return f;
}

ForecastFigures Forecast(const std::vector<ForecastRow>& rows, const std::string& rep_id,
                         const OpportunityWorkflow& rules) {
  const std::array<ForecastRow, kStageMax + 1> sums = SumByStage(rows, rep_id);
  ForecastFigures f;
  const ForecastRow& won = sums[static_cast<int>(Stage::kClosedWon)];
  f.won_minor = won.amount_minor;
  f.won_count = won.count;
  f.weighted_minor = f.committed_minor = f.won_minor;
  for (int stage = 1; stage < static_cast<int>(Stage::kClosedWon); ++stage) {
    const ForecastRow& open = sums[stage];
    f.open_count += open.count;
    f.pipeline_minor += open.amount_minor;
    f.weighted_minor += Weighted(open.amount_minor, rules.Probability(static_cast<Stage>(stage)));
    f.committed_minor += open.committed_minor;
  }
  return f;
}

// Overall figures, then one entry per rep, each from `figures(rows, rep_id, rules)`.
template <typename Report, typename Row, typename Figures>
absl::StatusOr<Report> Build(const std::vector<Row>& rows, const std::vector<std::string>& rep_ids,
                             const OpportunityWorkflow& rules, Figures figures) {
  if (absl::Status s = CheckTotal(rows); !s.ok()) return s;
  Report report;
  report.overall = figures(rows, "", rules);
  for (const std::string& id : rep_ids) report.by_rep.emplace_back(id, figures(rows, id, rules));
  return report;
}

}  // namespace

absl::StatusOr<PipelineReport> BuildPipelineReport(const std::vector<PipelineRow>& rows,
                                   const std::vector<std::string>& rep_ids,
                                   const OpportunityWorkflow& rules) {
  return Build<PipelineReport>(rows, rep_ids, rules, Pipeline);
}

absl::StatusOr<ForecastReport> BuildForecast(const std::vector<ForecastRow>& rows,
                             const std::vector<std::string>& rep_ids,
                             const OpportunityWorkflow& rules) {
  return Build<ForecastReport>(rows, rep_ids, rules, Forecast);
}

}  // namespace handoff::sales
