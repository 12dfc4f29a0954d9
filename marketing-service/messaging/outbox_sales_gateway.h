#ifndef HANDOFF_MARKETING_MESSAGING_OUTBOX_SALES_GATEWAY_H_
#define HANDOFF_MARKETING_MESSAGING_OUTBOX_SALES_GATEWAY_H_

#include "common/clock.h"
#include "marketing-service/domain/lead_workflow.h"

namespace handoff::marketing {

// Outbox topics for messages to sales. The payload is the serialized sales request.
inline constexpr char kTopicHandoff[] = "sales.HandoffLead";
inline constexpr char kTopicConsent[] = "sales.UpdateLeadConsent";
inline constexpr char kTopicErasure[] = "sales.EraseLead";
inline constexpr char kTopicContact[] = "sales.UpdateLeadContact";

// Writes messages to sales into the outbox of the caller's transaction, as serialized
// handoff.sales.v1 requests whose request_id is the message id (so sales acts once).
class OutboxSalesGateway final : public SalesGateway {
 public:
  explicit OutboxSalesGateway(const Clock& clock) : clock_(clock) {}
  absl::Status QueueHandoff(UnitOfWork& uow, const HandoffNotice& notice) override;
  absl::Status QueueConsentChange(UnitOfWork& uow, const Lead& lead) override;
  absl::Status QueueContactChange(UnitOfWork& uow, const Lead& lead) override;
  absl::Status QueueErasure(UnitOfWork& uow, const Lead& lead) override;

 private:
  const Clock& clock_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_MESSAGING_OUTBOX_SALES_GATEWAY_H_
