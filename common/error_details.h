#ifndef HANDOFF_COMMON_ERROR_DETAILS_H_
#define HANDOFF_COMMON_ERROR_DETAILS_H_

// Errors a program can act on (AIP-193). Domain and storage code say *why* a call was
// refused by attaching google.rpc detail messages to an absl::Status as payloads (keyed by
// their type URL); the transport turns them into the google.rpc.Status a caller reads from
// grpc-status-details-bin (common/grpc/status.h). Nothing here depends on gRPC.
//
// The reasons are part of the API: they are listed in README.md ("Errors"), never renamed
// and never reused for another cause. ErrorInfo.domain is always kErrorDomain.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace google::rpc {
class Status;
}  // namespace google::rpc

namespace handoff {

inline constexpr absl::string_view kErrorDomain = "handoff";

// google.rpc.ErrorInfo.reason values, by cause.
namespace reason {
// Consent and contact rules (both services).
inline constexpr absl::string_view kConsentMissing = "CONSENT_MISSING";
inline constexpr absl::string_view kDoNotContact = "DO_NOT_CONTACT";
inline constexpr absl::string_view kLeadErased = "LEAD_ERASED";
inline constexpr absl::string_view kPersonErased = "PERSON_ERASED";
// Marketing.
inline constexpr absl::string_view kOwnedBySales = "OWNED_BY_SALES";
inline constexpr absl::string_view kLeadDisqualified = "LEAD_DISQUALIFIED";
inline constexpr absl::string_view kOutboundCapReached = "OUTBOUND_CAP_REACHED";
inline constexpr absl::string_view kOutcomeOutOfOrder = "OUTCOME_OUT_OF_ORDER";
inline constexpr absl::string_view kCampaignArchived = "CAMPAIGN_ARCHIVED";
inline constexpr absl::string_view kBudgetExceeded = "BUDGET_EXCEEDED";
inline constexpr absl::string_view kTotalLimitExceeded = "TOTAL_LIMIT_EXCEEDED";
inline constexpr absl::string_view kUtmCodesTaken = "UTM_CODES_TAKEN";
inline constexpr absl::string_view kContactTaken = "CONTACT_TAKEN";
inline constexpr absl::string_view kLeadMerged = "LEAD_MERGED";
inline constexpr absl::string_view kCurrencyMismatch = "CURRENCY_MISMATCH";
inline constexpr absl::string_view kExternalIdTaken = "EXTERNAL_ID_TAKEN";
inline constexpr absl::string_view kExternalIdConflict = "EXTERNAL_ID_CONFLICT";
// Sales.
inline constexpr absl::string_view kNotPendingAcceptance = "NOT_PENDING_ACCEPTANCE";
inline constexpr absl::string_view kNotAccepted = "NOT_ACCEPTED";
inline constexpr absl::string_view kNoRepAssigned = "NO_REP_ASSIGNED";
inline constexpr absl::string_view kDealClosed = "DEAL_CLOSED";
inline constexpr absl::string_view kDealNotWon = "DEAL_NOT_WON";
inline constexpr absl::string_view kDealNotLost = "DEAL_NOT_LOST";
inline constexpr absl::string_view kOpenDealExists = "OPEN_DEAL_EXISTS";
inline constexpr absl::string_view kRepAway = "REP_AWAY";
inline constexpr absl::string_view kRepAtCapacity = "REP_AT_CAPACITY";
inline constexpr absl::string_view kRepEmailTaken = "REP_EMAIL_TAKEN";
inline constexpr absl::string_view kNotAssignedToActor = "NOT_ASSIGNED_TO_ACTOR";
inline constexpr absl::string_view kMeetingStatusFinal = "MEETING_STATUS_FINAL";
// Either service: state machines, concurrency, idempotency.
inline constexpr absl::string_view kStageTransitionInvalid = "STAGE_TRANSITION_INVALID";
inline constexpr absl::string_view kStaleEtag = "STALE_ETAG";
inline constexpr absl::string_view kTransactionConflict = "TRANSACTION_CONFLICT";
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";
// Either service: the call itself.
inline constexpr absl::string_view kFieldInvalid = "FIELD_INVALID";
inline constexpr absl::string_view kNotFound = "NOT_FOUND";
inline constexpr absl::string_view kAlreadyExists = "ALREADY_EXISTS";
inline constexpr absl::string_view kDeadlineRequired = "DEADLINE_REQUIRED";
inline constexpr absl::string_view kMethodDenied = "METHOD_DENIED";
inline constexpr absl::string_view kActorNotTrusted = "ACTOR_NOT_TRUSTED";
inline constexpr absl::string_view kUnauthenticated = "UNAUTHENTICATED";
inline constexpr absl::string_view kRateLimited = "RATE_LIMITED";
inline constexpr absl::string_view kServerBusy = "SERVER_BUSY";
inline constexpr absl::string_view kTooManyRows = "TOO_MANY_ROWS";
inline constexpr absl::string_view kTooManyStreams = "TOO_MANY_STREAMS";
inline constexpr absl::string_view kUnavailable = "UNAVAILABLE";
inline constexpr absl::string_view kShuttingDown = "SHUTTING_DOWN";
inline constexpr absl::string_view kInternal = "INTERNAL";
}  // namespace reason

// Whether a refusal with this reason can never succeed however often it is retried (the
// lead or person was erased, the deal is closed, the request is wrong), or will pass by
// itself (a conflict, overload, an outcome that arrived before the change it follows).
// Both false for "" and for reasons that need someone to act first (consent, budget, ...).
bool IsFinalReason(absl::string_view reason);
bool IsPassingReason(absl::string_view reason);

// `status` carrying ErrorInfo{reason, domain "handoff"} and, when `resource` is given, the
// resource's name in ErrorInfo.metadata["resource"] (and as PreconditionFailure.subject for
// FAILED_PRECONDITION). An OK status is returned unchanged.
absl::Status WithReason(absl::Status status, absl::string_view reason, absl::string_view resource = {});

// The ErrorInfo reason `status` carries, or "" when it carries none.
std::string ReasonOf(const absl::Status& status);

// The caller-facing reason: the one `status` carries, else the default for its code
// (FIELD_INVALID, NOT_FOUND, ALREADY_EXISTS, INTERNAL, ...).
std::string EffectiveReason(const absl::Status& status);

// `status` carrying BadRequest with one field violation naming `field` (a request field
// path such as "lead.contact.email").
absl::Status WithFieldViolation(absl::Status status, absl::string_view field, absl::string_view description);

// For INVALID_ARGUMENT and OUT_OF_RANGE, the request field it is about: the first explicit
// field violation, else the message's first word when it is a field path (every such
// message starts with one); "" otherwise.
std::string FieldOf(const absl::Status& status);

// `status` carrying RetryInfo{retry_delay}: when to try again.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
std::optional<absl::Duration> RetryDelayOf(const absl::Status& status);

// Every detail a caller gets for `status` (`message` is the text to send):
// - ErrorInfo always (EffectiveReason, domain, metadata);
// - INVALID_ARGUMENT: BadRequest; without an explicit one, the field is the message's first
//   word (every INVALID_ARGUMENT message starts with the field path it is about);
// - FAILED_PRECONDITION: PreconditionFailure{type = reason, subject = resource, description};
// - RESOURCE_EXHAUSTED and UNAVAILABLE: RetryInfo (1 s unless the status names a delay;
//   any other code carries RetryInfo only when the status names one);
// - NOT_FOUND with a resource: ResourceInfo.
void FillRpcStatus(const absl::Status& status, absl::string_view message, google::rpc::Status& out);

// A status rebuilt from what a peer sent: code, message and the details of
// `details` (a serialized google.rpc.Status; may be empty) as payloads, so ReasonOf and
// RetryDelayOf work on it.
absl::Status StatusFromRpc(absl::StatusCode code, absl::string_view message, absl::string_view details);

}  // namespace handoff

#endif  // HANDOFF_COMMON_ERROR_DETAILS_H_
