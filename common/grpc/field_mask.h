#ifndef HANDOFF_COMMON_GRPC_FIELD_MASK_H_
#define HANDOFF_COMMON_GRPC_FIELD_MASK_H_

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace handoff {

// The paths an Update call changes (AIP-134): the mask's paths as given, "*" standing for
// every path in `updatable` (a full replacement: fields left empty are cleared); without
// a mask, the `updatable` top-level fields that are set in `resource` (a scalar other than
// its default, a message present, a repeated field not empty). INVALID_ARGUMENT naming
// update_mask when that leaves nothing to change. Unknown paths are returned as given, for
// the caller to refuse with its own list.
absl::StatusOr<std::vector<std::string>> UpdatePaths(const google::protobuf::Message& resource,
                                                     const google::protobuf::FieldMask& mask,
                                                     const std::vector<std::string>& updatable);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_FIELD_MASK_H_
