#include "common/sql/sql.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace handoff::sql {

absl::Status CheckSchemaNotNewer(absl::string_view what, int version, const std::vector<Migration>& migrations) {
  int known = 0;
  for (const Migration& m : migrations) known = std::max(known, m.version);
  if (version <= known) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      what, " is at schema version ", version, ", newer than this binary knows (", known,
      "): run the newer binary, or restore a backup made for this one"));
}

absl::Status CheckMigrations(const std::vector<Migration>& migrations) {
  int expected = 1;
  for (const Migration& m : migrations) {
    if (m.version != expected) {
      return absl::InternalError(
          absl::StrCat("migration ", m.version, " follows ", expected - 1, "; versions go 1, 2, 3 ... without gaps"));
    }
    ++expected;
    const bool named = !m.name.empty() && std::all_of(m.name.begin(), m.name.end(), [](char c) {
      return absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
             c == '_';
    });
    if (!named) {
      return absl::InternalError(absl::StrCat("migration ", m.version, " is named \"", absl::CEscape(m.name),
                                              "\"; a name is lower-case letters, digits and _"));
    }
    if (absl::StripAsciiWhitespace(m.sql).empty()) {
      return absl::InternalError(absl::StrCat("migration ", m.version, " (", m.name, ") has no SQL"));
    }
  }
  return absl::OkStatus();
}

}  // namespace handoff::sql
