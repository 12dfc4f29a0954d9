#ifndef HANDOFF_COMMON_GRPC_STATUS_H_
#define HANDOFF_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace handoff {

// absl and gRPC share the canonical code numbers; these keep code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_STATUS_H_
