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

// The resource a call is about, for its audit record: the request's `name`, else the name
// of the resource the response carries (one just created), else the request's `lead`,
// `opportunity` or `campaign`; "" when there is none.
std::string AuditResource(const google::protobuf::Message& request, const google::protobuf::Message* response);

// The audit record of a call of `method` that ended with `status`, made now by the
// current call identity (CurrentCallIdentity).
AuditRecord MakeAuditRecord(const Clock& clock, absl::string_view method, const google::protobuf::Message& request,
                            const google::protobuf::Message* response, absl::string_view request_id,
                            const absl::Status& status);

// Whether a failed call is kept in the audit log: refusals the caller caused
// (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED...) are; failures
// of the service itself (UNAVAILABLE, ABORTED, DEADLINE_EXCEEDED, INTERNAL...) are not:
// writing would most likely fail the same way, and the call changed nothing.
bool AuditsFailure(const absl::Status& status);

// Writes the audit record of a failed call in a transaction of its own (the call's was
// rolled back); a failure to write is logged, not returned.
void LogAuditFailure(const absl::Status& written, absl::string_view method);
template <typename Store>
void AuditFailedCall(Store& store, const Clock& clock, absl::string_view method,
                     const google::protobuf::Message& request, absl::string_view request_id,
                     const absl::Status& status) {
  if (!AuditsFailure(status)) return;
  const AuditRecord record = MakeAuditRecord(clock, method, request, nullptr, request_id, status);
  LogAuditFailure(store.Run([&](auto& tx) { return tx.AppendAudit(record); }), method);
}

// One mutating call in one transaction of `store` (whose Run(fn(Tx&)) commits when fn
// returns OK): runs `act(tx)` and appends the call's audit record in the same
// transaction, so the change and its record commit together or not at all. When `act`
// fails, nothing of it is kept, and the failure is audited (AuditFailedCall).
template <typename Store, typename Act>
absl::Status RunAudited(Store& store, const Clock& clock, absl::string_view method,
                        const google::protobuf::Message& request, absl::string_view request_id,
                        google::protobuf::Message* response, Act act) {
  absl::Status s = store.Run([&](auto& tx) -> absl::Status {
    if (absl::Status failed = act(tx); !failed.ok()) return failed;
    return tx.AppendAudit(MakeAuditRecord(clock, method, request, response, request_id, absl::OkStatus()));
  });
  if (!s.ok()) AuditFailedCall(store, clock, method, request, request_id, s);
  return s;
}

// One mutating call from start to commit: checks request_id (a malformed one is refused
// before any transaction, unaudited, like every refusal of a request's form), then runs
// `act(tx)` through RunIdempotent inside RunAudited. Nothing but the audit record is
// written unless everything succeeds; a retry with the same request_id acts once and is
// audited again.
template <typename Store, typename Act>
absl::Status RunMutation(Store& store, const Clock& clock, absl::string_view method,
                         const google::protobuf::Message& request, absl::string_view request_id,
                         google::protobuf::Message* response, Act act) {
  if (absl::Status s = ValidateRequestId(request_id); !s.ok()) return s;
  return RunAudited(store, clock, method, request, request_id, response, [&](auto& tx) -> absl::Status {
    return RunIdempotent(tx, clock, method, request, request_id, response,
                         [&]() -> absl::Status { return act(tx); });
  });
}

}  // namespace handoff

#endif  // HANDOFF_COMMON_IDEMPOTENCY_H_
