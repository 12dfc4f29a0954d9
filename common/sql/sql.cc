#include "common/sql/sql.h"

#include <algorithm>

namespace handoff::sql {

absl::Status CheckSchemaNotNewer(absl::string_view what, int version, const std::vector<Migration>& migrations) {
  int known = 0;
  for (const Migration& m : migrations) known = std::max(known, m.version);
  if (version <= known) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      what, " is at schema version ", version, ", newer than this binary knows (", known,
      "): run the newer binary, or restore a backup made for this one"));
}

}  // namespace handoff::sql
