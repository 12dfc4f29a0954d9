#ifndef HANDOFF_COMMON_DATABASE_H_
#define HANDOFF_COMMON_DATABASE_H_

// Opens the database a --database value names, on whichever backend it names.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/sql.h"

namespace handoff {

// A parsed --database value.
struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind;
  std::string target;  // file path for SQLite, the whole URL for PostgreSQL
};

// Accepts "sqlite:PATH" (relative or absolute) and "postgres://..." / "postgresql://...".
absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url);

// How the database is opened, whichever the backend.
struct DatabaseOptions {
  // The time bound of the write path: SQLite's --write_timeout (see
  // sqlite::DatabaseOptions); PostgreSQL's statement and lock timeouts and the wait for a
  // free connection.
  absl::Duration write_timeout = absl::Seconds(5);
  // PostgreSQL: connections in the pool (--database_pool_size).
  int pool_size = 8;
  // PostgreSQL: write transactions at once (--database_writers); more than pool_size
  // counts as pool_size.
  int writers = 2;
  // PostgreSQL: the password (from --database_password_file); empty: libpq's PGPASSWORD
  // or ~/.pgpass.
  std::string password;
  // PostgreSQL: shown in pg_stat_activity, and the component of start-up log lines.
  std::string application_name = "handoff";
  // PostgreSQL: how long start-up keeps trying a server that cannot be reached yet (it
  // may be starting beside this service, as in compose or a pod); zero fails at once.
  absl::Duration startup_wait = absl::ZeroDuration();
  // SQLite: reader connections, page cache, durability, where savepoints keep their undo
  // pages (see sqlite::DatabaseOptions; tests and bulk loads tune them).
  int sqlite_readers = 4;
  int sqlite_cache_kib = 16 * 1024;
  bool sqlite_durable = true;
  bool sqlite_memory_temp_store = true;
};

// Opens (creating an SQLite file if missing) and migrates the database `url` names, with
// the migrations of its backend. Errors name --database. An unreachable PostgreSQL server
// is tried again, with a log line each time, for up to options.startup_wait.
absl::StatusOr<std::unique_ptr<sql::Database>> OpenDatabase(
    absl::string_view url, const std::vector<sql::Migration>& sqlite_migrations,
    const std::vector<sql::Migration>& postgres_migrations, const DatabaseOptions& options);

// The password in `path` (its first line, without the line end): for
// --database_password_file, such as a mounted Kubernetes Secret.
absl::StatusOr<std::string> ReadPasswordFile(const std::string& path);

// `url` as it may be logged: any password replaced by "***".
std::string RedactDatabaseUrl(absl::string_view url);

}  // namespace handoff

#endif  // HANDOFF_COMMON_DATABASE_H_
