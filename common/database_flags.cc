#include "common/database_flags.h"

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(5),
          "Time bound of the write path: waiting for the writer (SQLite) or a free connection "
          "(PostgreSQL), one call's work in a write transaction, waiting for a lock; past it the "
          "call fails UNAVAILABLE and health turns NOT_SERVING");
ABSL_FLAG(int32_t, database_pool_size, 8,
          "PostgreSQL: connections in the pool, so transactions at once (1-1000)");
ABSL_FLAG(std::string, database_password_file, "",
          "PostgreSQL: file whose first line is the password (e.g. a mounted Secret); without "
          "it libpq reads PGPASSWORD or ~/.pgpass. Never logged");

namespace handoff {

std::vector<std::string> DatabaseFlagNames() { return {"write_timeout", "database_pool_size", "database_password_file"}; }

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
  const std::string password_file = absl::GetFlag(FLAGS_database_password_file);
  if (!password_file.empty()) {
    absl::StatusOr<std::string> password = ReadPasswordFile(password_file);
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
  }
  return options;
}

}  // namespace handoff
