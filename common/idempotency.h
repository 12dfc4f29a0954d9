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

// One mutating call from start to commit: checks request_id, then in one transaction of
// `store` (whose Run(fn(Tx&)) commits when fn returns OK) runs `act(tx)` through
// RunIdempotent. Nothing is written unless everything succeeds.
template <typename Store, typename Act>
absl::Status RunMutation(Store& store, const Clock& clock, absl::string_view method,
                         const google::protobuf::Message& request, absl::string_view request_id,
                         google::protobuf::Message* response, Act act) {
  if (absl::Status s = ValidateRequestId(request_id); !s.ok()) return s;
  return store.Run([&](auto& tx) -> absl::Status {
    return RunIdempotent(tx, clock, method, request, request_id, response,
                         [&]() -> absl::Status { return act(tx); });
  });
}

}  // namespace handoff

#endif  // HANDOFF_COMMON_IDEMPOTENCY_H_
