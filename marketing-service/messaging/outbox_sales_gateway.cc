#include "marketing-service/messaging/outbox_sales_gateway.h"

#include "common/grpc/convert.h"
#include "common/ids.h"
#include "handoff/sales/v1/handoff_service.pb.h"
#include "marketing-service/grpc/convert.h"

namespace handoff::marketing {
namespace {

OutboxMessage NewMessage(const Clock& clock, const char* topic, const std::string& lead_id) {
  OutboxMessage m;
  m.message_id = NewId();
  m.topic = topic;
  m.key = LeadName(lead_id);
  m.create_time = m.next_attempt_time = clock.Now();
  return m;
}

}  // namespace

absl::Status OutboxSalesGateway::QueueHandoff(UnitOfWork& uow, const HandoffNotice& notice) {
  OutboxMessage m = NewMessage(clock_, kTopicHandoff, notice.lead.id);
  sales::v1::HandoffLeadRequest req;
  req.set_lead(LeadName(notice.lead.id));
  handoff::ToProto(notice.lead.contact, req.mutable_contact());
  handoff::ToProto(notice.lead.consent, req.mutable_consent());
  req.mutable_marketing_context()->set_score(notice.lead.score);
  req.mutable_marketing_context()->set_touch_count(notice.lead.touch_count);
  for (const std::string& c : notice.campaign_ids) {
    req.mutable_marketing_context()->add_campaigns(CampaignName(c));
  }
  handoff::ToProto(notice.time, req.mutable_handoff_time());
  req.set_request_id(m.message_id);
  req.SerializeToString(&m.payload);
  return uow.Enqueue(m);
}

absl::Status OutboxSalesGateway::QueueConsentChange(UnitOfWork& uow, const Lead& lead) {
  OutboxMessage m = NewMessage(clock_, kTopicConsent, lead.id);
  sales::v1::UpdateLeadConsentRequest req;
  req.set_lead(LeadName(lead.id));
  handoff::ToProto(lead.consent, req.mutable_consent());
  req.set_request_id(m.message_id);
  req.SerializeToString(&m.payload);
  return uow.Enqueue(m);
}

absl::Status OutboxSalesGateway::QueueErasure(UnitOfWork& uow, const Lead& lead) {
  OutboxMessage m = NewMessage(clock_, kTopicErasure, lead.id);
  sales::v1::EraseLeadRequest req;
  req.set_lead(LeadName(lead.id));
  req.set_request_id(m.message_id);
  req.SerializeToString(&m.payload);
  return uow.Enqueue(m);
}

}  // namespace handoff::marketing
