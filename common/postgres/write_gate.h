#ifndef HANDOFF_COMMON_POSTGRES_WRITE_GATE_H_
#define HANDOFF_COMMON_POSTGRES_WRITE_GATE_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace handoff::postgres {

// Admits a process's write transactions: up to `writers` side by side, or one alone. A
// transaction that failed to serialize against this process's others runs again alone, so
// the second run cannot collide with them (only with other replicas'); while one waits to
// run alone no new transaction is let in, so it waits only for those already running.
class WriteGate {
 public:
  explicit WriteGate(int writers) : writers_(writers < 1 ? 1 : writers) {}
  WriteGate(const WriteGate&) = delete;
  WriteGate& operator=(const WriteGate&) = delete;

  // Waits at most `timeout` to be let in; false when it was not. Each true is followed by
  // one Leave with the same `alone`.
  bool Enter(bool alone, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (!alone) {
      const auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !alone_ && waiting_alone_ == 0 && running_ < writers_;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&free), timeout)) return false;
      ++running_;
      return true;
    }
    ++waiting_alone_;
    const auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !alone_ && running_ == 0; };
    const bool in = mu_.AwaitWithTimeout(absl::Condition(&empty), timeout);
    --waiting_alone_;
    if (in) alone_ = true;
    return in;
  }

  void Leave(bool alone) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (alone) {
      alone_ = false;
    } else {
      --running_;
    }
  }

  int writers() const { return writers_; }

 private:
  const int writers_;
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool alone_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_alone_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace handoff::postgres

#endif  // HANDOFF_COMMON_POSTGRES_WRITE_GATE_H_
