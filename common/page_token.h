#ifndef HANDOFF_COMMON_PAGE_TOKEN_H_
#define HANDOFF_COMMON_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

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

}  // namespace handoff

#endif  // HANDOFF_COMMON_PAGE_TOKEN_H_
