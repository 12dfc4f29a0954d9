#ifndef HANDOFF_COMMON_GRPC_LIST_SYNC_H_
#define HANDOFF_COMMON_GRPC_LIST_SYNC_H_

// Incremental sync on List RPCs: `min_update_time` keeps the items changed at or after a
// time, and `order_by` "update_time" lists them by last change, oldest first (AIP-132),
// so a caller can sync "everything changed since T" and resume from the last item seen.

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/page.h"

namespace handoff {

// Where a List request starts: the sequence cursor and the update-time window and order.
struct ListPosition {
  int64_t after_seq = 0;
  UpdateOrder sync;
};

// Reads `request`'s order_by ("" = the list's own order; "update_time" or "update_time
// asc"), min_update_time (may be null when unset) and page_token. INVALID_ARGUMENT naming
// order_by or page_token otherwise.
absl::StatusOr<ListPosition> ReadListPosition(const google::protobuf::Message& request, absl::string_view order_by,
                                              const google::protobuf::Timestamp* min_update_time);

// The page token after the last item listed (its sequence and update time).
std::string NextListPageToken(const google::protobuf::Message& request, const UpdateOrder& sync, int64_t seq,
                              absl::Time update_time);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_LIST_SYNC_H_
