#include "common/ids.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace handoff {

std::string NewId() {
  thread_local absl::BitGen gen;
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint64_t lo = absl::Uniform<uint64_t>(gen);
  return absl::StrCat(absl::Hex(hi, absl::kZeroPad16), absl::Hex(lo, absl::kZeroPad16));
}

std::string ResourceName(absl::string_view collection, absl::string_view id) {
  return absl::StrCat(collection, "/", id);
}

std::optional<std::string> ParseResourceName(absl::string_view name,
                                             absl::string_view collection) {
  if (!absl::ConsumePrefix(&name, collection) || !absl::ConsumePrefix(&name, "/")) {
    return std::nullopt;
  }
  if (name.empty() || name.size() > 64) return std::nullopt;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return std::nullopt;
  }
  return std::string(name);
}

absl::StatusOr<std::string> ParseNameField(absl::string_view name, absl::string_view collection,
                                           absl::string_view field) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  std::optional<std::string> id = ParseResourceName(name, collection);
  if (!id) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", name, "\" is not of the form ", collection, "/{id}"));
  }
  return *id;
}

std::string EtagOf(int64_t version) { return absl::StrCat("v", version); }

}  // namespace handoff
