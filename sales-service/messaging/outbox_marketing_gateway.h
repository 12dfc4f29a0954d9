#ifndef HANDOFF_SALES_MESSAGING_OUTBOX_MARKETING_GATEWAY_H_
#define HANDOFF_SALES_MESSAGING_OUTBOX_MARKETING_GATEWAY_H_

#include "common/clock.h"
#include "sales-service/domain/opportunity_workflow.h"

namespace handoff::sales {

// Outbox topic for outcomes; the payload is a serialized marketing ReportOutcomeRequest.
inline constexpr char kTopicOutcome[] = "marketing.ReportOutcome";

// Writes outcomes into the outbox of the caller's transaction; the request_id of each is
// its message id, so marketing acts on it once however often it is delivered.
class OutboxMarketingGateway final : public MarketingGateway {
 public:
  explicit OutboxMarketingGateway(const Clock& clock) : clock_(clock) {}
  absl::Status QueueOutcome(UnitOfWork& uow, const OutcomeNotice& notice) override;

 private:
  const Clock& clock_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_MESSAGING_OUTBOX_MARKETING_GATEWAY_H_
