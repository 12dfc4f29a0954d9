// SqlSalesTx (sql_sales_tx.h): reps and the assignment counter.

#include "sales-service/storage/sql_sales_tx.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/error_details.h"

namespace handoff::sales {

using sql::Statement;

namespace {

constexpr char kRepColumns[] =
    "r.seq, r.id, r.display_name, r.email, r.territories, r.capacity, r.status,"
    " r.last_assigned_seq, r.create_us, r.update_us, r.version,"
    " (SELECT COUNT(*) FROM opportunities o WHERE o.rep_id = r.id AND o.is_open = 1)";

Rep ReadRep(const Statement& q) {
  Rep r;
  r.seq = q.Int(0);
  r.id = q.Text(1);
  r.display_name = q.Text(2);
  r.email = q.Text(3);
  r.territories = SplitList(q.Text(4));
  r.capacity = static_cast<int>(q.Int(5));
  r.status = static_cast<RepStatus>(q.Int(6));
  r.last_assigned_seq = q.Int(7);
  r.create_time = q.Time(8);
  r.update_time = q.Time(9);
  r.version = q.Int(10);
  r.open_opportunities = static_cast<int>(q.Int(11));
  return r;
}

void BindRep(Statement& q, const Rep& r) {
  q.Bind(1, r.id)
      .Bind(2, r.display_name)
      .Bind(3, r.email)
      .Bind(4, absl::StrJoin(r.territories, ","))
      .Bind(5, int64_t{r.capacity})
      .Bind(6, int64_t{static_cast<int>(r.status)})
      .Bind(7, r.last_assigned_seq)
      .BindTime(8, r.create_time)
      .BindTime(9, r.update_time)
      .Bind(10, r.version);
}

}  // namespace

absl::StatusOr<Rep> SqlSalesTx::GetRep(const std::string& id) {
  absl::StatusOr<Statement> q =
      tx_.Prepare(absl::StrCat("SELECT ", kRepColumns, " FROM reps r WHERE r.id = ?"));
  if (!q.ok()) return q.status();
  q->Bind(1, id);
  return sql::ReadOne<Rep>(*q, ReadRep, absl::StrCat("reps/", id));
}

absl::Status SqlSalesTx::InsertRep(const Rep& r) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO reps(id, display_name, email, territories, capacity, status,"
      " last_assigned_seq, create_us, update_us, version) VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!q.ok()) return q.status();
  BindRep(*q, r);
  absl::Status s = q->Run();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return WithReason(absl::AlreadyExistsError(absl::StrCat("a rep with e-mail ", r.email, " already exists")), reason::kRepEmailTaken);
  }
  return s;
}

absl::Status SqlSalesTx::UpdateRep(const Rep& r) {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "UPDATE reps SET display_name = ?2, email = ?3, territories = ?4, capacity = ?5,"
      " status = ?6, last_assigned_seq = ?7, create_us = ?8, update_us = ?9, version = ?10"
      " WHERE id = ?1");
  if (!q.ok()) return q.status();
  BindRep(*q, r);
  return sql::RunOnOneRow(tx_, *q, absl::StrCat("reps/", r.id));
}

absl::StatusOr<Page<Rep>> SqlSalesTx::ListReps(const UpdateOrder& sync, int64_t after, int limit) {
  absl::StatusOr<Statement> q = tx_.Prepare(absl::StrCat(
      "SELECT ", kRepColumns, " FROM reps r WHERE ",
      sync.by_update_time ? "(r.update_us > ?4 OR (r.update_us = ?4 AND r.seq > ?1))" : "r.seq > ?1",
      " AND r.update_us >= ?3 ORDER BY ", sync.by_update_time ? "r.update_us, r.seq" : "r.seq", " LIMIT ?2"));
  if (!q.ok()) return q.status();
  q->Bind(1, after).Bind(2, int64_t{limit + 1}).Bind(3, sync.min_update_us);
  if (sync.by_update_time) q->Bind(4, sync.after_update_us);
  return sql::ReadPage<Rep>(*q, limit, ReadRep);
}

absl::StatusOr<std::vector<Rep>> SqlSalesTx::AllReps() {
  absl::StatusOr<Statement> q =
      tx_.Prepare(absl::StrCat("SELECT ", kRepColumns, " FROM reps r ORDER BY r.seq"));
  if (!q.ok()) return q.status();
  return sql::ReadAll<Rep>(*q, ReadRep);
}

absl::StatusOr<int64_t> SqlSalesTx::NextAssignmentSeq() {
  absl::StatusOr<Statement> q = tx_.Prepare(
      "INSERT INTO counters(name, value) VALUES('assignment', 1)"
      " ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING value");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  const int64_t v = q->Int(0);
  if (absl::Status s = q->Run(); !s.ok()) return s;
  return v;
}

}  // namespace handoff::sales
