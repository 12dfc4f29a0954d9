#include "marketing-service/messaging/outbox_sales_gateway.h"

#include "common/grpc/convert.h"
#include "common/ids.h"
#include "handoff/sales/v1/handoff_service.pb.h"
#include "marketing-service/grpc/convert.h"

namespace handoff::marketing {
absl::Status OutboxSalesGateway::QueueHandoff(UnitOfWork& uow, const HandoffNotice& notice) {
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
  return EnqueueRequest(uow, kTopicHandoff, req.lead(), clock_.Now(), NewId(), std::move(req));
}

absl::Status OutboxSalesGateway::QueueConsentChange(UnitOfWork& uow, const Lead& lead) {
  sales::v1::UpdateLeadConsentRequest req;
  req.set_lead(LeadName(lead.id));
  handoff::ToProto(lead.consent, req.mutable_consent());
  return EnqueueRequest(uow, kTopicConsent, req.lead(), clock_.Now(), NewId(), std::move(req));
}

absl::Status OutboxSalesGateway::QueueErasure(UnitOfWork& uow, const Lead& lead) {
  sales::v1::EraseLeadRequest req;
  req.set_lead(LeadName(lead.id));
  return EnqueueRequest(uow, kTopicErasure, req.lead(), clock_.Now(), NewId(), std::move(req));
}

}  // namespace handoff::marketing
