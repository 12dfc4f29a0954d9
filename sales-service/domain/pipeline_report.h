#ifndef HANDOFF_SALES_DOMAIN_PIPELINE_REPORT_H_
#define HANDOFF_SALES_DOMAIN_PIPELINE_REPORT_H_

#include <array>
#include <cstdint>
#include <vector>

#include "sales-service/domain/opportunity_workflow.h"
#include "sales-service/storage/sales_store.h"

namespace handoff::sales {

struct StageLine {
  int64_t count = 0;
  int64_t amount_minor = 0;
  int64_t weighted_minor = 0;  // amount * stage probability / 100, rounded down
};

struct PipelineReport {
  std::array<StageLine, kStageMax + 1> stages{};
  int64_t win_rate_basis_points = 0;  // won / (won + lost) * 10000
  int64_t average_deal_minor = 0;     // won amount / won count
};

// Derives the report from per-stage totals (index = Stage value).
PipelineReport BuildPipelineReport(const std::vector<StageTotals>& totals,
                                   const OpportunityWorkflow& rules);

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_PIPELINE_REPORT_H_
