#include "common/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace handoff {

absl::StatusOr<int> ClampPageSize(int32_t page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : page_size;
}

std::string EncodePageToken(int64_t cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat("after:", cursor));
}

namespace {
absl::Status NotOurs() {
  return absl::InvalidArgumentError(
      "page_token is not a token this service issued; pass next_page_token unchanged");
}
}  // namespace

std::string EncodePageToken(int64_t first, int64_t second) {
  return absl::WebSafeBase64Escape(absl::StrCat("after2:", first, ":", second));
}

absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> DecodePairPageToken(absl::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return NotOurs();
  absl::string_view view = raw;
  if (!absl::ConsumePrefix(&view, "after2:")) return NotOurs();
  const std::vector<absl::string_view> parts = absl::StrSplit(view, ':');
  std::pair<int64_t, int64_t> out;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &out.first) ||
      !absl::SimpleAtoi(parts[1], &out.second) || out.second < 0) {
    return NotOurs();
  }
  return std::optional<std::pair<int64_t, int64_t>>(out);
}

absl::StatusOr<int64_t> DecodePageToken(absl::string_view token) {
  if (token.empty()) return 0;
  std::string raw;
  int64_t cursor = 0;
  absl::string_view view;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    view = raw;
    if (absl::ConsumePrefix(&view, "after:") && absl::SimpleAtoi(view, &cursor) && cursor >= 0) {
      return cursor;
    }
  }
  return NotOurs();
}

}  // namespace handoff
