#ifndef HANDOFF_COMMON_SQLITE_H_
#define HANDOFF_COMMON_SQLITE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/page.h"

struct sqlite3;
struct sqlite3_stmt;

namespace handoff::sqlite {

// Translates an SQLite result code into an absl::Status with its meaning: unique or
// primary-key violation -> ALREADY_EXISTS, busy/locked -> UNAVAILABLE, a SUM() overflowing
// 64 bits -> OUT_OF_RANGE, anything else -> INTERNAL.
absl::Status FromSqlite(int code, absl::string_view context, sqlite3* db);

class Database;

// A prepared statement bound for one execution. Obtained from Transaction::Prepare; it is
// reset (and its bindings cleared) when it goes out of scope.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Binds by 1-based index. Text is copied.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, absl::string_view value);
  Statement& Bind(int index, const std::string& value) { return Bind(index, absl::string_view(value)); }
  Statement& Bind(int index, const char* value) { return Bind(index, absl::string_view(value)); }
  Statement& BindNull(int index);
  // Binds bytes as a BLOB (serialized protos may hold any byte).
  Statement& BindBlob(int index, absl::string_view bytes);
  // Binds a time as microseconds since the epoch.
  Statement& BindTime(int index, absl::Time t) { return Bind(index, absl::ToUnixMicros(t)); }
  // Binds absl::InfinitePast() ("not set") as NULL, any other time as BindTime does.
  Statement& BindOptionalTime(int index, absl::Time t) {
    return t == absl::InfinitePast() ? BindNull(index) : BindTime(index, t);
  }

  // Steps once: true with a row to read, false when done.
  absl::StatusOr<bool> Step();
  // Runs to completion, ignoring rows.
  absl::Status Run();

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;
  absl::Time Time(int column) const { return absl::FromUnixMicros(Int(column)); }
  // NULL reads as absl::InfinitePast() ("not set").
  absl::Time OptionalTime(int column) const {
    return IsNull(column) ? absl::InfinitePast() : Time(column);
  }

 private:
  friend class Transaction;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string sql);
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  absl::Status bind_status_;
};

class Connection;

// One SQLite transaction. A write transaction (BEGIN IMMEDIATE ... COMMIT) holds the
// database's write lock for its whole life, so write transactions never interleave. A read
// transaction (see Database::Read) runs on a read-only connection of its own and sees the
// database as it was when it began, beside the writer. Rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  // For a caller that already holds the database's write lock (group commit).
  struct LockHeld {};
  Transaction(Database& db, LockHeld);
  // A read transaction on `reader`, a connection the caller has checked out of the pool.
  struct ReadOnly {};
  Transaction(Connection& reader, ReadOnly);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Status of BEGIN; check before use.
  const absl::Status& begin_status() const { return begin_status_; }
  // A statement from the connection's cache of prepared statements.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs SQL without results (may hold several statements).
  absl::Status Exec(absl::string_view sql);
  absl::Status Commit();
  // Marks the transaction finished without a ROLLBACK (SQLite already ended it).
  void Abandon() { done_ = true; }
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;

 private:
  void Begin(const char* sql);

  Connection& conn_;
  std::optional<absl::MutexLock> lock_;
  absl::Status begin_status_;
  bool done_ = false;
};

// A schema migration: its version (1, 2, ...) and the SQL that brings the schema to it.
struct Migration {
  int version;
  std::string sql;
};

// How a Database is opened.
struct DatabaseOptions {
  // Read-only connections beside the writer: read transactions (Database::Read) use them
  // and never wait for the write lock. 0: reads share the writer's connection and lock.
  int readers = 4;
  // Page cache of each connection, in KiB (SQLite's default is 2,000).
  int cache_kib = 16 * 1024;
  // false: synchronous=OFF, for bulk loading a new file that can simply be loaded again.
  // A committed transaction may then be lost on a crash of the machine (not of the process).
  bool durable = true;
  // The time bound of the write path: a call waits at most this long for the writer
  // (then UNAVAILABLE), one call's work in a write transaction is interrupted after this
  // long (its statements fail, the call gets UNAVAILABLE), and waiting for another
  // process's lock on the file gives up after it. CheckWriter reports a writer that
  // exceeds it.
  absl::Duration write_timeout = absl::Seconds(5);
};

// An SQLite database file in WAL mode with synchronous=FULL: a committed transaction is
// on disk before Commit() returns, so nothing acknowledged is lost on a crash.
class Database {
 public:
  // Opens (creating if missing, with its parent directory) and applies `migrations` not
  // yet applied, each in its own transaction, recording them in schema_migrations.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path, const std::vector<Migration>& migrations,
      const DatabaseOptions& options = DatabaseOptions());
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `work` in a transaction with group commit: calls that arrive while another
  // transaction holds the lock wait, and the next of them to get the lock runs all waiting
  // work in one transaction, each in its own savepoint, with one COMMIT (one fsync) for all.
  // Each call still gets its own result: work that fails is rolled back to its savepoint
  // without touching the others; a failed COMMIT fails every call of the batch. Returns
  // once the work is durable (or failed and left nothing behind).
  absl::Status RunGrouped(absl::FunctionRef<absl::Status(Transaction&)> work);

  // Runs `work` in a read transaction on a reader connection (waiting for a free one): it
  // sees every transaction committed before it began and nothing after. Writing in it fails
  // (the connection is read-only). Without readers, runs under the write lock instead.
  absl::Status Read(absl::FunctionRef<absl::Status(Transaction&)> work);

  // A cheap read that proves the database answers (for health checks).
  absl::Status Ping();
  // Whether the write path works, for health checks: UNAVAILABLE while one call's work
  // has held the writer longer than write_timeout (a stuck call), or while writes fail
  // for want of the lock or the disk (checked by an empty write transaction, only after
  // a write failed so; an idle, healthy writer costs nothing).
  absl::Status CheckWriter();
  const std::string& path() const { return path_; }
  // Highest migration version applied.
  int schema_version() const { return schema_version_; }

 private:
  friend class Transaction;
  Database(std::unique_ptr<Connection> writer, std::string path);
  absl::Status OpenReaders(const DatabaseOptions& options);

  // SQLite's progress handler on the writer: interrupts work past write_timeout.
  static int InterruptIfOverdue(void* self);

  absl::Duration write_timeout_ = absl::Seconds(5);
  // When the work now holding the writer began (Unix microseconds), 0 when idle.
  std::atomic<int64_t> work_started_us_{0};
  // A batch failed for want of the lock, disk or time; cleared by a committed batch.
  std::atomic<bool> writes_failing_{false};

  absl::Mutex mu_;  // the write lock
  std::unique_ptr<Connection> writer_;
  std::string path_;
  int schema_version_ = 0;

  // Read-only connections and the ones not in use.
  std::vector<std::unique_ptr<Connection>> readers_;
  absl::Mutex pool_mu_;
  std::vector<Connection*> free_readers_ ABSL_GUARDED_BY(pool_mu_);

  // Work waiting for group commit (see RunGrouped).
  struct PendingWork {
    absl::FunctionRef<absl::Status(Transaction&)> work;
    absl::Status result;
    bool done = false;
  };
  absl::Mutex queue_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::vector<PendingWork*> queue_ ABSL_GUARDED_BY(queue_mu_);
  // A caller has taken the queue and runs it (or waits for mu_ to).
  bool batch_running_ ABSL_GUARDED_BY(queue_mu_) = false;
};

// Runs `read` (Transaction& -> absl::StatusOr<T>) in a read transaction (Database::Read)
// and returns what it returned.
template <typename Read>
auto ReadValue(Database& db, Read read) -> decltype(read(std::declval<Transaction&>())) {
  decltype(read(std::declval<Transaction&>())) out = absl::UnknownError("not read");
  absl::Status s = db.Read([&](Transaction& tx) -> absl::Status {
    out = read(tx);
    return out.status();
  });
  if (!s.ok()) return s;
  return out;
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

// Runs an UPDATE or DELETE that must change exactly one row; NOT_FOUND naming `what`
// when it changed none.
absl::Status RunOnOneRow(Transaction& tx, Statement& q, absl::string_view what);

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

}  // namespace handoff::sqlite

#endif  // HANDOFF_COMMON_SQLITE_H_
