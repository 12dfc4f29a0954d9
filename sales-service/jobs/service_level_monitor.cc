#include "sales-service/jobs/service_level_monitor.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace handoff::sales {

absl::StatusOr<ServiceLevelSweep> ServiceLevelMonitor::RunOnce() {
  ServiceLevelSweep total;
  // Bounded, so a flood of breaches cannot keep the pass (and the write lock) forever.
  for (int round = 0; round < kMaxRounds; ++round) {
    ServiceLevelSweep pass;
    absl::Status s = store_.Run([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<ServiceLevelSweep> r = flow_.CheckServiceLevels(tx, kBatch);
      if (!r.ok()) return r.status();
      pass = *r;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    total.assigned += pass.assigned;
    total.accept_breaches += pass.accept_breaches;
    total.first_touch_breaches += pass.first_touch_breaches;
    total.reassigned += pass.reassigned;
    if (!pass.more) break;
  }
  return total;
}

void ServiceLevelMonitor::Pass() {
  absl::StatusOr<ServiceLevelSweep> r = RunOnce();
  if (!r.ok()) {
    LogWarning("sla-monitor", absl::StrCat("service-level check failed (retrying): ", r.status().ToString()));
  } else if (r->assigned + r->accept_breaches + r->first_touch_breaches + r->reassigned > 0) {
    LogInfo("sla-monitor", absl::StrCat("assigned ", r->assigned, " waiting, announced ", r->accept_breaches,
                                        " accept and ", r->first_touch_breaches,
                                        " first-touch breaches, reassigned ", r->reassigned));
    committed_(*r);
  }
}

}  // namespace handoff::sales
