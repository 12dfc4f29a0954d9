#include "common/database_flags.h"

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(5),
          "Time bound of the write path: waiting for the writer (SQLite) or a free connection "
          "(PostgreSQL), one call's work in a write transaction, waiting for a lock; past it the "
          "call fails UNAVAILABLE and health turns NOT_SERVING");
ABSL_FLAG(int32_t, database_pool_size, 8,
          "PostgreSQL: connections in the pool, so transactions at once (1-1000)");
ABSL_FLAG(int32_t, database_writers, 2,
          "PostgreSQL: write transactions of this process at once (1-1000, at most "
          "--database_pool_size); one that fails to serialize against the others runs again alone");
ABSL_FLAG(std::string, database_password_file, "",
          "PostgreSQL: file whose first line is the password (e.g. a mounted Secret); without "
          "it libpq reads PGPASSWORD or ~/.pgpass. Never logged");
ABSL_FLAG(absl::Duration, database_startup_wait, absl::Seconds(30),
          "PostgreSQL: how long start-up keeps trying a server it cannot reach (logging each "
          "try) before it gives up; 0s fails at once");

namespace handoff {

std::vector<std::string> DatabaseFlagNames() { return {"write_timeout", "database_pool_size", "database_writers", "database_password_file", "database_startup_wait"}; }

absl::StatusOr<DatabaseOptions> DatabaseOptionsFromFlags(const std::string& application_name) {
  DatabaseOptions options;
  options.application_name = application_name;
  options.write_timeout = absl::GetFlag(FLAGS_write_timeout);
  if (options.write_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--write_timeout must be positive");
  }
  options.pool_size = absl::GetFlag(FLAGS_database_pool_size);
  if (options.pool_size < 1 || options.pool_size > 1000) {
    return absl::InvalidArgumentError("--database_pool_size must be between 1 and 1000");
  }
  options.writers = absl::GetFlag(FLAGS_database_writers);
  if (options.writers < 1 || options.writers > 1000) {
    return absl::InvalidArgumentError("--database_writers must be between 1 and 1000");
  }
  options.startup_wait = absl::GetFlag(FLAGS_database_startup_wait);
  if (options.startup_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--database_startup_wait must not be negative");
  }
  const std::string password_file = absl::GetFlag(FLAGS_database_password_file);
  if (!password_file.empty()) {
    absl::StatusOr<std::string> password = ReadPasswordFile(password_file);
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
  }
  return options;
}

}  // namespace handoff
