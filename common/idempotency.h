#ifndef HANDOFF_COMMON_IDEMPOTENCY_H_
#define HANDOFF_COMMON_IDEMPOTENCY_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/unit_of_work.h"
#include "google/protobuf/message.h"

namespace handoff {

// Checks a client-chosen request_id: 1 to 128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view request_id, absl::string_view field = "request_id");

// Stable fingerprint of a message (deterministic serialization, FNV-1a 64-bit, hex).
std::string Fingerprint(const google::protobuf::Message& message);

// Runs `act` at most once per request_id, inside the caller's transaction `uow`:
// - request_id seen with the same method and request: `response` is filled from the
//   stored answer and `act` does not run;
// - seen with another method or request: INVALID_ARGUMENT;
// - new: `act` runs and fills `response`; when it succeeds the answer is stored with the
//   change (same transaction), so a retry after a crash gets it too.
absl::Status RunIdempotent(UnitOfWork& uow, const Clock& clock, absl::string_view method,
                           const google::protobuf::Message& request,
                           absl::string_view request_id, google::protobuf::Message* response,
                           absl::FunctionRef<absl::Status()> act);

}  // namespace handoff

#endif  // HANDOFF_COMMON_IDEMPOTENCY_H_
