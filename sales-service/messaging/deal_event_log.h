#ifndef HANDOFF_SALES_MESSAGING_DEAL_EVENT_LOG_H_
#define HANDOFF_SALES_MESSAGING_DEAL_EVENT_LOG_H_

#include "common/clock.h"
#include "sales-service/domain/opportunity_workflow.h"

namespace handoff::sales {

// Appends handoff.sales.v1.DealEvent messages to the transaction's event log.
class ProtoDealEventLog final : public DealEventLog {
 public:
  explicit ProtoDealEventLog(const Clock& clock) : clock_(clock) {}
  absl::Status Record(UnitOfWork& uow, DealEventType type, const Opportunity& opp) override;

 private:
  const Clock& clock_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_MESSAGING_DEAL_EVENT_LOG_H_
