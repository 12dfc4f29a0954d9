#ifndef HANDOFF_COMMON_SQLITE_DATABASE_H_
#define HANDOFF_COMMON_SQLITE_DATABASE_H_

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
#include "common/sql/sql.h"

struct sqlite3;
struct sqlite3_stmt;

namespace handoff::sqlite {

// Translates an SQLite result code into an absl::Status with its meaning: unique or
// primary-key violation -> ALREADY_EXISTS, busy/locked -> UNAVAILABLE, a SUM() overflowing
// 64 bits -> OUT_OF_RANGE, anything else -> INTERNAL.
absl::Status FromSqlite(int code, absl::string_view context, sqlite3* db);

class Database;
class Connection;

// Statements are the backend-neutral handle; SQLite's cursor lives in database.cc.
using sql::Statement;
using sql::Migration;


// One SQLite transaction. A write transaction (BEGIN IMMEDIATE ... COMMIT) holds the
// database's write lock for its whole life, so write transactions never interleave. A read
// transaction (see Database::Read) runs on a read-only connection of its own and sees the
// database as it was when it began, beside the writer. Rolls back unless Commit() succeeded.
class Transaction final : public sql::Transaction {
 public:
  explicit Transaction(Database& db);
  // For a caller that already holds the database's write lock (group commit).
  struct LockHeld {};
  Transaction(Database& db, LockHeld);
  // A read transaction on `reader`, a connection the caller has checked out of the pool.
  struct ReadOnly {};
  Transaction(Connection& reader, ReadOnly);
  ~Transaction() override;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Status of BEGIN; check before use.
  const absl::Status& begin_status() const { return begin_status_; }
  // A statement from the connection's cache of prepared statements.
  absl::StatusOr<Statement> Prepare(absl::string_view sql) override;
  // Runs SQL without results (may hold several statements).
  absl::Status Exec(absl::string_view sql);
  absl::Status Commit();
  // Marks the transaction finished without a ROLLBACK (SQLite already ended it).
  void Abandon() { done_ = true; }
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const override;
  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }

 private:
  void Begin(const char* sql);

  Connection& conn_;
  std::optional<absl::MutexLock> lock_;
  absl::Status begin_status_;
  bool done_ = false;
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
  // true: the savepoints' undo pages (the sub-journal) stay in memory. Past 64 KiB (sixteen
  // pages, which a group of captures passes) SQLite otherwise puts them in a temporary file
  // that every group commit creates, writes and unlinks. false for transactions of hundreds
  // of MiB (bulk loads), for which SQLite's memory journal is slower than the file.
  bool memory_temp_store = true;
  // The time bound of the write path: a call waits at most this long for the writer
  // (then UNAVAILABLE), one call's work in a write transaction is interrupted after this
  // long (its statements fail, the call gets UNAVAILABLE), and waiting for another
  // process's lock on the file gives up after it. CheckWriter reports a writer that
  // exceeds it.
  absl::Duration write_timeout = absl::Seconds(5);
};

// An SQLite database file in WAL mode with synchronous=FULL: a committed transaction is
// on disk before Commit() returns, so nothing acknowledged is lost on a crash.
class Database final : public sql::Database {
 public:
  // Opens (creating if missing, with its parent directory) and applies `migrations` not
  // yet applied, each in its own transaction, recording them in schema_migrations.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path, const std::vector<Migration>& migrations,
      const DatabaseOptions& options = DatabaseOptions());
  ~Database() override;
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
  absl::Status Read(absl::FunctionRef<absl::Status(sql::Transaction&)> work) override;

  // sql::Database: writes go through group commit, reads to a reader connection.
  absl::Status Write(absl::FunctionRef<absl::Status(sql::Transaction&)> work) override {
    return RunGrouped([&](Transaction& tx) { return work(tx); });
  }
  absl::Status WriteEachStatementFresh(absl::FunctionRef<absl::Status(sql::Transaction&)> work) override {
    return Write(work);
  }
  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }

  // A cheap read that proves the database answers (for health checks).
  absl::Status Ping() override;
  // Whether the write path works, for health checks: UNAVAILABLE while one call's work
  // has held the writer longer than write_timeout (a stuck call), or while writes fail
  // for want of the lock or the disk (checked by an empty write transaction, only after
  // a write failed so; an idle, healthy writer costs nothing).
  absl::Status CheckWriter() override;
  const std::string& path() const { return path_; }
  // Highest migration version applied.
  int schema_version() const override { return schema_version_; }

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

}  // namespace handoff::sqlite

#endif  // HANDOFF_COMMON_SQLITE_DATABASE_H_
