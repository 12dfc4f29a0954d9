#ifndef HANDOFF_COMMON_PAGE_TOKEN_H_
#define HANDOFF_COMMON_PAGE_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace handoff {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// page_size: 0 -> default 50, above 500 -> 500, negative -> INVALID_ARGUMENT.
absl::StatusOr<int> ClampPageSize(int32_t page_size);

// Page tokens are opaque and bound to the list request they continue: the request's type
// (which list) and a fingerprint of every field but page_token and page_size (its
// filters). A token presented with another list or other filters is INVALID_ARGUMENT.

// A token for the page after keyset cursor `cursor` of `request`'s list.
std::string EncodePageToken(const google::protobuf::Message& request, int64_t cursor);
// The cursor in `request`'s page_token: 0 when it is empty; INVALID_ARGUMENT
// ("page_token") for a token not issued for this list with these filters.
absl::StatusOr<int64_t> DecodePageToken(const google::protobuf::Message& request);

// The same for a two-part keyset cursor (for example a time and a sequence).
std::string EncodePageToken(const google::protobuf::Message& request, int64_t first, int64_t second);
// nullopt when page_token is empty.
absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> DecodePairPageToken(
    const google::protobuf::Message& request);

}  // namespace handoff

#endif  // HANDOFF_COMMON_PAGE_TOKEN_H_
