#ifndef HANDOFF_MARKETING_DOMAIN_FUNNEL_REPORT_H_
#define HANDOFF_MARKETING_DOMAIN_FUNNEL_REPORT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "marketing-service/domain/model.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// One row of stage history.
struct LeadStageChange {
  std::string lead_id;
  LifecycleStage stage = LifecycleStage::kUnspecified;
  absl::Time time;
};

struct FunnelStage {
  int64_t now = 0;
  int64_t ever_entered = 0;
  std::optional<absl::Duration> median_time;  // over stays that ended
};

struct FunnelConversion {
  LifecycleStage from;
  LifecycleStage to;
  int64_t entered = 0;
  int64_t converted = 0;
  int64_t rate_basis_points = 0;
};

struct FunnelReport {
  std::array<FunnelStage, kLifecycleStageMax + 1> stages{};  // index = stage
  std::vector<FunnelConversion> conversions;  // LEAD->MQL, MQL->SALES_ACCEPTED, SALES_ACCEPTED->CUSTOMER
};

// The funnel from the projection the store keeps (GetFunnelCounts), medians included:
// what BuildFunnel computes from the whole history, at a cost that does not grow with it.
absl::StatusOr<FunnelReport> ReadFunnel(MarketingTx& tx);

// The definition: the funnel from the whole history. `history` grouped by lead, each
// lead's changes in order; `now` counts per stage.
FunnelReport BuildFunnel(const std::vector<LeadStageChange>& history,
                         const std::array<int64_t, kLifecycleStageMax + 1>& now);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_FUNNEL_REPORT_H_
