#include "marketing-service/messaging/outbox_sales_gateway.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

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
  // The touches summary: first and last touch, and how many of each type.
  std::map<int, int> by_type;
  for (const TouchAt& t : notice.touches) ++by_type[static_cast<int>(t.type)];
  if (!notice.touches.empty()) {
    handoff::ToProto(notice.touches.front().time, req.mutable_marketing_context()->mutable_first_touch_time());
    handoff::ToProto(notice.touches.back().time, req.mutable_marketing_context()->mutable_last_touch_time());
  }
  std::vector<std::pair<int, int>> tallies(by_type.begin(), by_type.end());
  std::stable_sort(tallies.begin(), tallies.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [type, count] : tallies) {
    sales::v1::TouchTally* tally = req.mutable_marketing_context()->add_touches_by_type();
    tally->set_touch_type(v1::TouchType_Name(static_cast<v1::TouchType>(type)));
    tally->set_count(count);
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

absl::Status OutboxSalesGateway::QueueContactChange(UnitOfWork& uow, const Lead& lead) {
  sales::v1::UpdateLeadContactRequest req;
  req.set_lead(LeadName(lead.id));
  handoff::ToProto(lead.contact, req.mutable_contact());
  return EnqueueRequest(uow, kTopicContact, req.lead(), clock_.Now(), NewId(), std::move(req));
}

absl::Status OutboxSalesGateway::QueueErasure(UnitOfWork& uow, const Lead& lead) {
  sales::v1::EraseLeadRequest req;
  req.set_lead(LeadName(lead.id));
  return EnqueueRequest(uow, kTopicErasure, req.lead(), clock_.Now(), NewId(), std::move(req));
}

}  // namespace handoff::marketing
