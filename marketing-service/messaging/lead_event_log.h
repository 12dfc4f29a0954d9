#ifndef HANDOFF_MARKETING_MESSAGING_LEAD_EVENT_LOG_H_
#define HANDOFF_MARKETING_MESSAGING_LEAD_EVENT_LOG_H_

#include "common/clock.h"
#include "marketing-service/domain/lead_workflow.h"

namespace handoff::marketing {

// Appends handoff.marketing.v1.LeadEvent messages to the transaction's event log.
class ProtoLeadEventLog final : public LeadEventLog {
 public:
  explicit ProtoLeadEventLog(const Clock& clock) : clock_(clock) {}
  absl::Status Record(UnitOfWork& uow, LeadEventType type, const Lead& lead) override;

 private:
  const Clock& clock_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_MESSAGING_LEAD_EVENT_LOG_H_
