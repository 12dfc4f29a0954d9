#ifndef HANDOFF_COMMON_DATABASE_FLAGS_H_
#define HANDOFF_COMMON_DATABASE_FLAGS_H_

// The flags both services share for their database (--database itself stays in each main:
// its default names the service's own file): --write_timeout, --database_pool_size and
// --database_password_file.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/database.h"

namespace handoff {

// Names of the flags defined here, for ApplyFlagsFromEnvironment.
std::vector<std::string> DatabaseFlagNames();

// The options the flags ask for; INVALID_ARGUMENT naming the flag when one is out of range
// or the password file cannot be read. `application_name` shows in pg_stat_activity.
absl::StatusOr<DatabaseOptions> DatabaseOptionsFromFlags(const std::string& application_name);

}  // namespace handoff

#endif  // HANDOFF_COMMON_DATABASE_FLAGS_H_
