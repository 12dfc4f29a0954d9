#include "common/sql/audit_log.h"

#include <limits>

namespace handoff::sql {
namespace {

int64_t Micros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

}  // namespace

absl::Status AppendAudit(Transaction& tx, const AuditRecord& record) {
  absl::StatusOr<Statement> q = tx.Prepare(
      "INSERT INTO audit_log(time_us, principal, actor, method, resource, code, request_id)"
      " VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!q.ok()) return q.status();
  return q->BindTime(1, record.time)
      .Bind(2, record.principal)
      .Bind(3, record.actor)
      .Bind(4, record.method)
      .Bind(5, record.resource)
      .Bind(6, int64_t{record.code})
      .Bind(7, record.request_id)
      .Run();
}

absl::StatusOr<Page<AuditRecord>> SqlAuditLog::List(const AuditQuery& query) {
  return ReadValue(db_, [&](Transaction& tx) -> absl::StatusOr<Page<AuditRecord>> {
    absl::StatusOr<Statement> q = tx.Prepare(
        "SELECT sequence, time_us, principal, actor, method, resource, code, request_id FROM audit_log"
        " WHERE sequence < ?1 AND time_us >= ?2 AND time_us < ?3"
        " AND (?4 = '' OR principal = ?4) AND (?5 = '' OR method = ?5) AND (?6 = '' OR resource = ?6)"
        " AND (?7 < 0 OR code = ?7)"
        " ORDER BY sequence DESC LIMIT ?8");
    if (!q.ok()) return q.status();
    q->Bind(1, query.before > 0 ? query.before : std::numeric_limits<int64_t>::max())
        .Bind(2, Micros(query.start))
        .Bind(3, Micros(query.end))
        .Bind(4, query.principal)
        .Bind(5, query.method)
        .Bind(6, query.resource)
        .Bind(7, int64_t{query.code})
        .Bind(8, int64_t{query.limit + 1});
    return ReadPage<AuditRecord>(*q, query.limit, [](const Statement& r) {
      AuditRecord a;
      a.sequence = r.Int(0);
      a.time = r.Time(1);
      a.principal = r.Text(2);
      a.actor = r.Text(3);
      a.method = r.Text(4);
      a.resource = r.Text(5);
      a.code = static_cast<int>(r.Int(6));
      a.request_id = r.Text(7);
      return a;
    });
  });
}

}  // namespace handoff::sql
