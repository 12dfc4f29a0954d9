#ifndef HANDOFF_SALES_JOBS_SERVICE_LEVEL_MONITOR_H_
#define HANDOFF_SALES_JOBS_SERVICE_LEVEL_MONITOR_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sales-service/domain/opportunity_workflow.h"
#include "sales-service/storage/sales_store.h"

namespace handoff::sales {

// Runs OpportunityWorkflow::CheckServiceLevels every `interval` on its own thread, so
// breaches are announced (and reassigned) without anyone asking. Each pass is one short
// transaction per batch; `committed` is called after a pass that changed something so the
// outbox and event watchers wake up.
class ServiceLevelMonitor {
 public:
  static constexpr int kBatch = 100;

  ServiceLevelMonitor(SalesStore& store, const OpportunityWorkflow& flow, absl::Duration interval,
                      std::function<void()> committed)
      : store_(store), flow_(flow), interval_(interval), committed_(std::move(committed)) {}
  ~ServiceLevelMonitor() { Stop(); }
  ServiceLevelMonitor(const ServiceLevelMonitor&) = delete;
  ServiceLevelMonitor& operator=(const ServiceLevelMonitor&) = delete;

  void Start();
  // Waits for a running pass to finish; idempotent.
  void Stop();

  // One pass: batches until none is full. Returns the totals.
  absl::StatusOr<ServiceLevelSweep> RunOnce();

 private:
  void Loop();

  SalesStore& store_;
  const OpportunityWorkflow& flow_;
  const absl::Duration interval_;
  const std::function<void()> committed_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_JOBS_SERVICE_LEVEL_MONITOR_H_
