#ifndef HANDOFF_COMMON_SQL_SQL_H_
#define HANDOFF_COMMON_SQL_SQL_H_

// The backend-neutral face of a relational store: a database runs transactions, a
// transaction prepares statements, a statement binds parameters and steps through rows.
// common/sqlite and common/postgres implement it; the services' stores are written once
// against it. SQL text uses `?` (next parameter) or `?N` (parameter N) placeholders and the
// subset of SQL both backends agree on (the few differences go through dialect()).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/page.h"

namespace handoff::sql {

enum class Dialect { kSqlite, kPostgres };

// A backend's prepared statement, bound for one run. Reached only through Statement.
class Cursor {
 public:
  virtual void BindInt(int index, int64_t value) = 0;
  virtual void BindText(int index, absl::string_view value) = 0;
  virtual void BindBlob(int index, absl::string_view bytes) = 0;
  virtual void BindNull(int index) = 0;
  virtual absl::StatusOr<bool> Step() = 0;
  virtual int64_t Int(int column) const = 0;
  virtual std::string Text(int column) const = 0;
  virtual std::string Blob(int column) const = 0;
  virtual bool IsNull(int column) const = 0;
  // Ends the run and clears the bindings, so the statement can be bound again.
  virtual void Reset() = 0;

 protected:
  ~Cursor() = default;
};

// A prepared statement bound for one execution, from Transaction::Prepare. Reset when it
// goes out of scope. Parameters are 1-based; columns 0-based.
class Statement {
 public:
  explicit Statement(Cursor* cursor) : cursor_(cursor) {}
  Statement(Statement&& other) noexcept : cursor_(std::exchange(other.cursor_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (cursor_ != nullptr) cursor_->Reset();
  }

  Statement& Bind(int index, int64_t value) {
    cursor_->BindInt(index, value);
    return *this;
  }
  Statement& Bind(int index, absl::string_view value) {
    cursor_->BindText(index, value);
    return *this;
  }
  Statement& Bind(int index, const std::string& value) { return Bind(index, absl::string_view(value)); }
  Statement& Bind(int index, const char* value) { return Bind(index, absl::string_view(value)); }
  Statement& BindNull(int index) {
    cursor_->BindNull(index);
    return *this;
  }
  // Bytes (serialized protos may hold any byte): BLOB / BYTEA.
  Statement& BindBlob(int index, absl::string_view bytes) {
    cursor_->BindBlob(index, bytes);
    return *this;
  }
  // A time as microseconds since the epoch.
  Statement& BindTime(int index, absl::Time t) { return Bind(index, absl::ToUnixMicros(t)); }
  // absl::InfinitePast() ("not set") as NULL, any other time as BindTime does.
  Statement& BindOptionalTime(int index, absl::Time t) {
    return t == absl::InfinitePast() ? BindNull(index) : BindTime(index, t);
  }

  // Steps once: true with a row to read, false when done.
  absl::StatusOr<bool> Step() { return cursor_->Step(); }
  // Runs to completion, ignoring rows.
  absl::Status Run() {
    while (true) {
      absl::StatusOr<bool> row = Step();
      if (!row.ok()) return row.status();
      if (!*row) return absl::OkStatus();
    }
  }

  int64_t Int(int column) const { return cursor_->Int(column); }
  std::string Text(int column) const { return cursor_->Text(column); }
  std::string Blob(int column) const { return cursor_->Blob(column); }
  bool IsNull(int column) const { return cursor_->IsNull(column); }
  absl::Time Time(int column) const { return absl::FromUnixMicros(Int(column)); }
  // NULL reads as absl::InfinitePast() ("not set").
  absl::Time OptionalTime(int column) const {
    return IsNull(column) ? absl::InfinitePast() : Time(column);
  }

 private:
  Cursor* cursor_;
};

// One transaction, as a store's code sees it. Errors of its statements are translated:
// unique violation -> ALREADY_EXISTS, other constraint -> FAILED_PRECONDITION, the store
// busy or unreachable -> UNAVAILABLE, a sum past 64 bits -> OUT_OF_RANGE.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // A statement from the connection's cache of prepared statements.
  virtual absl::StatusOr<Statement> Prepare(absl::string_view sql) = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  virtual int64_t Changes() const = 0;
  virtual Dialect dialect() const = 0;
};

// A schema migration: its version (1, 2, ...), name, and the SQL that brings the schema
// from the previous version to it.
struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// FAILED_PRECONDITION when a database (`what`: its file or redacted URL) is at a schema
// version newer than the newest of `migrations`: a newer binary wrote it, and this one
// would misread it.
absl::Status CheckSchemaNotNewer(absl::string_view what, int version, const std::vector<Migration>& migrations);

// INTERNAL unless `migrations` are versions 1, 2, 3 ... in order, each named [a-z0-9_]+ and
// with SQL to run. Both drivers check before they touch a database, so a series written by
// hand ({1, "CREATE ..."} would compile as a name without SQL) cannot pass for a schema.
absl::Status CheckMigrations(const std::vector<Migration>& migrations);

// A database a store runs its transactions on.
class Database {
 public:
  virtual ~Database() = default;
  // Runs `work` in one write transaction: durable when this returns OK, without effect
  // otherwise. Write transactions behave as if run one at a time (SQLite: one writer with
  // group commit; PostgreSQL: SERIALIZABLE, so `work` may run more than once when it
  // conflicts with another transaction: it must have no effect outside the transaction).
  virtual absl::Status Write(absl::FunctionRef<absl::Status(Transaction&)> work) = 0;
  // Runs read-only `work` in one read transaction: it sees one consistent state (what was
  // committed when it began) and does not wait for writers. Any write in it fails.
  virtual absl::Status Read(absl::FunctionRef<absl::Status(Transaction&)> work) = 0;
  // Runs `work` in a write transaction in which each statement sees what was committed
  // when it began (no retry: for bookkeeping that takes its own locks, e.g. numbering
  // events). SQLite runs it as Write does.
  virtual absl::Status WriteEachStatementFresh(absl::FunctionRef<absl::Status(Transaction&)> work) = 0;
  // OK while the database answers a read.
  virtual absl::Status Ping() = 0;
  // OK while the write path works (for health checks; cheap when healthy).
  virtual absl::Status CheckWriter() = 0;
  // Highest migration version applied.
  virtual int schema_version() const = 0;
  virtual Dialect dialect() const = 0;
};

// Runs `work` (Transaction& -> absl::StatusOr<T>) through `run` (a member such as
// &Database::Write) and returns what it returned once committed.
template <typename WorkFn>
auto RunValue(Database& db, absl::Status (Database::*run)(absl::FunctionRef<absl::Status(Transaction&)>),
              WorkFn work) -> decltype(work(std::declval<Transaction&>())) {
  decltype(work(std::declval<Transaction&>())) out = absl::UnknownError("not run");
  absl::Status s = (db.*run)([&](Transaction& tx) -> absl::Status {
    out = work(tx);
    return out.status();
  });
  if (!s.ok()) return s;
  return out;
}

// Runs `read` (Transaction& -> absl::StatusOr<T>) in a read transaction and returns what
// it returned.
template <typename ReadFn>
auto ReadValue(Database& db, ReadFn read) -> decltype(read(std::declval<Transaction&>())) {
  return RunValue(db, &Database::Read, std::move(read));
}

// Runs `write` (Transaction& -> absl::StatusOr<T>) in a write transaction and returns what
// it returned once committed.
template <typename WriteFn>
auto WriteValue(Database& db, WriteFn write) -> decltype(write(std::declval<Transaction&>())) {
  return RunValue(db, &Database::Write, std::move(write));
}

// Reads a keyset page from `q`, which selects the cursor (seq) as column 0, ordered by it,
// with LIMIT limit + 1: the extra row only tells that more follow.
template <typename T, typename Reader>
absl::StatusOr<Page<T>> ReadPage(Statement& q, int limit, Reader read) {
  Page<T> page;
  int64_t last_seq = 0;
  while (true) {
    absl::StatusOr<bool> row = q.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = last_seq;
      break;
    }
    last_seq = q.Int(0);
    page.items.push_back(read(q));
  }
  return page;
}

// The first row of `q` read with `read`, or nullopt when there is none.
template <typename T, typename Reader>
absl::StatusOr<std::optional<T>> ReadOptional(Statement& q, Reader read) {
  absl::StatusOr<bool> row = q.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<T>();
  return std::optional<T>(read(q));
}

// The first row of `q`, or NOT_FOUND saying "`what` does not exist".
template <typename T, typename Reader>
absl::StatusOr<T> ReadOne(Statement& q, Reader read, absl::string_view what) {
  absl::StatusOr<std::optional<T>> row = ReadOptional<T>(q, read);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError(absl::StrCat(what, " does not exist"));
  return **std::move(row);
}

// Reads every row of `q` with `read`.
template <typename T, typename Reader>
absl::StatusOr<std::vector<T>> ReadAll(Statement& q, Reader read) {
  std::vector<T> out;
  while (true) {
    absl::StatusOr<bool> row = q.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(read(q));
  }
}

// Runs an UPDATE or DELETE that must change exactly one row; NOT_FOUND naming `what`
// when it changed none.
inline absl::Status RunOnOneRow(Transaction& tx, Statement& q, absl::string_view what) {
  if (absl::Status s = q.Run(); !s.ok()) return s;
  if (tx.Changes() != 1) return absl::NotFoundError(absl::StrCat(what, " does not exist"));
  return absl::OkStatus();
}

}  // namespace handoff::sql

#endif  // HANDOFF_COMMON_SQL_SQL_H_
