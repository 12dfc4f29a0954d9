#include "marketing-service/domain/funnel_report.h"

#include <algorithm>
#include <set>

namespace handoff::marketing {

absl::StatusOr<FunnelReport> ReadFunnel(MarketingTx& tx) {
  absl::StatusOr<FunnelCounts> counts = tx.GetFunnelCounts();
  if (!counts.ok()) return counts.status();
  FunnelReport r;
  for (int s = 1; s <= kLifecycleStageMax; ++s) {
    r.stages[s].now = counts->current[s];
    r.stages[s].ever_entered = counts->ever_entered[s];
    if (counts->stays[s] == 0) continue;
    // The lower middle one for an even count, as BuildFunnel.
    absl::StatusOr<absl::Duration> median =
        tx.NthShortestStay(static_cast<LifecycleStage>(s), (counts->stays[s] - 1) / 2);
    if (!median.ok()) return median.status();
    r.stages[s].median_time = *median;
  }
  for (const FunnelCounts::Step& step : counts->steps) {
    const int64_t entered = counts->ever_entered[static_cast<int>(step.from)];
    r.conversions.push_back({step.from, step.to, entered, step.converted,
                             entered > 0 ? step.converted * 10000 / entered : 0});
  }
  return r;
}

FunnelReport BuildFunnel(const std::vector<LeadStageChange>& history,
                         const std::array<int64_t, kLifecycleStageMax + 1>& now) {
  FunnelReport r;
  std::array<std::vector<absl::Duration>, kLifecycleStageMax + 1> stays;
  // For conversions: which stages each lead ever entered, and when first.
  constexpr std::pair<LifecycleStage, LifecycleStage> kPath[] = {
      {LifecycleStage::kLead, LifecycleStage::kMql},
      {LifecycleStage::kMql, LifecycleStage::kSalesAccepted},
      {LifecycleStage::kSalesAccepted, LifecycleStage::kCustomer}};
  std::array<int64_t, 3> entered{}, converted{};

  size_t i = 0;
  while (i < history.size()) {
    size_t end = i;
    while (end < history.size() && history[end].lead_id == history[i].lead_id) ++end;
    std::array<std::optional<absl::Time>, kLifecycleStageMax + 1> first_entry;
    std::set<int> seen;
    for (size_t k = i; k < end; ++k) {
      const int stage = static_cast<int>(history[k].stage);
      if (stage <= 0 || stage > kLifecycleStageMax) continue;
      if (seen.insert(stage).second) ++r.stages[stage].ever_entered;
      if (!first_entry[stage]) first_entry[stage] = history[k].time;
      if (k + 1 < end) stays[stage].push_back(history[k + 1].time - history[k].time);
    }
    for (size_t p = 0; p < 3; ++p) {
      const auto& from = first_entry[static_cast<int>(kPath[p].first)];
      if (!from) continue;
      ++entered[p];
      // Converted: entered the next stage at or after first entering this one.
      bool reached = false;
      for (size_t k = i; k < end; ++k) {
        if (history[k].stage == kPath[p].second && history[k].time >= *from) reached = true;
      }
      if (reached) ++converted[p];
    }
    i = end;
  }
  for (int s = 1; s <= kLifecycleStageMax; ++s) {
    r.stages[s].now = now[s];
    if (stays[s].empty()) continue;
    std::vector<absl::Duration>& d = stays[s];
    const size_t mid = (d.size() - 1) / 2;  // lower middle for an even count
    std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(mid), d.end());
    r.stages[s].median_time = d[mid];
  }
  for (size_t p = 0; p < 3; ++p) {
    r.conversions.push_back({kPath[p].first, kPath[p].second, entered[p], converted[p],
                             entered[p] > 0 ? converted[p] * 10000 / entered[p] : 0});
  }
  return r;
}

}  // namespace handoff::marketing
