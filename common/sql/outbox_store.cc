#include "common/sql/outbox_store.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "common/sql/audit_log.h"

namespace handoff {

namespace {

// A claim only this dispatcher holds: records under it are fenced by its token.
constexpr char kHeldByFence[] = "EXISTS (SELECT 1 FROM outbox_claims c WHERE c.key = ? AND c.token = ?)";

// Runs `q` (whose last two parameters, from `index`, are the fence's key and token), then
// ends the claim if asked. ABORTED when the statement changed nothing: the key's claim is
// no longer this dispatcher's.
absl::Status RunFenced(sql::Transaction& tx, sql::Statement& q, int index, int64_t sequence,
                       const OutboxFence& fence) {
  q.Bind(index, fence.key).Bind(index + 1, fence.token);
  if (absl::Status s = q.Run(); !s.ok()) return s;
  if (tx.Changes() != 1) {
    return absl::AbortedError(absl::StrCat("outbox message ", sequence, ": the claim on key ", fence.key,
                                           " ran out and another dispatcher holds it now"));
  }
  if (!fence.release) return absl::OkStatus();
  absl::StatusOr<sql::Statement> release = tx.Prepare("DELETE FROM outbox_claims WHERE key = ? AND token = ?");
  if (!release.ok()) return release.status();
  return release->Bind(1, fence.key).Bind(2, fence.token).Run();
}

}  // namespace

absl::StatusOr<std::vector<OutboxMessage>> SqlOutboxStore::Claim(const OutboxClaim& claim) {
  // Each statement sees what was committed when it began (PostgreSQL READ COMMITTED; SQLite
  // has one writer anyway), so claimers racing for the same keys never fail to serialize:
  // the one that loses a key waits for the winner's commit, sees its live claim and skips
  // the key. Claims are taken in key order, so two claimers never deadlock.
  using Due = absl::StatusOr<std::vector<OutboxMessage>>;
  return sql::RunValue(db_, &sql::Database::WriteEachStatementFresh, [&](sql::Transaction& tx) -> Due {
    // 1. The keys of the first due messages no live claim holds, walking the primary key in
    // sequence order: it stops after `limit` rows, skipping only parked and waiting ones.
    // (SQLite, left to itself, takes outbox_due, which yields every due row to be sorted:
    // during a peer outage each probe read the whole backlog. PostgreSQL's planner,
    // knowing the table's statistics, walks the primary key by itself.)
    absl::StatusOr<sql::Statement> heads = tx.Prepare(absl::StrCat(
        "SELECT key FROM outbox o", Hint(" NOT INDEXED"), " WHERE o.parked = 0 AND o.next_attempt_us <= ?1"
        " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.key = o.key AND p.sequence < o.sequence"
        " AND p.parked = 0 AND p.next_attempt_us > ?1)"
        " AND NOT EXISTS (SELECT 1 FROM outbox_claims c WHERE c.key = o.key AND c.lease_until_us > ?1)"
        " ORDER BY sequence LIMIT ?2"));
    if (!heads.ok()) return heads.status();
    heads->BindTime(1, claim.now).Bind(2, int64_t{claim.limit});
    absl::StatusOr<std::vector<std::string>> candidates =
        sql::ReadAll<std::string>(*heads, [](const sql::Statement& r) { return r.Text(0); });
    if (!candidates.ok()) return candidates.status();
    const std::set<std::string> keys(candidates->begin(), candidates->end());
    // 2. Claim each key unless someone else's live claim holds it by now.
    std::set<std::string> taken;
    for (const std::string& key : keys) {
      absl::StatusOr<sql::Statement> take = tx.Prepare(
          "INSERT INTO outbox_claims(key, owner, token, lease_until_us) VALUES(?1, ?2, ?3, ?4)"
          " ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, token = excluded.token,"
          " lease_until_us = excluded.lease_until_us WHERE outbox_claims.lease_until_us <= ?5");
      if (!take.ok()) return take.status();
      take->Bind(1, key).Bind(2, claim.owner).Bind(3, claim.token).BindTime(4, claim.lease_until).BindTime(5, claim.now);
      if (absl::Status s = take->Run(); !s.ok()) return s;
      if (tx.Changes() == 1) taken.insert(key);
    }
    if (taken.empty()) return std::vector<OutboxMessage>{};
    // 3. Read the due messages of the keys now held (by key, on outbox_by_key), afresh: a
    // message a previous holder recorded before letting its key go is gone, and one
    // waiting for a later attempt holds back the messages of its key behind it.
    absl::StatusOr<sql::Statement> q = tx.Prepare(absl::StrCat(
        "SELECT sequence, message_id, topic, key, payload, attempts, next_attempt_us,"
        " create_time_us, last_error, refusals, COALESCE(budget_since_us, create_time_us), traceparent"
        " FROM outbox o", Hint(" INDEXED BY outbox_by_key"),
        " WHERE o.key IN (SELECT c.key FROM outbox_claims c WHERE c.token = ?3)"
        " AND o.parked = 0 AND o.next_attempt_us <= ?1"
        " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.key = o.key AND p.sequence < o.sequence"
        " AND p.parked = 0 AND p.next_attempt_us > ?1)"
        " ORDER BY sequence LIMIT ?2"));
    if (!q.ok()) return q.status();
    q->BindTime(1, claim.now).Bind(2, int64_t{claim.limit}).Bind(3, claim.token);
    Due due = sql::ReadAll<OutboxMessage>(*q, [](const sql::Statement& r) {
      OutboxMessage m;
      m.sequence = r.Int(0);
      m.message_id = r.Text(1);
      m.topic = r.Text(2);
      m.key = r.Text(3);
      m.payload = r.Blob(4);
      m.attempts = static_cast<int>(r.Int(5));
      m.next_attempt_time = r.Time(6);
      m.create_time = r.Time(7);
      m.last_error = r.Text(8);
      m.refusals = static_cast<int>(r.Int(9));
      m.budget_since = r.Time(10);
      m.traceparent = r.Text(11);
      return m;
    });
    if (!due.ok()) return due.status();
    // A key left with nothing to send now (its messages went to a holder that has let go,
    // or past the limit) is let go at once rather than held to the end of the lease.
    for (const OutboxMessage& m : *due) taken.erase(m.key);
    for (const std::string& key : taken) {
      absl::StatusOr<sql::Statement> release = tx.Prepare("DELETE FROM outbox_claims WHERE key = ? AND token = ?");
      if (!release.ok()) return release.status();
      if (absl::Status s = release->Bind(1, key).Bind(2, claim.token).Run(); !s.ok()) return s;
    }
    return due;
  });
}

absl::Status SqlOutboxStore::MarkDelivered(int64_t sequence, const OutboxFence& fence) {
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q =
        tx.Prepare(absl::StrCat("DELETE FROM outbox WHERE sequence = ? AND ", kHeldByFence));
    if (!q.ok()) return q.status();
    q->Bind(1, sequence);
    return RunFenced(tx, *q, 2, sequence, fence);
  });
}

absl::Status SqlOutboxStore::Reschedule(int64_t sequence, absl::Time next_attempt, int attempts, int refusals,
                                        absl::string_view error, const OutboxFence& fence) {
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q = tx.Prepare(absl::StrCat(
        "UPDATE outbox SET next_attempt_us = ?, attempts = ?, refusals = ?, last_error = ?"
        " WHERE sequence = ? AND ", kHeldByFence));
    if (!q.ok()) return q.status();
    q->BindTime(1, next_attempt).Bind(2, int64_t{attempts}).Bind(3, int64_t{refusals}).Bind(4, error).Bind(5, sequence);
    return RunFenced(tx, *q, 6, sequence, fence);
  });
}

absl::Status SqlOutboxStore::Park(int64_t sequence, absl::string_view error, const OutboxFence& fence) {
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q = tx.Prepare(absl::StrCat(
        "UPDATE outbox SET parked = 1, attempts = attempts + 1, last_error = ? WHERE sequence = ? AND ",
        kHeldByFence));
    if (!q.ok()) return q.status();
    q->Bind(1, error).Bind(2, sequence);
    return RunFenced(tx, *q, 3, sequence, fence);
  });
}

absl::Status SqlOutboxStore::Release(const std::vector<std::string>& keys, int64_t token) {
  // In key order, as claims are taken, so a release and a claim never deadlock.
  const std::set<std::string> sorted(keys.begin(), keys.end());
  return db_.Write([&](sql::Transaction& tx) -> absl::Status {
    for (const std::string& key : sorted) {
      absl::StatusOr<sql::Statement> q = tx.Prepare("DELETE FROM outbox_claims WHERE key = ? AND token = ?");
      if (!q.ok()) return q.status();
      if (absl::Status s = q->Bind(1, key).Bind(2, token).Run(); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<OutboxBacklog> SqlOutboxStore::Backlog(absl::Time now) {
  return sql::ReadValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<OutboxBacklog> {
    // Counted on outbox_due alone (it covers `parked`), not on the rows and their payloads;
    // the oldest is the first pending message in sequence order, found without a scan.
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "SELECT COUNT(CASE WHEN parked = 0 THEN 1 END), COUNT(CASE WHEN parked = 1 THEN 1 END)"
        " FROM outbox WHERE parked IN (0, 1)");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    OutboxBacklog b;
    b.pending = q->Int(0);
    b.parked = q->Int(1);
    absl::StatusOr<sql::Statement> first = tx.Prepare(absl::StrCat(
        "SELECT create_time_us FROM outbox", Hint(" NOT INDEXED"), " WHERE parked = 0 ORDER BY sequence LIMIT 1"));
    if (!first.ok()) return first.status();
    row = first->Step();
    if (!row.ok()) return row.status();
    if (*row) b.oldest_age = std::max(absl::ZeroDuration(), now - first->Time(0));
    return b;
  });
}

absl::StatusOr<Page<OutboxMessage>> SqlOutboxStore::ListParked(int64_t after, int limit) {
  return sql::ReadValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<Page<OutboxMessage>> {
    absl::StatusOr<sql::Statement> q = tx.Prepare(
        "SELECT sequence, message_id, topic, key, attempts, last_error, create_time_us FROM outbox"
        " WHERE parked = 1 AND sequence > ? ORDER BY sequence LIMIT ?");
    if (!q.ok()) return q.status();
    q->Bind(1, after).Bind(2, int64_t{limit + 1});
    return sql::ReadPage<OutboxMessage>(*q, limit, [](const sql::Statement& r) {
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

absl::StatusOr<int64_t> SqlOutboxStore::Requeue(const std::vector<int64_t>& sequences, absl::Time now,
                                                const AuditRecord& audit) {
  return sql::WriteValue(db_, [&](sql::Transaction& tx) -> absl::StatusOr<int64_t> {
    int64_t moved = 0;
    auto requeue = [&](bool one, int64_t sequence) -> absl::Status {
      absl::StatusOr<sql::Statement> q = tx.Prepare(
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
    if (absl::Status s = sql::AppendAudit(tx, audit); !s.ok()) return s;
    return moved;
  });
}

}  // namespace handoff
