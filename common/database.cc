#include "common/database.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/postgres/database.h"
#include "common/sqlite/database.h"
#include "common/validation.h"

namespace handoff {

absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url) {
  if (absl::ConsumePrefix(&url, "sqlite:")) {
    if (url.empty()) return absl::InvalidArgumentError("--database: sqlite: needs a file path");
    return DatabaseUrl{DatabaseUrl::Kind::kSqlite, std::string(url)};
  }
  if (absl::StartsWith(url, "postgres://") || absl::StartsWith(url, "postgresql://")) {
    return DatabaseUrl{DatabaseUrl::Kind::kPostgres, std::string(url)};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--database: ", Quote(RedactDatabaseUrl(url)), " is neither sqlite:PATH nor postgres://..."));
}

std::string RedactDatabaseUrl(absl::string_view url) { return postgres::Database::Redact(url); }

namespace {

// Whether a failed PostgreSQL open may succeed on its own soon: the server cannot be
// reached yet, or answers that it is still starting. A server that refused the password
// or has no such database said FATAL for a reason that will not mend by itself, and a
// failed migration is not UNAVAILABLE at all.
bool StillComing(const absl::Status& status) {
  if (!absl::IsUnavailable(status)) return false;
  return !absl::StrContains(status.message(), "FATAL:") ||
         absl::StrContains(status.message(), "the database system is starting up") ||
         absl::StrContains(status.message(), "the database system is not yet accepting connections");
}

}  // namespace

absl::StatusOr<std::unique_ptr<sql::Database>> OpenDatabase(
    absl::string_view url, const std::vector<sql::Migration>& sqlite_migrations,
    const std::vector<sql::Migration>& postgres_migrations, const DatabaseOptions& options) {
  absl::StatusOr<DatabaseUrl> parsed = ParseDatabaseUrl(url);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<std::unique_ptr<sql::Database>> db;
  if (parsed->kind == DatabaseUrl::Kind::kSqlite) {
    sqlite::DatabaseOptions o;
    o.write_timeout = options.write_timeout;
    o.readers = options.sqlite_readers;
    o.cache_kib = options.sqlite_cache_kib;
    o.durable = options.sqlite_durable;
    o.memory_temp_store = options.sqlite_memory_temp_store;
    absl::StatusOr<std::unique_ptr<sqlite::Database>> opened = sqlite::Database::Open(parsed->target, sqlite_migrations, o);
    if (opened.ok()) {
      db = std::unique_ptr<sql::Database>(*std::move(opened));
    } else {
      db = opened.status();
    }
  } else {
    postgres::DatabaseOptions o;
    o.pool_size = options.pool_size;
    o.writers = options.writers;
    o.statement_timeout = options.write_timeout;
    o.password = options.password;
    o.application_name = options.application_name;
    const absl::Time give_up = absl::Now() + options.startup_wait;
    absl::Duration pause = absl::Milliseconds(250);
    absl::StatusOr<std::unique_ptr<postgres::Database>> opened =
        postgres::Database::Open(parsed->target, postgres_migrations, o);
    while (StillComing(opened.status()) && absl::Now() + pause < give_up) {
      LogWarning(options.application_name,
                 absl::StrCat("waiting for the database (", opened.status().message(), "); next try in ",
                              absl::FormatDuration(pause)));
      absl::SleepFor(pause);
      pause = std::min(pause * 2, absl::Seconds(2));
      opened = postgres::Database::Open(parsed->target, postgres_migrations, o);
    }
    if (opened.ok()) {
      db = std::unique_ptr<sql::Database>(*std::move(opened));
    } else {
      db = opened.status();
    }
  }
  if (!db.ok()) {
    return absl::Status(db.status().code(), absl::StrCat("--database: ", db.status().message()));
  }
  return db;
}

absl::StatusOr<std::string> ReadPasswordFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--database_password_file: cannot read ", path));
  std::string line;
  std::getline(in, line);
  while (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return absl::InvalidArgumentError(absl::StrCat("--database_password_file: ", path, " is empty"));
  return line;
}

}  // namespace handoff
