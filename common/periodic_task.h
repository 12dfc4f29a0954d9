#ifndef HANDOFF_COMMON_PERIODIC_TASK_H_
#define HANDOFF_COMMON_PERIODIC_TASK_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace handoff {

// Runs `run` on its own thread right after Start() and then every `interval` until Stop().
class PeriodicTask {
 public:
  PeriodicTask(absl::Duration interval, std::function<void()> run)
      : interval_(interval), run_(std::move(run)) {}
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Start() {
    thread_ = std::thread([this] {
      absl::MutexLock lock(&mu_);
      while (!stopping_) {
        mu_.Unlock();
        run_();
        mu_.Lock();
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      }
    });
  }

  // Waits for a running `run` to return; idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  const absl::Duration interval_;
  const std::function<void()> run_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_PERIODIC_TASK_H_
