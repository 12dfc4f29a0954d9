#ifndef HANDOFF_COMMON_DATABASE_URL_H_
#define HANDOFF_COMMON_DATABASE_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace handoff {

// A parsed --database value.
struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind;
  std::string target;  // file path for SQLite, the whole URL for PostgreSQL
};

// Accepts "sqlite:PATH" (relative or absolute) and "postgres://..." / "postgresql://...".
absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url);

// The SQLite file of a --database value; UNIMPLEMENTED for PostgreSQL (not in this build
// yet), INVALID_ARGUMENT for anything else.
absl::StatusOr<std::string> SqlitePathOf(absl::string_view url);

}  // namespace handoff

#endif  // HANDOFF_COMMON_DATABASE_URL_H_
