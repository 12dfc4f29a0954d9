#ifndef HANDOFF_COMMON_OUTBOX_H_
#define HANDOFF_COMMON_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/page.h"
#include "common/unit_of_work.h"

namespace handoff {

// How far behind delivery is.
struct OutboxBacklog {
  int64_t pending = 0;  // messages not yet delivered (parked ones excluded)
  int64_t parked = 0;   // messages that failed permanently and wait for an operator
  absl::Duration oldest_age = absl::ZeroDuration();  // age of the oldest pending message
};

// Where the dispatcher reads pending messages and records their fate.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Up to `limit` unparked messages, in sequence order, whose time has come.
  virtual absl::StatusOr<std::vector<OutboxMessage>> Due(absl::Time now, int limit) = 0;
  // Earliest next_attempt_time of an unparked message, if any.
  virtual absl::StatusOr<std::optional<absl::Time>> NextDue() = 0;
  virtual absl::Status MarkDelivered(int64_t sequence) = 0;
  virtual absl::Status Reschedule(int64_t sequence, absl::Time next_attempt, int attempts,
                                  int refusals, absl::string_view error) = 0;
  virtual absl::Status Park(int64_t sequence, absl::string_view error) = 0;
  virtual absl::StatusOr<OutboxBacklog> Backlog(absl::Time now) = 0;
  // Parked messages with sequence > `after`, oldest first (payload left empty).
  virtual absl::StatusOr<Page<OutboxMessage>> ListParked(int64_t after, int limit) = 0;
  // Unparks the given messages (all parked ones when `sequences` is empty) for delivery at
  // `now`; returns how many moved.
  virtual absl::StatusOr<int64_t> Requeue(const std::vector<int64_t>& sequences, absl::Time now) = 0;
};

// Delivers outbox messages with a background thread: one key's messages strictly in
// sequence order (a failed message holds back the later ones of its key), several keys at
// once, exponential back-off with jitter on retryable failures, and parking on permanent
// ones or once a message's retry budget is spent (so one message that can never succeed
// holds its key back for a bounded time, not for ever). Resumes after a restart because
// every state lives in the store.
class OutboxDispatcher {
 public:
  // Sends one message; returns the receiver's status. Must apply its own deadline.
  using Deliver = std::function<absl::Status(const OutboxMessage&)>;

  struct Options {
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(30);
    // How often the store is polled when nothing signals new work.
    absl::Duration poll_interval = absl::Seconds(1);
    int batch_size = 100;
    // Keys delivered at once (each key's messages still strictly in order).
    int parallel_keys = 16;
    // Retry budget. A message the receiver refused this many times with a retryable
    // status (FAILED_PRECONDITION, ABORTED, INTERNAL, ...) is parked. Transport failures
    // (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED: the receiver was not
    // reached or was overloaded) do not count, so an outage of the peer parks nothing.
    int max_refusals = 20;
    // A message still not delivered this long after it was queued (or requeued by
    // RetryParkedMessages) is parked, whatever failed.
    absl::Duration max_age = absl::Hours(72);
    // Called with the message and the reason each time a message is parked.
    std::function<void(const OutboxMessage&, absl::string_view)> on_park;
  };

  OutboxDispatcher(OutboxStore& store, Deliver deliver, const Clock& clock, Options options);
  ~OutboxDispatcher();

  void Start();
  // Wakes the dispatcher: new messages were committed.
  void Notify();
  // Stops after the message in flight. Idempotent.
  void Stop();

  // Whether a status means "try again later" rather than "will never succeed".
  static bool IsRetryable(const absl::Status& status);
  // Whether a retryable status means the receiver was not reached (or shed load), rather
  // than that it answered and refused.
  static bool IsTransportFailure(const absl::Status& status);

  // One delivery round over what is due now (the background thread calls it in a loop;
  // tests call it directly). Returns how long to wait before the next round.
  absl::Duration DeliverDue();

 private:
  void Loop();
  // Delivers one key's due messages in order, stopping at the first that fails.
  void DeliverChain(const std::vector<const OutboxMessage*>& chain);
  // Parks `m` with `why`, logging it and telling on_park.
  absl::Status ParkMessage(const OutboxMessage& m, const std::string& why);

  OutboxStore& store_;
  Deliver deliver_;
  const Clock& clock_;
  Options options_;
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_OUTBOX_H_
