#include "sales-service/messaging/deal_event_log.h"

#include "common/grpc/convert.h"
#include "common/ids.h"
#include "handoff/sales/v1/opportunity.pb.h"

namespace handoff::sales {

absl::Status ProtoDealEventLog::Record(UnitOfWork& uow, DealEventType type, const Opportunity& opp) {
  v1::DealEvent e;
  const absl::Time now = clock_.Now();
  handoff::ToProto(now, e.mutable_time());
  e.set_type(static_cast<v1::DealEventType>(type));
  e.set_opportunity(ResourceName("opportunities", opp.id));
  e.set_lead(opp.lead);
  e.set_stage(static_cast<v1::Stage>(opp.stage));
  if (!opp.rep_id.empty()) e.set_rep(ResourceName("reps", opp.rep_id));
  e.set_kind(static_cast<v1::OpportunityKind>(opp.kind));
  if (!opp.amount.currency.empty()) handoff::ToProto(opp.amount, e.mutable_amount());
  return uow.AppendEvent(MakeEvent(v1::DealEventType_Name(e.type()), e.opportunity(), now, e));
}

}  // namespace handoff::sales
