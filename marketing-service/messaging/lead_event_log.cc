#include "marketing-service/messaging/lead_event_log.h"

#include "common/grpc/convert.h"
#include "handoff/marketing/v1/lead.pb.h"
#include "marketing-service/grpc/convert.h"

namespace handoff::marketing {

absl::Status ProtoLeadEventLog::Record(UnitOfWork& uow, LeadEventType type, const Lead& lead) {
  v1::LeadEvent e;
  const absl::Time now = clock_.Now();
  handoff::ToProto(now, e.mutable_time());
  e.set_type(static_cast<v1::LeadEventType>(type));
  e.set_lead(LeadName(lead.id));
  e.set_lifecycle_stage(static_cast<v1::LifecycleStage>(lead.stage));
  e.set_owner(static_cast<v1::Owner>(lead.owner));
  e.set_score(lead.score);
  if (type == LeadEventType::kOutcomeReported) e.set_outcome(static_cast<v1::Outcome>(lead.last_outcome));
  return uow.AppendEvent(MakeEvent(v1::LeadEventType_Name(e.type()), e.lead(), now, e));
}

}  // namespace handoff::marketing
