#ifndef HANDOFF_SALES_JOBS_SERVICE_LEVEL_MONITOR_H_
#define HANDOFF_SALES_JOBS_SERVICE_LEVEL_MONITOR_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/periodic_task.h"
#include "sales-service/domain/opportunity_workflow.h"
#include "sales-service/domain/ports.h"

namespace handoff::sales {

// Runs OpportunityWorkflow::CheckServiceLevels every `interval` on its own thread, so
// breaches are announced (and reassigned) without anyone asking. Each pass is one short
// transaction per batch; `committed` is called with the pass's totals after a pass that
// changed something, so the outbox and event watchers wake up and the counters grow.
class ServiceLevelMonitor {
 public:
  // Opportunities per transaction: small, because the transaction holds sales' write lock
  // and every sales write waits for it.
  static constexpr int kBatch = 10;
  // Transactions per pass at most, so a flood cannot keep one pass going forever.
  static constexpr int kMaxRounds = 1000;

  ServiceLevelMonitor(SalesStore& store, const OpportunityWorkflow& flow, absl::Duration interval,
                      std::function<void(const ServiceLevelSweep&)> committed)
      : store_(store), flow_(flow), committed_(std::move(committed)), task_(interval, [this] { Pass(); }) {}

  void Start() { task_.Start(); }
  // Waits for a running pass to finish; idempotent.
  void Stop() { task_.Stop(); }

  // One pass: batches until none is full. Returns the totals.
  absl::StatusOr<ServiceLevelSweep> RunOnce();

 private:
  void Pass();

  SalesStore& store_;
  const OpportunityWorkflow& flow_;
  const std::function<void(const ServiceLevelSweep&)> committed_;
  PeriodicTask task_;  // last: stopped first
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_JOBS_SERVICE_LEVEL_MONITOR_H_
