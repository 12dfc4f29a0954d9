#include "common/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
  return absl::InvalidArgumentError(
      "page_token is not a token this service issued; pass next_page_token unchanged");
}

}  // namespace handoff
