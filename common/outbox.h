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

// A dispatcher's claim on the keys it is about to deliver. Any number of dispatchers (one
// per replica) may share one outbox: each claims keys before it sends their messages, so
// no key is sent by two at once and each key's messages still go in order.
struct OutboxClaim {
  std::string owner;        // the dispatcher (process) claiming, for operators
  int64_t token = 0;        // unique to this claim; records are fenced by it
  absl::Time now;           // messages due by now are claimed
  absl::Time lease_until;   // others may take the keys over from then on
  int limit = 100;          // messages at most
};

// Which claim a record is made under, and whether it ends that claim on its key.
struct OutboxFence {
  std::string key;
  int64_t token = 0;
  bool release = false;
};

// Where the dispatcher reads pending messages and records their fate.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Claims the keys whose earliest unparked message is due (by `claim.now`) and that no
  // other claim holds within its lease, and returns up to `claim.limit` of their due
  // messages in sequence order: for each key a prefix of its messages, stopping at the
  // first one not yet due. Reads only due messages, however long the backlog behind them.
  virtual absl::StatusOr<std::vector<OutboxMessage>> Claim(const OutboxClaim& claim) = 0;
  // The records below happen only under a claim that is still the key's (`fence.token`):
  // ABORTED when another dispatcher has taken the key over (the lease ran out), so a
  // dispatcher that stalled past its lease changes nothing. With `fence.release` the claim
  // on the key ends in the same transaction.
  virtual absl::Status MarkDelivered(int64_t sequence, const OutboxFence& fence) = 0;
  virtual absl::Status Reschedule(int64_t sequence, absl::Time next_attempt, int attempts, int refusals,
                                  absl::string_view error, const OutboxFence& fence) = 0;
  virtual absl::Status Park(int64_t sequence, absl::string_view error, const OutboxFence& fence) = 0;
  // Ends the claim `token` holds on each of `keys` (those it sent nothing more for), so
  // another round or replica may take them at once.
  virtual absl::Status Release(const std::vector<std::string>& keys, int64_t token) = 0;
  virtual absl::StatusOr<OutboxBacklog> Backlog(absl::Time now) = 0;
  // Parked messages with sequence > `after`, oldest first (payload left empty).
  virtual absl::StatusOr<Page<OutboxMessage>> ListParked(int64_t after, int limit) = 0;
  // Unparks the given messages (all parked ones when `sequences` is empty) for delivery at
  // `now`, and appends `audit` (the operator's call) in the same transaction; returns how
  // many moved.
  virtual absl::StatusOr<int64_t> Requeue(const std::vector<int64_t>& sequences, absl::Time now,
                                          const AuditRecord& audit) = 0;
};

// Delivers outbox messages with a background thread: one key's messages strictly in
// sequence order (a failed message holds back the later ones of its key), several keys at
// once, exponential back-off with jitter on retryable failures, and parking on permanent
// ones or once a message's retry budget is spent (so one message that can never succeed
// holds its key back for a bounded time, not for ever). Resumes after a restart because
// every state lives in the store.
//
// Several dispatchers may share one store (replicas on one PostgreSQL): each round claims
// its keys for `lease` (OutboxStore::Claim), sends a message only while the lease has at
// least `send_timeout` left, and ends each key's claim with the record of its last
// message. A dispatcher killed mid-round holds its keys until the lease runs out; then
// another carries on (the receiver de-duplicates by message_id a message sent twice).
//
// Every message goes to one peer, so a transport failure (the peer is down) holds the
// whole dispatcher back for the failed message's back-off: while the peer is down, a
// commit's wake-up costs no read of the outbox.
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
    // Told after a delivery is recorded, with the time since the message was queued; and
    // after a failed attempt is rescheduled, with the failure (for metrics).
    std::function<void(const OutboxMessage&, absl::Duration)> on_delivered;
    std::function<void(const OutboxMessage&, const absl::Status&)> on_retry;
    // How long a round's claim on its keys lasts, and the longest one send may take (the
    // deadline Deliver applies). A message is sent only while the claim has send_timeout
    // left, so lease must be longer than send_timeout.
    absl::Duration lease = absl::Seconds(10);
    absl::Duration send_timeout = absl::Seconds(5);
    // While the peer is unreachable, rounds are replaced by probes (one message) spaced
    // initial_backoff, doubling up to this.
    absl::Duration max_probe_interval = absl::Seconds(5);
    // Names this dispatcher in its claims; empty = host, process id and a random suffix.
    std::string owner;
    // How log lines name the receiver, e.g. "sales-service at dns:///sales:50052".
    std::string peer = "the peer";
    // A receiver that cannot be reached is logged (a warning) when delivery first fails to
    // reach it, again this often while it stays unreachable, each time with the backlog
    // waiting for it, and once more (info) when it is reached again.
    absl::Duration unreachable_log_interval = absl::Minutes(1);
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
  // What one key's chain left behind for the next round.
  struct ChainResult {
    absl::Time retry_at = absl::InfiniteFuture();  // a message of it was rescheduled to then
    bool peer_down = false;                        // it failed to reach the peer
    absl::Status peer_error;                       // how, when it did
    absl::Duration peer_asked = absl::ZeroDuration();  // the wait the peer asked for (RetryInfo)
    bool cut_short = false;                        // the claim ran low with messages left
    bool holds_claim = false;                      // no record ended its claim on the key
  };

  void Loop();
  // Delivers one key's claimed messages in order, stopping at the first that fails or when
  // the claim (valid until `deadline`) has no room for another send.
  ChainResult DeliverChain(const std::vector<const OutboxMessage*>& chain, int64_t token, absl::Time deadline);
  // Logs that the peer went down, is still down or came back (`what`), with the backlog.
  void LogPeerState(absl::string_view what, absl::Time now, bool down);
  // Parks `m` with `why`, logging it and telling on_park.
  absl::Status ParkMessage(const OutboxMessage& m, const std::string& why, const OutboxFence& fence);

  OutboxStore& store_;
  Deliver deliver_;
  const Clock& clock_;
  Options options_;
  const std::string owner_;
  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // While the peer is unreachable: no round before this time, and how many rounds in a
  // row failed to reach it.
  absl::Time peer_down_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int peer_down_rounds_ ABSL_GUARDED_BY(mu_) = 0;
  // Since when the peer has been unreachable, and when to say it is still.
  absl::Time peer_down_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_down_log_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::thread thread_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_OUTBOX_H_
