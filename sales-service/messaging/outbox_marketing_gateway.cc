#include "sales-service/messaging/outbox_marketing_gateway.h"

#include <optional>

#include "common/grpc/convert.h"
#include "common/ids.h"
#include "common/trace_context.h"
#include "handoff/marketing/v1/lead_service.pb.h"

namespace handoff::sales {

absl::Status OutboxMarketingGateway::QueueOutcome(UnitOfWork& uow, const OutcomeNotice& n) {
  marketing::v1::ReportOutcomeRequest req;
  req.set_lead(n.lead);
  req.set_opportunity(ResourceName("opportunities", n.opportunity_id));
  req.set_outcome(static_cast<marketing::v1::Outcome>(n.outcome));
  req.set_reason(n.reason);
  if (n.outcome == Outcome::kWon) handoff::ToProto(n.amount, req.mutable_amount());
  handoff::ToProto(n.time, req.mutable_occur_time());
  // The outcome goes back under the caller's trace when it sent one; else (a call without
  // one, a background job) under the trace of the handoff that opened the deal.
  std::optional<ScopedTrace> lead_trace;
  if (CurrentTrace().empty() || CurrentTrace().root) {
    if (std::optional<TraceContext> opened = ParseTraceparent(n.traceparent)) lead_trace.emplace(ChildOf(*opened));
  }
  return EnqueueRequest(uow, kTopicOutcome, n.lead, clock_.Now(), NewId(), std::move(req));
}

}  // namespace handoff::sales
