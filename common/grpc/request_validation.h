#ifndef HANDOFF_COMMON_GRPC_REQUEST_VALIDATION_H_
#define HANDOFF_COMMON_GRPC_REQUEST_VALIDATION_H_

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace handoff {

// Checks every google.protobuf.Timestamp set anywhere in `request` (nested and repeated
// fields included) against the range the type defines: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z, with 0 <= nanos < 10^9. INVALID_ARGUMENT naming the
// field's path (e.g. "campaign.start_time") otherwise.
absl::Status ValidateTimestamps(const google::protobuf::Message& request);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_REQUEST_VALIDATION_H_
