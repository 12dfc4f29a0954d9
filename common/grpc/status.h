#ifndef HANDOFF_COMMON_GRPC_STATUS_H_
#define HANDOFF_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace handoff {

// absl and gRPC share the canonical code numbers; these keep code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The most of a status message sent to a caller; longer ones are cut (default clients
// refuse metadata over 8 KiB, and would report RESOURCE_EXHAUSTED instead).
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// What a caller of `method` is told: the code, and the message cut to
// kMaxStatusMessageBytes. INTERNAL and UNKNOWN (bugs) are logged here with their details
// and say only that to the caller, so storage internals such as SQL never reach callers.
grpc::Status ToCallerStatus(const absl::Status& status, absl::string_view method);
absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_STATUS_H_
