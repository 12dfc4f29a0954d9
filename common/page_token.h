#ifndef HANDOFF_COMMON_PAGE_TOKEN_H_
#define HANDOFF_COMMON_PAGE_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace handoff {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// page_size: 0 -> default 50, above 500 -> 500, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> ClampPageSize(int32_t page_size);

// An opaque token for a keyset cursor.
std::string EncodePageToken(int64_t cursor);
// 0 for an empty token; INVALID_ARGUMENT ("page_token") for one we did not issue.
absl::StatusOr<int64_t> DecodePageToken(absl::string_view token);

// A token for a two-part keyset cursor (for example a time and a sequence).
std::string EncodePageToken(int64_t first, int64_t second);
// nullopt for an empty token; INVALID_ARGUMENT ("page_token") for one we did not issue.
absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> DecodePairPageToken(absl::string_view token);

}  // namespace handoff

#endif  // HANDOFF_COMMON_PAGE_TOKEN_H_
