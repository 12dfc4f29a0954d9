#ifndef HANDOFF_COMMON_GRPC_STATUS_H_
#define HANDOFF_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace handoff {

// The most of a status message sent to a caller; longer ones are cut (default clients
// refuse metadata over 8 KiB, and would report RESOURCE_EXHAUSTED instead).
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// What a caller of `method` is told: the code, the message cut to kMaxStatusMessageBytes,
// and a google.rpc.Status with the AIP-193 details (common/error_details.h) in
// grpc-status-details-bin. INTERNAL and UNKNOWN (bugs) are logged here with their details
// and say only that to the caller, so storage internals such as SQL never reach callers.
grpc::Status ToCallerStatus(const absl::Status& status, absl::string_view method);
// ToCallerStatus for refusals made by the transport itself (limits, authorization,
// metadata checks), which are never INTERNAL.
grpc::Status CallerError(const absl::Status& status);
// A peer's answer as an absl::Status, its details (ErrorInfo, RetryInfo...) as payloads.
absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_STATUS_H_
