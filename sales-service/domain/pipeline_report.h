#ifndef HANDOFF_SALES_DOMAIN_PIPELINE_REPORT_H_
#define HANDOFF_SALES_DOMAIN_PIPELINE_REPORT_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sales-service/domain/opportunity_workflow.h"
#include "sales-service/domain/ports.h"

namespace handoff::sales {

struct StageLine {
  int64_t count = 0;
  int64_t amount_minor = 0;
  int64_t weighted_minor = 0;  // amount * stage probability / 100, rounded down
};

struct PipelineFigures {
  std::array<StageLine, kStageMax + 1> stages{};  // index = Stage value
  int64_t win_rate_basis_points = 0;              // won / (won + lost) * 10000
  int64_t average_deal_minor = 0;                 // won amount / won count
  absl::Duration average_sales_cycle;             // mean close - create of won deals, whole seconds
};

struct PipelineReport {
  PipelineFigures overall;
  std::vector<std::pair<std::string, PipelineFigures>> by_rep;  // in the order of rep_ids
};

// Overall figures from every row; one entry per id in `rep_ids` from that rep's rows.
// OUT_OF_RANGE when the rows' amounts sum to more than kMaxTotalMinor (a figure could
// overflow).
absl::StatusOr<PipelineReport> BuildPipelineReport(const std::vector<PipelineRow>& rows,
                                   const std::vector<std::string>& rep_ids,
                                   const OpportunityWorkflow& rules);

struct ForecastFigures {
  int64_t won_minor = 0;
  int64_t won_count = 0;
  int64_t pipeline_minor = 0;   // open, expected in the period
  int64_t open_count = 0;
  int64_t weighted_minor = 0;   // won + per stage floor(open amount * probability / 100)
  int64_t committed_minor = 0;  // won + committed open amounts
};

struct ForecastReport {
  ForecastFigures overall;
  std::vector<std::pair<std::string, ForecastFigures>> by_rep;
};

// As BuildPipelineReport, for the forecast.
absl::StatusOr<ForecastReport> BuildForecast(const std::vector<ForecastRow>& rows,
                             const std::vector<std::string>& rep_ids,
                             const OpportunityWorkflow& rules);

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_PIPELINE_REPORT_H_
