#ifndef HANDOFF_COMMON_UNIT_OF_WORK_H_
#define HANDOFF_COMMON_UNIT_OF_WORK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/trace_context.h"

namespace handoff {

// The stored answer to a mutating call, so that a retry with the same request_id gets the
// same answer without acting twice.
struct RequestRecord {
  std::string request_id;
  std::string method;       // e.g. "handoff.marketing.v1.LeadService/CaptureLead"
  std::string fingerprint;  // stable hash of the whole request
  std::string response;     // serialized response message
  absl::Time create_time;
};

// A message for the other service, stored in the same transaction as the change that
// causes it and delivered afterwards by an OutboxDispatcher.
struct OutboxMessage {
  int64_t sequence = 0;     // assigned on enqueue; delivery order
  std::string message_id;   // unique; the receiver's request_id
  std::string topic;        // what kind of message, e.g. "handoff"
  std::string key;          // ordering key (a lead): messages of one key go in order
  std::string payload;      // serialized request for the receiver
  int attempts = 0;         // every delivery attempt
  int refusals = 0;         // attempts the receiver answered with a retryable refusal
  absl::Time next_attempt_time;
  absl::Time budget_since;  // the age budget counts from here (creation or last requeue)
  absl::Time create_time;
  std::string last_error;
  std::string traceparent;  // W3C trace context of the call that queued it; may be empty
};

// A change worth telling subscribers about, appended in the transaction that makes it and
// streamed by the service's Watch*Events RPC in sequence order.
struct EventRecord {
  int64_t sequence = 0;   // assigned on append; strictly increasing
  std::string type;       // e.g. "LEAD_EVENT_TYPE_CAPTURED", for logs
  std::string subject;    // resource name the event is about
  std::string payload;    // serialized event message of the service's API
  absl::Time time;
};

// An event whose payload is `message` serialized.
template <typename Message>
EventRecord MakeEvent(std::string type, std::string subject, absl::Time time, const Message& message) {
  EventRecord e;
  e.type = std::move(type);
  e.subject = std::move(subject);
  e.time = time;
  message.SerializeToString(&e.payload);
  return e;
}

// One mutating call as the audit log keeps it: who made it (the caller's identity, and
// the rep it acted for), what it called on which resource, and how it ended. Append-only;
// no personal data (resources are named by id, no request or error text is kept).
struct AuditRecord {
  int64_t sequence = 0;     // assigned on append
  absl::Time time;
  std::string principal;    // CallIdentity::principal; "" outside a call
  std::string actor;        // CallIdentity::actor
  std::string method;       // e.g. "LeadService/CaptureLead"
  std::string resource;     // e.g. "leads/0f3a..."; "" when the call named none
  int code = 0;             // the gRPC status code it ended with (0 = OK)
  std::string request_id;
};

// What every service transaction offers besides its own aggregates: the request log and
// the outbox. Storage-neutral; SQLite and PostgreSQL implement it.
class UnitOfWork {
 public:
  virtual ~UnitOfWork() = default;
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view request_id) = 0;
  virtual absl::Status SaveRequest(const RequestRecord& record) = 0;
  virtual absl::Status Enqueue(const OutboxMessage& message) = 0;
  virtual absl::Status AppendEvent(const EventRecord& event) = 0;
  // Deletes stored answers (request log) whose bytes contain any of `needles`, so erased
  // personal data does not live on in them.
  virtual absl::Status ForgetResponsesContaining(const std::vector<std::string>& needles) = 0;
  // Appends to the audit log (in this transaction, so it commits with the change).
  virtual absl::Status AppendAudit(const AuditRecord& record) = 0;
};

// What the write transactions committed on this thread since ServiceRuntime::Committed()
// last took it: the stores set it (sql::RunTransaction), and Committed() wakes the outbox
// dispatcher only when there are messages to send (a claim is a write transaction, and
// most commits queue nothing) and the event watchers only when there are events to read.
struct CommittedOnThisThread {
  bool outbox_messages = false;
  bool events = false;
};
inline CommittedOnThisThread& ThreadCommits() {
  thread_local CommittedOnThisThread committed;
  return committed;
}

// Queues `request` (a request message of the other service's API, with a request_id
// field) in the outbox: `message_id` becomes its request_id, so the receiver acts on it
// once however often it is delivered. `key` orders messages (one lead's go in order). The
// current trace (the call's) goes with it, and on to the receiver when it is delivered.
// `request` is taken by reference, not by value: `key` often views one of its fields, and
// moving the request into a parameter would empty that field before it is read.
template <typename Request>
absl::Status EnqueueRequest(UnitOfWork& uow, absl::string_view topic, absl::string_view key,
                            absl::Time now, std::string message_id, Request&& request) {
  OutboxMessage m;
  m.message_id = std::move(message_id);
  m.topic = std::string(topic);
  m.key = std::string(key);
  m.create_time = m.next_attempt_time = now;
  m.traceparent = CurrentTrace().ToTraceparent();
  request.set_request_id(m.message_id);
  request.SerializeToString(&m.payload);
  return uow.Enqueue(m);
}

}  // namespace handoff

#endif  // HANDOFF_COMMON_UNIT_OF_WORK_H_
