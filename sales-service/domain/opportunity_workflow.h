#ifndef HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_H_
#define HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/unit_of_work.h"
#include "sales-service/domain/model.h"
#include "sales-service/domain/pipeline_rules.h"
#include "sales-service/storage/sales_store.h"

namespace handoff::sales {

// What sales reports back to marketing about a lead.
struct OutcomeNotice {
  std::string lead;         // "leads/{id}"
  std::string opportunity_id;
  Outcome outcome = Outcome::kUnspecified;
  std::string reason;
  Money amount;             // for kWon
  absl::Time time;
};

// Messages to marketing, queued in the caller's transaction.
class MarketingGateway {
 public:
  virtual ~MarketingGateway() = default;
  virtual absl::Status QueueOutcome(UnitOfWork& uow, const OutcomeNotice& notice) = 0;
};

// Values of handoff.sales.v1.DealEventType.
enum class DealEventType { kCreated = 1, kAssigned, kAccepted, kRejected, kActivityLogged, kStageAdvanced, kWon, kLost };

// Appends deal events in the caller's transaction (streamed by WatchDealEvents).
class DealEventLog {
 public:
  virtual ~DealEventLog() = default;
  virtual absl::Status Record(UnitOfWork& uow, DealEventType type, const Opportunity& opp) = 0;
};

struct HandoffInput {
  std::string lead;
  Contact contact;
  Consent consent;
  MarketingContext marketing;
  absl::Time handoff_time = absl::InfinitePast();  // InfinitePast = now
};

struct HandoffResult {
  Opportunity opportunity;
  bool already_open = false;
};

struct RepInput {
  std::string display_name;
  std::string email;
  std::vector<std::string> territories;
  int capacity = 0;
  RepStatus status = RepStatus::kUnspecified;
};

struct RepPatch {
  std::optional<std::string> display_name;
  std::optional<std::vector<std::string>> territories;
  std::optional<int> capacity;
  std::optional<RepStatus> status;
  std::optional<std::string> etag;
};

struct SlaBreach {
  Opportunity opportunity;
  absl::Duration overdue;
};

// The rules of a deal's life in sales: intake, assignment, acceptance, activities,
// pipeline stages, closing, upsell; outcomes go back to marketing.
class OpportunityWorkflow {
 public:
  OpportunityWorkflow(const Clock& clock, PipelineConfig config, MarketingGateway& marketing,
                      DealEventLog& events)
      : clock_(clock), config_(config), marketing_(marketing), events_(events) {}

  absl::StatusOr<HandoffResult> Handoff(SalesTx& tx, const HandoffInput& in) const;
  absl::StatusOr<int> UpdateConsent(SalesTx& tx, const std::string& lead, const Consent& consent) const;
  // Removes the person's personal data from sales; returns the opportunities erased.
  absl::StatusOr<int> EraseLead(SalesTx& tx, const std::string& lead) const;

  // `etag`: when non-empty must match the opportunity's current etag (else ABORTED).
  absl::StatusOr<Opportunity> Accept(SalesTx& tx, const std::string& id, const std::string& etag) const;
  absl::StatusOr<Opportunity> Reject(SalesTx& tx, const std::string& id, RejectReason reason,
                                     const std::string& text, const std::string& etag) const;
  absl::StatusOr<Opportunity> Assign(SalesTx& tx, const std::string& id, const std::string& rep_id,
                                     const std::string& etag) const;
  absl::StatusOr<Activity> LogActivity(SalesTx& tx, const std::string& id, Activity activity,
                                       const std::string& etag) const;
  absl::StatusOr<Opportunity> Advance(SalesTx& tx, const std::string& id, Stage to,
                                      const std::optional<Money>& amount, const std::string& etag) const;
  absl::StatusOr<Opportunity> CloseWon(SalesTx& tx, const std::string& id, const Money& amount,
                                       absl::Time close_time, const std::string& etag) const;
  absl::StatusOr<Opportunity> CloseLost(SalesTx& tx, const std::string& id, LossReason reason,
                                        const std::string& text, const std::string& competitor,
                                        absl::Time close_time, const std::string& etag) const;
  absl::StatusOr<Opportunity> CreateUpsell(SalesTx& tx, const std::string& won_id,
                                           const std::optional<Money>& amount) const;

  absl::StatusOr<Rep> CreateRep(SalesTx& tx, const RepInput& in) const;
  absl::StatusOr<Rep> UpdateRep(SalesTx& tx, const std::string& id, const RepPatch& patch) const;

  // Pending handoffs older than `accept_sla`, most overdue first.
  absl::StatusOr<std::vector<SlaBreach>> AcceptSlaBreaches(SalesTx& tx, absl::Duration accept_sla,
                                                           int limit) const;

  int Probability(Stage stage) const { return config_.probability_percent[static_cast<int>(stage)]; }

 private:
  absl::StatusOr<Opportunity> Load(SalesTx& tx, const std::string& id, const std::string& etag) const;
  // Stores the opportunity (new version) and records `type`.
  absl::Status Save(SalesTx& tx, Opportunity& opp, DealEventType type) const;
  // Picks a rep by the assignment rule and records it; leaves the reason when none.
  absl::Status AutoAssign(SalesTx& tx, Opportunity& opp) const;
  absl::Status RequireWorkable(const Opportunity& opp) const;

  const Clock& clock_;
  PipelineConfig config_;
  MarketingGateway& marketing_;
  DealEventLog& events_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_H_
