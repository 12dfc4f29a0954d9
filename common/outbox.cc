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

// ---- SqliteOutboxStore ----

absl::StatusOr<std::vector<OutboxMessage>> SqliteOutboxStore::Due(absl::Time now, int limit) {
  return sqlite::ReadValue(db_, [&](sqlite::Transaction& tx) -> absl::StatusOr<std::vector<OutboxMessage>> {
    // Every unparked message in order, not just the due ones: a key whose earliest message
    // is not yet due must hold back its later messages, and the caller needs to see that.
    absl::StatusOr<sqlite::Statement> q = tx.Prepare(
        "SELECT sequence, message_id, topic, key, payload, attempts, next_attempt_us,"
        " create_time_us, last_error, refusals, COALESCE(budget_since_us, create_time_us)"
        " FROM outbox WHERE parked = 0 ORDER BY sequence LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, int64_t{limit});
    std::vector<OutboxMessage> out;
    std::set<std::string> held;
    while (true) {
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      OutboxMessage m;
      m.sequence = q->Int(0);
      m.message_id = q->Text(1);
      m.topic = q->Text(2);
      m.key = q->Text(3);
      m.payload = q->Blob(4);
      m.attempts = static_cast<int>(q->Int(5));
      m.next_attempt_time = q->Time(6);
      m.create_time = q->Time(7);
      m.last_error = q->Text(8);
      m.refusals = static_cast<int>(q->Int(9));
      m.budget_since = q->Time(10);
      if (held.count(m.key) > 0) continue;
      if (m.next_attempt_time > now) {
        held.insert(m.key);
        continue;
      }
      out.push_back(std::move(m));
    }
    return out;
  });
}

absl::StatusOr<std::optional<absl::Time>> SqliteOutboxStore::NextDue() {
  return sqlite::ReadValue(db_, [&](sqlite::Transaction& tx) -> absl::StatusOr<std::optional<absl::Time>> {
    absl::StatusOr<sqlite::Statement> q =
        tx.Prepare("SELECT MIN(next_attempt_us) FROM outbox WHERE parked = 0");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row || q->IsNull(0)) return std::optional<absl::Time>();
    return std::optional<absl::Time>(q->Time(0));
  });
}

absl::Status SqliteOutboxStore::MarkDelivered(int64_t sequence) {
  return db_.RunGrouped([&](sqlite::Transaction& tx) -> absl::Status {
    absl::StatusOr<sqlite::Statement> q = tx.Prepare("DELETE FROM outbox WHERE sequence = ?");
    if (!q.ok()) return q.status();
    return q->Bind(1, sequence).Run();
  });
}

absl::Status SqliteOutboxStore::Reschedule(int64_t sequence, absl::Time next_attempt,
                                           int attempts, int refusals, absl::string_view error) {
  return db_.RunGrouped([&](sqlite::Transaction& tx) -> absl::Status {
    absl::StatusOr<sqlite::Statement> q = tx.Prepare(
        "UPDATE outbox SET next_attempt_us = ?, attempts = ?, refusals = ?, last_error = ?"
        " WHERE sequence = ?");
    if (!q.ok()) return q.status();
    return q->BindTime(1, next_attempt)
        .Bind(2, int64_t{attempts})
        .Bind(3, int64_t{refusals})
        .Bind(4, error)
        .Bind(5, sequence)
        .Run();
  });
}

absl::Status SqliteOutboxStore::Park(int64_t sequence, absl::string_view error) {
  return db_.RunGrouped([&](sqlite::Transaction& tx) -> absl::Status {
    absl::StatusOr<sqlite::Statement> q = tx.Prepare(
        "UPDATE outbox SET parked = 1, attempts = attempts + 1, last_error = ? WHERE sequence = ?");
    if (!q.ok()) return q.status();
    return q->Bind(1, error).Bind(2, sequence).Run();
  });
}

absl::StatusOr<OutboxBacklog> SqliteOutboxStore::Backlog(absl::Time now) {
  return sqlite::ReadValue(db_, [&](sqlite::Transaction& tx) -> absl::StatusOr<OutboxBacklog> {
    absl::StatusOr<sqlite::Statement> q = tx.Prepare(
        "SELECT COALESCE(SUM(parked = 0), 0), COALESCE(SUM(parked = 1), 0),"
        " MIN(CASE WHEN parked = 0 THEN create_time_us END) FROM outbox");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    OutboxBacklog b;
    b.pending = q->Int(0);
    b.parked = q->Int(1);
    if (!q->IsNull(2)) b.oldest_age = std::max(absl::ZeroDuration(), now - q->Time(2));
    return b;
  });
}

absl::StatusOr<Page<OutboxMessage>> SqliteOutboxStore::ListParked(int64_t after, int limit) {
  return sqlite::ReadValue(db_, [&](sqlite::Transaction& tx) -> absl::StatusOr<Page<OutboxMessage>> {
    absl::StatusOr<sqlite::Statement> q = tx.Prepare(
        "SELECT sequence, message_id, topic, key, attempts, last_error, create_time_us FROM outbox"
        " WHERE parked = 1 AND sequence > ? ORDER BY sequence LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, after).Bind(2, int64_t{limit + 1});
    return sqlite::ReadPage<OutboxMessage>(*q, limit, [](const sqlite::Statement& r) {
      OutboxMessage m;
      m.sequence = r.Int(0);
      m.message_id = r.Text(1);
      m.topic = r.Text(2);
      m.key = r.Text(3);
      m.attempts = static_cast<int>(r.Int(4));
      m.last_error = r.Text(5);
      m.create_time = r.Time(6);
      return m;
    });
  });
}

absl::StatusOr<int64_t> SqliteOutboxStore::Requeue(const std::vector<int64_t>& sequences, absl::Time now) {
  sqlite::Transaction tx(db_);
  if (!tx.begin_status().ok()) return tx.begin_status();
  int64_t moved = 0;
  auto requeue = [&](bool one, int64_t sequence) -> absl::Status {
    absl::StatusOr<sqlite::Statement> q = tx.Prepare(
        "UPDATE outbox SET parked = 0, refusals = 0, budget_since_us = ?1, next_attempt_us = ?1"
        " WHERE parked = 1 AND (?2 = 0 OR sequence = ?3)");
    if (!q.ok()) return q.status();
    if (absl::Status s = q->BindTime(1, now).Bind(2, int64_t{one}).Bind(3, sequence).Run(); !s.ok()) return s;
    moved += tx.Changes();
    return absl::OkStatus();
  };
  if (sequences.empty()) {
    if (absl::Status s = requeue(false, 0); !s.ok()) return s;
  }
  for (int64_t sequence : sequences) {
    if (absl::Status s = requeue(true, sequence); !s.ok()) return s;
  }
  if (absl::Status s = tx.Commit(); !s.ok()) return s;
  return moved;
}

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
