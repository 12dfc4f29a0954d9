#include "common/database_url.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

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
      "--database: \"", url, "\" is neither sqlite:PATH nor postgres://..."));
}

}  // namespace handoff
