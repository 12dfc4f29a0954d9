#include "common/ids.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/validation.h"

namespace handoff {

std::string NewId() {
  // The first 48 bits are the time in milliseconds (as in UUIDv7): ids made close in time
  // sort close together, so a new row's entry in every index keyed by an id lands on the
  // same few pages as the last ones instead of on a random page of a large index. The 80
  // bits after it are random.
  thread_local absl::BitGen gen;
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now())) & 0xFFFFFFFFFFFFull;
  const uint64_t hi = (ms << 16) | absl::Uniform<uint64_t>(gen, 0, 1u << 16);
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
        absl::StrCat(field, ": ", Quote(name), " is not of the form ", collection, "/{id}"));
  }
  return *id;
}

std::string EtagOf(int64_t version) { return absl::StrCat("v", version); }

}  // namespace handoff
