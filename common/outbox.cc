#include "common/outbox.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace handoff {

// ---- OutboxDispatcher ----

OutboxDispatcher::OutboxDispatcher(OutboxStore& store, Deliver deliver, const Clock& clock,
                                   Options options)
    : store_(store), deliver_(std::move(deliver)), clock_(clock), options_(options) {}

OutboxDispatcher::~OutboxDispatcher() { Stop(); }

void OutboxDispatcher::Start() { thread_ = std::thread([this] { Loop(); }); }

void OutboxDispatcher::Notify() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void OutboxDispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool OutboxDispatcher::IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return false;
    default:
      // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN,
      // and FAILED_PRECONDITION (the receiver may not yet have seen an earlier change).
      return true;
  }
}

bool OutboxDispatcher::IsTransportFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

absl::Status OutboxDispatcher::ParkMessage(const OutboxMessage& m, const std::string& why) {
  LogError("outbox", absl::StrCat("message ", m.message_id, " (", m.topic, ", key ", m.key,
                                  ") parked: ", why, "; later messages of its key go on, and "
                                  "RetryParkedMessages sends it again"));
  absl::Status s = store_.Park(m.sequence, why);
  if (s.ok() && options_.on_park) options_.on_park(m, why);
  return s;
}

void OutboxDispatcher::Loop() {
  while (true) {
    const absl::Duration wait = DeliverDue();
    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stop_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), wait);
    if (stop_) return;
    wake_ = false;
  }
}

void OutboxDispatcher::DeliverChain(const std::vector<const OutboxMessage*>& chain) {
  thread_local absl::BitGen gen;
  for (const OutboxMessage* m : chain) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    const absl::Status sent = deliver_(*m);
    absl::Status recorded;
    const int attempts = m->attempts + 1;
    const int refusals = m->refusals + (sent.ok() || IsTransportFailure(sent) ? 0 : 1);
    const absl::Duration age = clock_.Now() - m->budget_since;
    if (sent.ok()) {
      recorded = store_.MarkDelivered(m->sequence);
    } else if (!IsRetryable(sent)) {
      recorded = ParkMessage(*m, absl::StrCat("permanent failure: ", sent.ToString()));
    } else if (refusals >= options_.max_refusals) {
      recorded = ParkMessage(*m, absl::StrCat("refused ", refusals, " times (budget ",
                                              options_.max_refusals, "), last: ", sent.ToString()));
    } else if (age >= options_.max_age) {
      recorded = ParkMessage(*m, absl::StrCat("undelivered after ", absl::FormatDuration(age), " (budget ",
                                              absl::FormatDuration(options_.max_age), "), last: ",
                                              sent.ToString()));
    } else {
      absl::Duration backoff = options_.initial_backoff * (1LL << std::min(attempts - 1, 20));
      backoff = std::min(backoff, options_.max_backoff) * absl::Uniform(gen, 0.5, 1.5);
      recorded = store_.Reschedule(m->sequence, clock_.Now() + backoff, attempts, refusals, sent.ToString());
    }
    if (!recorded.ok()) {
      LogError("outbox", absl::StrCat("recording delivery of ", m->message_id,
                                      " failed: ", recorded.ToString()));
      return;  // the message is still due; later ones of its key must wait for it
    }
    if (!sent.ok()) return;  // a failed message holds back the later ones of its key
  }
}

absl::Duration OutboxDispatcher::DeliverDue() {
  absl::StatusOr<std::vector<OutboxMessage>> due =
      store_.Due(clock_.Now(), options_.batch_size);
  if (!due.ok()) {
    LogError("outbox", absl::StrCat("reading the outbox failed: ", due.status().ToString()));
    return options_.poll_interval;
  }
  // One chain per key, in sequence order within it and chains ordered by their first
  // message. Chains are independent, so up to `parallel_keys` go out at once: the receiver
  // commits them together and each message's own record joins a group commit here.
  std::vector<std::vector<const OutboxMessage*>> chains;
  std::map<std::string, size_t> chain_of;
  for (const OutboxMessage& m : *due) {
    auto [it, added] = chain_of.emplace(m.key, chains.size());
    if (added) chains.emplace_back();
    chains[it->second].push_back(&m);
  }
  const size_t workers = std::min(chains.size(), static_cast<size_t>(std::max(1, options_.parallel_keys)));
  if (workers <= 1) {
    for (const auto& chain : chains) DeliverChain(chain);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < chains.size(); i = next.fetch_add(1)) DeliverChain(chains[i]);
      });
    }
    for (std::thread& t : threads) t.join();
  }
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::ZeroDuration();
  }
  absl::StatusOr<std::optional<absl::Time>> next = store_.NextDue();
  if (!next.ok() || !next->has_value()) return options_.poll_interval;
  return std::clamp(**next - clock_.Now(), absl::ZeroDuration(), options_.poll_interval);
}

}  // namespace handoff
