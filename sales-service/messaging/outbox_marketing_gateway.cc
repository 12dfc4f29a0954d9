#include "sales-service/messaging/outbox_marketing_gateway.h"

#include "common/grpc/convert.h"
#include "common/ids.h"
#include "handoff/marketing/v1/lead_service.pb.h"

namespace handoff::sales {

absl::Status OutboxMarketingGateway::QueueOutcome(UnitOfWork& uow, const OutcomeNotice& n) {
  OutboxMessage m;
  m.message_id = NewId();
  m.topic = kTopicOutcome;
  m.key = n.lead;
  m.create_time = m.next_attempt_time = clock_.Now();
  marketing::v1::ReportOutcomeRequest req;
  req.set_lead(n.lead);
  req.set_opportunity(ResourceName("opportunities", n.opportunity_id));
  req.set_outcome(static_cast<marketing::v1::Outcome>(n.outcome));
  req.set_reason(n.reason);
  if (n.outcome == Outcome::kWon) handoff::ToProto(n.amount, req.mutable_amount());
  handoff::ToProto(n.time, req.mutable_occur_time());
  req.set_request_id(m.message_id);
  req.SerializeToString(&m.payload);
  return uow.Enqueue(m);
}

}  // namespace handoff::sales
