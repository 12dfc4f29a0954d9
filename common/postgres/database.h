#ifndef HANDOFF_COMMON_POSTGRES_DATABASE_H_
#define HANDOFF_COMMON_POSTGRES_DATABASE_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/postgres/write_gate.h"
#include "common/sql/sql.h"

namespace handoff::postgres {

// How a Database connects.
struct DatabaseOptions {
  // Connections in the pool: at most this many transactions at once.
  int pool_size = 8;
  // Write transactions of this process at once (more than pool_size counts as pool_size;
  // 1: one at a time). One that fails to serialize against the others runs again alone.
  int writers = 2;
  // The time bound of one statement (statement_timeout), of waiting for a row lock
  // (lock_timeout) and of waiting for a free connection; past it the call is UNAVAILABLE.
  absl::Duration statement_timeout = absl::Seconds(5);
  // How long one connection attempt may take (libpq connect_timeout).
  absl::Duration connect_timeout = absl::Seconds(5);
  // A write transaction that fails to serialize (SQLSTATE 40001) or deadlocks (40P01) is run
  // again, up to this many runs in all; then the call is ABORTED.
  int max_attempts = 10;
  // The password; empty: libpq's own sources (PGPASSWORD, ~/.pgpass).
  std::string password;
  // Shown in pg_stat_activity.
  std::string application_name = "handoff";
};

// A PostgreSQL database reached through libpq: a bounded pool of connections, each with
// its own cache of prepared statements (prepared on first use with the types bound, then
// reused). Write transactions are SERIALIZABLE and retried on serialization failures, so
// every rule the stores check inside a transaction holds as if transactions ran one at a
// time (a process runs up to options.writers of them side by side, and a retry alone: see
// WriteGate; reads run beside them on the other connections as REPEATABLE READ READ ONLY
// snapshots). A connection found broken is
// replaced on next use, so the database coming back needs no restart of the service.
class Database final : public sql::Database {
 public:
  // Connects to `url` (a libpq URI, postgres://USER@HOST:PORT/DB?sslmode=...), takes an
  // advisory lock so replicas starting together migrate one at a time, applies the
  // migrations not yet applied (each in its own transaction, recorded in
  // schema_migrations), and refuses a database at a newer schema than `migrations` know.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& url,
                                                        const std::vector<sql::Migration>& migrations,
                                                        const DatabaseOptions& options = DatabaseOptions());
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  absl::Status Write(absl::FunctionRef<absl::Status(sql::Transaction&)> work) override;
  absl::Status Read(absl::FunctionRef<absl::Status(sql::Transaction&)> work) override;
  absl::Status WriteEachStatementFresh(absl::FunctionRef<absl::Status(sql::Transaction&)> work) override;
  absl::Status Ping() override;
  absl::Status CheckWriter() override { return Ping(); }
  int schema_version() const override { return schema_version_; }
  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

  // How many write transactions were run again after a serialization failure or deadlock.
  int64_t retries() const { return retries_.load(std::memory_order_relaxed); }

  // `url` with its password (if it holds one) replaced by "***", for logs and errors.
  static std::string Redact(absl::string_view url);

  class Connection;

 private:
  Database(std::string url, DatabaseOptions options);
  absl::StatusOr<Connection*> Acquire();
  void Release(Connection* conn);
  // Runs `work` between `begin` and COMMIT on a pooled connection, `attempts` times at most
  // while it fails to serialize. With `gate`, each attempt runs inside it, the first beside
  // others and each later one alone (UNAVAILABLE when it is not let in within the statement
  // timeout); the back-off between attempts is outside, so other writes go on meanwhile.
  absl::Status RunTransaction(const char* begin, int attempts,
                              absl::FunctionRef<absl::Status(sql::Transaction&)> work,
                              WriteGate* gate = nullptr);

  const std::string url_;
  const DatabaseOptions options_;
  int schema_version_ = 0;
  std::atomic<int64_t> retries_{0};

  WriteGate writers_;  // admits each attempt of each Write
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<Connection*> free_ ABSL_GUARDED_BY(mu_);
};

// Splits the SQL of the stores (`?` and `?N` placeholders, as SQLite takes them) into
// PostgreSQL's ($1, $2, ...); sets `*params` to the highest parameter number. Question
// marks in quoted strings and identifiers are left alone.
std::string TranslatePlaceholders(absl::string_view sql, int* params);

}  // namespace handoff::postgres

#endif  // HANDOFF_COMMON_POSTGRES_DATABASE_H_
