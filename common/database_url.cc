#include "common/database_url.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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
      "--database: ", Quote(url), " is neither sqlite:PATH nor postgres://..."));
}

absl::StatusOr<std::string> SqlitePathOf(absl::string_view url) {
  absl::StatusOr<DatabaseUrl> parsed = ParseDatabaseUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->kind != DatabaseUrl::Kind::kSqlite) {
    return absl::UnimplementedError(
        "--database: PostgreSQL is not supported by this build yet; use sqlite:PATH");
  }
  return parsed->target;
}

}  // namespace handoff
