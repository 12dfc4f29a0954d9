#include "common/outbox.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "common/logging.h"
#include "common/trace_context.h"

namespace handoff {

// ---- OutboxDispatcher ----

namespace {

// host/pid/random: tells the replicas' claims apart in the outbox_claims table.
std::string DefaultOwner() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  return absl::StrCat(host[0] != 0 ? host : "unknown", "/", ::getpid(), "/",
                      absl::Hex(absl::Uniform<uint32_t>(absl::BitGen()), absl::kZeroPad8));
}

// To the millisecond under a second, else to the second: "0s", "350ms", "2m5s".
std::string ForLog(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return "0s";
  return absl::FormatDuration(absl::Trunc(d, d < absl::Seconds(1) ? absl::Milliseconds(1) : absl::Seconds(1)));
}

}  // namespace

OutboxDispatcher::OutboxDispatcher(OutboxStore& store, Deliver deliver, const Clock& clock,
                                   Options options)
    : store_(store),
      deliver_(std::move(deliver)),
      clock_(clock),
      options_(std::move(options)),
      owner_(options_.owner.empty() ? DefaultOwner() : options_.owner) {}

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
  // The receiver's reason decides first (common/error_details.h): a refusal whose cause is
  // final is never retried, one whose cause passes is, whatever the code.
  const std::string why = ReasonOf(status);
  if (IsFinalReason(why)) return false;
  if (IsPassingReason(why)) return true;
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
      // and FAILED_PRECONDITION without a reason (a receiver that sends none, which may
      // not yet have seen an earlier change).
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

absl::Status OutboxDispatcher::ParkMessage(const OutboxMessage& m, const std::string& why,
                                          const OutboxFence& fence) {
  LogError("outbox", absl::StrCat("message ", m.message_id, " (", m.topic, ", key ", m.key,
                                  ") parked: ", why, "; later messages of its key go on, and "
                                  "RetryParkedMessages sends it again"));
  absl::Status s = store_.Park(m.sequence, why, fence);
  if (s.ok() && options_.on_park) options_.on_park(m, why);
  return s;
}

void OutboxDispatcher::LogPeerState(absl::string_view what, absl::Time now, bool down) {
  std::string backlog;
  if (absl::StatusOr<OutboxBacklog> b = store_.Backlog(now); b.ok()) {
    backlog = absl::StrCat("backlog: ", b->pending, " pending (oldest queued ", ForLog(b->oldest_age), " ago), ",
                           b->parked, " parked");
  } else {
    backlog = absl::StrCat("backlog unknown: ", b.status().ToString());
  }
  Log(down ? LogSeverity::kWarning : LogSeverity::kInfo, "outbox", absl::StrCat(what, "; ", backlog));
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

OutboxDispatcher::ChainResult OutboxDispatcher::DeliverChain(const std::vector<const OutboxMessage*>& chain,
                                                             int64_t token, absl::Time deadline) {
  thread_local absl::BitGen gen;
  ChainResult result;
  for (size_t i = 0; i < chain.size(); ++i) {
    const OutboxMessage* m = chain[i];
    {
      absl::MutexLock lock(&mu_);
      // Stopping, or the claim has no room for a send (the chain waited for a worker):
      // leave the rest to the next round, or to another replica.
      result.holds_claim = stop_ || clock_.Now() + options_.send_timeout > deadline;
      if (result.holds_claim) {
        result.cut_short = !stop_;
        return result;
      }
    }
    // The message's trace, continued by this delivery: its log lines and the call carry it.
    const ScopedTrace trace(ContinueOrStart(m->traceparent));
    const absl::Status sent = deliver_(*m);
    absl::Status recorded;
    const int attempts = m->attempts + 1;
    const int refusals = m->refusals + (sent.ok() || IsTransportFailure(sent) ? 0 : 1);
    const absl::Time now = clock_.Now();
    const absl::Duration age = now - m->budget_since;
    // The claim ends with this record if no later message will be sent under it.
    const bool last = !sent.ok() || i + 1 == chain.size() || now + options_.send_timeout > deadline;
    const OutboxFence fence{m->key, token, last};
    bool rescheduled = false;
    // Whether the message is retried or parked, a transport failure says the peer is down.
    if (IsTransportFailure(sent)) {
      result.peer_down = true;
      result.peer_error = sent;
    }
    if (sent.ok()) {
      recorded = store_.MarkDelivered(m->sequence, fence);
    } else if (!IsRetryable(sent)) {
      recorded = ParkMessage(*m, absl::StrCat("permanent failure: ", sent.ToString()), fence);
    } else if (refusals >= options_.max_refusals) {
      recorded = ParkMessage(*m, absl::StrCat("refused ", refusals, " times (budget ",
                                              options_.max_refusals, "), last: ", sent.ToString()), fence);
    } else if (age >= options_.max_age) {
      recorded = ParkMessage(*m, absl::StrCat("undelivered after ", absl::FormatDuration(age), " (budget ",
                                              absl::FormatDuration(options_.max_age), "), last: ",
                                              sent.ToString()), fence);
    } else {
      absl::Duration backoff = options_.initial_backoff * (1LL << std::min(attempts - 1, 20));
      backoff = std::min(backoff, options_.max_backoff) * absl::Uniform(gen, 0.5, 1.5);
      // Never sooner than the receiver asked (RetryInfo), nor later than the longest back-off.
      if (std::optional<absl::Duration> asked = RetryDelayOf(sent)) {
        backoff = std::max(backoff, std::min(*asked, options_.max_backoff));
      }
      result.retry_at = now + backoff;
      result.peer_asked = std::min(RetryDelayOf(sent).value_or(absl::ZeroDuration()), options_.max_backoff);
      recorded = store_.Reschedule(m->sequence, result.retry_at, attempts, refusals, sent.ToString(), fence);
      rescheduled = true;
    }
    if (!recorded.ok()) {
      // Lost the claim (ABORTED: another dispatcher took the key over) or the store failed:
      // either way the message's state is the store's, and later ones must wait for it.
      LogError("outbox", absl::StrCat("recording delivery of ", m->message_id,
                                      " failed: ", recorded.ToString()));
      result.holds_claim = true;
      return result;
    }
    if (sent.ok() && options_.on_delivered) options_.on_delivered(*m, now - m->create_time);
    if (rescheduled && options_.on_retry) options_.on_retry(*m, sent);
    if (last) {
      result.cut_short = sent.ok() && i + 1 < chain.size();
      return result;
    }
  }
  return result;
}

absl::Duration OutboxDispatcher::DeliverDue() {
  const absl::Time start = clock_.Now();
  bool probing = false;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::ZeroDuration();
    // The peer is down: wait for the next probe without reading the outbox.
    if (start < peer_down_until_) return peer_down_until_ - start;
    probing = peer_down_rounds_ > 0;
  }
  thread_local absl::BitGen gen;
  OutboxClaim claim;
  claim.owner = owner_;
  claim.token = absl::Uniform<int64_t>(gen, 1, std::numeric_limits<int64_t>::max());
  claim.now = start;
  claim.lease_until = start + options_.lease;
  claim.limit = probing ? 1 : options_.batch_size;
  absl::StatusOr<std::vector<OutboxMessage>> due = store_.Claim(claim);
  if (!due.ok()) {
    LogError("outbox", absl::StrCat("claiming due messages failed: ", due.status().ToString()));
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
  std::vector<ChainResult> results(chains.size());
  const size_t workers = std::min(chains.size(), static_cast<size_t>(std::max(1, options_.parallel_keys)));
  if (workers <= 1) {
    for (size_t i = 0; i < chains.size(); ++i) results[i] = DeliverChain(chains[i], claim.token, claim.lease_until);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < chains.size(); i = next.fetch_add(1)) {
          results[i] = DeliverChain(chains[i], claim.token, claim.lease_until);
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }

  absl::Time retry_at = absl::InfiniteFuture();
  bool peer_down = false;
  absl::Status peer_error;
  absl::Duration peer_asked = absl::ZeroDuration();
  bool cut_short = false;
  std::vector<std::string> still_held;  // keys whose claim no record ended
  for (size_t i = 0; i < chains.size(); ++i) {
    const ChainResult& r = results[i];
    retry_at = std::min(retry_at, r.retry_at);
    if (r.peer_down && !peer_down) peer_error = r.peer_error;
    peer_down = peer_down || r.peer_down;
    peer_asked = std::max(peer_asked, r.peer_asked);
    cut_short = cut_short || r.cut_short;
    if (r.holds_claim) still_held.push_back(chains[i].front()->key);
  }
  if (!still_held.empty()) {
    if (absl::Status s = store_.Release(still_held, claim.token); !s.ok()) {
      LogWarning("outbox", absl::StrCat("releasing ", still_held.size(), " claims failed (they run out in ",
                                        absl::FormatDuration(options_.lease), "): ", s.ToString()));
    }
  }
  const absl::Time now = clock_.Now();
  const bool reached = !chains.empty();
  // What to tell operators about the peer, logged after the lock is let go (it reads the
  // backlog from the store).
  std::string peer_news;
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::ZeroDuration();
    if (peer_down) {
      // Probe at growing intervals, but not before the peer said it would take calls again.
      const absl::Duration probe = std::max(
          std::min(options_.initial_backoff * (1LL << std::min(peer_down_rounds_, 20)), options_.max_probe_interval),
          peer_asked);
      if (peer_down_rounds_ == 0) {
        peer_down_since_ = now;
        next_down_log_ = now + options_.unreachable_log_interval;
        peer_news = absl::StrCat("cannot reach ", options_.peer, " (", peer_error.ToString(),
                                 "); messages wait and are retried, probing every ",
                                 ForLog(options_.max_probe_interval), " at most");
      } else if (now >= next_down_log_) {
        next_down_log_ = now + options_.unreachable_log_interval;
        peer_news = absl::StrCat(options_.peer, " still unreachable after ", ForLog(now - peer_down_since_),
                                 " (", peer_error.ToString(), ")");
      }
      ++peer_down_rounds_;
      peer_down_until_ = now + probe;
      wait = probe;
    } else {
      if (reached && peer_down_rounds_ > 0) {
        peer_news = absl::StrCat(options_.peer, " reachable again after ", ForLog(now - peer_down_since_));
        next_down_log_ = absl::InfiniteFuture();
      }
      if (reached) {
        peer_down_rounds_ = 0;
        peer_down_until_ = absl::InfinitePast();
      }
      // A full batch, a chain its claim cut short, or a probe that got through leave more
      // to send now. Otherwise new messages wake the dispatcher; retries, and keys other
      // dispatchers held, wait for the earliest back-off or the poll.
      wait = cut_short || static_cast<int>(due->size()) >= claim.limit
                 ? absl::ZeroDuration()
                 : std::clamp(retry_at - now, absl::ZeroDuration(), options_.poll_interval);
    }
  }
  if (!peer_news.empty()) LogPeerState(peer_news, now, peer_down);
  return wait;
}

}  // namespace handoff
