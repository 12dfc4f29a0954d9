#ifndef HANDOFF_COMMON_GRPC_EVENT_STREAM_H_
#define HANDOFF_COMMON_GRPC_EVENT_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/error_details.h"
#include "common/grpc/call_limits.h"
#include "common/grpc/status.h"
#include "common/unit_of_work.h"
#include "common/worker_pool.h"

namespace handoff {

// Wakes event watchers when a transaction that appended events has committed, and once
// more when the server shuts down (then closed() is true and watchers end their streams).
class EventHub {
 public:
  using Id = uint64_t;
  // `wake(false)` after commits and at close, `wake(true)` on each heartbeat tick.
  Id Subscribe(std::function<void(bool heartbeat)> wake) {
    absl::MutexLock lock(&mu_);
    subscribers_[next_] = std::move(wake);
    return next_++;
  }
  // Marks the hub closed and wakes every watcher; later watchers see it closed at once.
  void Close() {
    closed_.store(true);
    Notify();
  }
  bool closed() const { return closed_.load(); }
  void Unsubscribe(Id id) {
    absl::MutexLock lock(&mu_);
    subscribers_.erase(id);
  }
  bool has_subscribers() {
    absl::MutexLock lock(&mu_);
    return !subscribers_.empty();
  }
  // Called after commits. Wakes run on the calling thread and must be quick.
  void Notify() {
    absl::MutexLock lock(&mu_);
    for (auto& [id, wake] : subscribers_) wake(false);
  }
  // Called every --watch_heartbeat.
  void Beat() {
    absl::MutexLock lock(&mu_);
    for (auto& [id, wake] : subscribers_) wake(true);
  }

 private:
  absl::Mutex mu_;
  Id next_ ABSL_GUARDED_BY(mu_) = 1;
  std::atomic<bool> closed_{false};
  std::map<Id, std::function<void(bool)>> subscribers_ ABSL_GUARDED_BY(mu_);
};

// A write reactor that only finishes with the status given (for refused Watch calls).
template <typename Response>
class RejectedWatch final : public grpc::ServerWriteReactor<Response> {
 public:
  void OnDone() override { delete this; }
};

// What a Watch*Events call asked for.
struct WatchRequest {
  int64_t after = 0;      // stream events with sequence > after
  bool from_now = false;  // ... or after the newest one when the call arrives
  std::vector<int> types;  // only these event types; empty = all
};

// Streams events with sequence > `after`, in order, then every new one as it commits,
// until the client cancels; events whose type is not in `types` (when given) are skipped.
// A stream that wrote nothing between two heartbeat ticks writes a heartbeat: a Response
// without event whose heartbeat_sequence is the newest sequence it has passed. Reads at most kBatch events at a time and
// reads the next batch only after the previous one was written, so a slow subscriber costs
// a bounded buffer and never holds up writers.
//
// Response must have `mutable_event()` returning a message with `set_sequence(int64)` and
// `type()`, and `set_heartbeat_sequence(int64)`; the stored payload is parsed into the event.
template <typename Response>
class EventWatchReactor final : public grpc::ServerWriteReactor<Response> {
 public:
  using ReadEvents = std::function<absl::StatusOr<std::vector<EventRecord>>(int64_t after, int limit)>;
  static constexpr int kBatch = 100;

  // `slot` (may be null) is this stream's place among its connection's Watch streams,
  // given back when the stream is done.
  EventWatchReactor(int64_t after, std::vector<int> types, WorkerPool& pool, EventHub& hub, ReadEvents read,
                    std::unique_ptr<CallLimits::WatchSlot> slot = nullptr)
      : after_(after),
        types_(std::move(types)),
        pool_(pool),
        hub_(hub),
        read_(std::move(read)),
        slot_(std::move(slot)) {
    hub_id_ = hub_.Subscribe([this](bool heartbeat) { heartbeat ? Beat() : Wake(); });
    Wake();
  }

  void OnWriteDone(bool ok) override {
    Step([this, ok]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      writing_ = false;
      if (!ok) Fail(grpc::Status(grpc::StatusCode::CANCELLED, "stream closed by the client"));
    });
  }

  void OnCancel() override {
    Step([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      Fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
    });
  }

  void OnDone() override {
    hub_.Unsubscribe(hub_id_);
    slot_.reset();
    Release();  // gRPC's reference; a fetch still on the pool holds its own
  }

 private:
  enum class Action { kNone, kWrite, kFetch, kFinish };

  // Called by the hub after a commit, or when it closes at shutdown.
  void Wake() {
    Step([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (hub_.closed()) {
        Fail(CallerError(WithReason(
            absl::UnavailableError(
                "server shutting down: reconnect elsewhere and resume after the last sequence received"),
            reason::kShuttingDown)));
        return;
      }
      more_ = true;
    });
  }

  // A heartbeat tick: an idle stream that wrote nothing since the last tick sends one.
  void Beat() {
    Step([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (!wrote_since_beat_) beat_due_ = true;
      wrote_since_beat_ = false;
    });
  }

  // Applies `change` under the lock, decides what to do next, and does it outside the lock
  // (gRPC may run reactions inline).
  template <typename Change>
  void Step(Change change) {
    Action action;
    grpc::Status final_status;
    {
      absl::MutexLock lock(&mu_);
      change();
      action = Decide();
      if (action == Action::kFinish) final_status = finish_status_;
    }
    Perform(action, final_status);
  }

  Action Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_ || fetching_) return Action::kNone;
    if (!finish_status_.ok()) {
      finished_ = true;
      return Action::kFinish;
    }
    while (!pending_.empty()) {
      EventRecord e = std::move(pending_.front());
      pending_.pop_front();
      response_.Clear();
      if (!response_.mutable_event()->ParseFromString(e.payload)) {
        finish_status_ = grpc::Status(grpc::StatusCode::DATA_LOSS,
                                      absl::StrCat("event ", e.sequence, " cannot be parsed"));
        finished_ = true;
        return Action::kFinish;
      }
      if (!types_.empty() &&
          std::find(types_.begin(), types_.end(), static_cast<int>(response_.event().type())) == types_.end()) {
        continue;  // filtered out; a heartbeat tells the caller how far the stream got
      }
      response_.mutable_event()->set_sequence(e.sequence);
      writing_ = true;
      wrote_since_beat_ = true;
      beat_due_ = false;
      return Action::kWrite;
    }
    if (more_) {
      more_ = false;
      fetching_ = true;
      ++refs_;
      return Action::kFetch;
    }
    if (beat_due_) {
      beat_due_ = false;
      response_.Clear();
      response_.set_heartbeat_sequence(after_);
      writing_ = true;
      return Action::kWrite;
    }
    return Action::kNone;  // idle until the hub wakes us
  }

  void Perform(Action action, const grpc::Status& final_status) {
    switch (action) {
      case Action::kNone:
        return;
      case Action::kWrite:
        this->StartWrite(&response_);
        return;
      case Action::kFinish:
        this->Finish(final_status);
        return;
      case Action::kFetch:
        if (!pool_.TrySubmit([this] { Fetch(); })) {
          Step([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            fetching_ = false;
            --refs_;  // never reaches zero here: gRPC's reference is held until OnDone
            Fail(CallerError(WithReason(absl::ResourceExhaustedError("server busy; resume from the last sequence later"),
                                        reason::kServerBusy)));
          });
        }
        return;
    }
  }

  void Fetch() {
    absl::StatusOr<std::vector<EventRecord>> events = read_(after_, kBatch);
    Step([this, &events]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      fetching_ = false;
      if (!events.ok()) {
        Fail(ToCallerStatus(events.status(), "event stream"));
        return;
      }
      for (EventRecord& e : *events) pending_.push_back(std::move(e));
      if (!pending_.empty()) after_ = pending_.back().sequence;
      if (static_cast<int>(events->size()) == kBatch) more_ = true;
    });
    Release();
  }

  void Fail(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_status_.ok()) finish_status_ = std::move(status);
    pending_.clear();
  }

  void Release() {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

  int64_t after_;  // the newest sequence read; written under mu_ by Fetch's Step
  const std::vector<int> types_;
  WorkerPool& pool_;
  EventHub& hub_;
  ReadEvents read_;
  std::unique_ptr<CallLimits::WatchSlot> slot_;  // touched only by gRPC's reactions
  EventHub::Id hub_id_ = 0;
  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, dropped in OnDone
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool more_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool beat_due_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_since_beat_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  std::deque<EventRecord> pending_ ABSL_GUARDED_BY(mu_);
  Response response_;
};

// Serves a Watch*Events call: refuses a negative `after`, from_now with an after_sequence,
// or an unknown event type (INVALID_ARGUMENT; `type_valid` says which are known), a caller
// over its rate limit and a connection with all its Watch slots taken
// (RESOURCE_EXHAUSTED); otherwise streams from `after` (or from the newest event, found
// with `latest`) on.
template <typename Response>
grpc::ServerWriteReactor<Response>* StartWatch(grpc::CallbackServerContext* context, WatchRequest request,
                                               WorkerPool& pool, EventHub& hub, CallLimits& limits,
                                               typename EventWatchReactor<Response>::ReadEvents read,
                                               const std::function<absl::StatusOr<int64_t>()>& latest,
                                               const std::function<bool(int)>& type_valid) {
  grpc::Status refused;
  std::unique_ptr<CallLimits::WatchSlot> slot;
  if (request.after < 0) {
    refused = CallerError(absl::InvalidArgumentError("after_sequence must not be negative"));
  } else if (request.from_now && request.after != 0) {
    refused = CallerError(absl::InvalidArgumentError(
        "from_now: give either from_now or after_sequence, not both"));
  }
  for (int type : request.types) {
    if (refused.ok() && (type == 0 || !type_valid(type))) {
      refused = CallerError(absl::InvalidArgumentError(absl::StrCat("event_types: ", type, " is not an event type")));
    }
  }
  if (refused.ok()) refused = limits.Admit(*context);
  if (refused.ok() && request.from_now) {
    absl::StatusOr<int64_t> newest = latest();
    if (newest.ok()) {
      request.after = *newest;
    } else {
      refused = ToCallerStatus(newest.status(), "event stream");
    }
  }
  if (refused.ok()) slot = limits.AcquireWatch(*context, &refused);
  if (!refused.ok()) {
    auto* reactor = new RejectedWatch<Response>();
    reactor->Finish(refused);
    return reactor;
  }
  return new EventWatchReactor<Response>(request.after, std::move(request.types), pool, hub, std::move(read),
                                         std::move(slot));
}

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_EVENT_STREAM_H_
