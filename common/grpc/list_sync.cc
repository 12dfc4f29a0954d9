#include "common/grpc/list_sync.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/page_token.h"
#include "common/validation.h"

namespace handoff {

absl::StatusOr<ListPosition> ReadListPosition(const google::protobuf::Message& request, absl::string_view order_by,
                                              const google::protobuf::Timestamp* min_update_time) {
  ListPosition at;
  const std::string order = absl::AsciiStrToLower(absl::StripAsciiWhitespace(order_by));
  if (order == "update_time" || order == "update_time asc") {
    at.sync.by_update_time = true;
  } else if (!order.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("order_by: ", Quote(order_by),
                                                   " is not supported; use \"update_time\" or leave it empty"));
  }
  if (min_update_time != nullptr) at.sync.min_update_us = absl::ToUnixMicros(FromProto(*min_update_time));
  if (at.sync.by_update_time) {
    absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> cursor = DecodePairPageToken(request);
    if (!cursor.ok()) return cursor.status();
    if (*cursor) {
      at.sync.after_update_us = (*cursor)->first;
      at.after_seq = (*cursor)->second;
    } else {
      at.sync.after_update_us = at.sync.min_update_us;  // (min, 0): everything from min on
    }
    return at;
  }
  absl::StatusOr<int64_t> after = DecodePageToken(request);
  if (!after.ok()) return after.status();
  at.after_seq = *after;
  return at;
}

std::string NextListPageToken(const google::protobuf::Message& request, const UpdateOrder& sync, int64_t seq,
                              absl::Time update_time) {
  if (sync.by_update_time) return EncodePageToken(request, absl::ToUnixMicros(update_time), seq);
  return EncodePageToken(request, seq);
}

}  // namespace handoff
