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
#include "sales-service/domain/ports.h"

namespace handoff::sales {

// What sales reports back to marketing about a lead.
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

// Values of handoff.sales.v1.SlaKind.
enum class SlaKind { kUnspecified = 0, kAccept, kFirstTouch };

struct SlaBreach {
  Opportunity opportunity;
  SlaKind kind = SlaKind::kAccept;
  absl::Time due;
  absl::Duration overdue;
};

// A correction of a logged activity (UpdateActivity); unset fields stay.
struct ActivityPatch {
  std::optional<std::string> summary;
  std::optional<std::string> next_step;
  std::optional<absl::Time> next_step_due;  // InfinitePast clears it
  std::optional<MeetingStatus> meeting_status;
  std::optional<CallOutcome> call_outcome;
  std::string etag;  // when set, the activity's current etag
};

struct ServiceLevelReport {
  std::vector<SlaBreach> breaches;     // most overdue first
  std::vector<Opportunity> unassigned; // pending without a rep, longest waiting first
  // The cursor of the last breach when more may follow.
  std::optional<TimeSeqCursor> next;
};

// What one CheckServiceLevels pass did.
struct ServiceLevelSweep {
  int assigned = 0;              // waiting opportunities that found a rep
  int accept_breaches = 0;       // newly announced
  int first_touch_breaches = 0;  // newly announced
  int reassigned = 0;            // accept breaches handed to the next rep
  bool more = false;             // a batch was full: run again soon
};

// UpdateOpportunity: each engaged field replaces the stored one.
struct ForecastPatch {
  std::optional<std::optional<Money>> amount;  // nullopt inside = clear
  std::optional<absl::Time> expected_close;    // InfinitePast = clear
  std::optional<bool> committed;
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
  absl::StatusOr<int> UpdateContact(SalesTx& tx, const std::string& lead, const Contact& contact) const;
  // Removes the person's personal data from sales; returns the opportunities erased.
  absl::StatusOr<int> EraseLead(SalesTx& tx, const std::string& lead) const;

  // A call acting for rep `actor` ("reps/{id}"; "" = a system acting for nobody) may change
  // opportunity `id` only when it is assigned to that rep: PERMISSION_DENIED otherwise
  // (NOT_FOUND for no such opportunity). Run it in the change's transaction, first.
  absl::Status CheckActor(SalesTx& tx, const std::string& id, const std::string& actor) const;

  // `etag`: when non-empty must match the opportunity's current etag (else ABORTED).
  absl::StatusOr<Opportunity> Accept(SalesTx& tx, const std::string& id, const std::string& etag) const;
  absl::StatusOr<Opportunity> Reject(SalesTx& tx, const std::string& id, RejectReason reason,
                                     const std::string& text, const std::string& etag) const;
  absl::StatusOr<Opportunity> Assign(SalesTx& tx, const std::string& id, const std::string& rep_id,
                                     const std::string& etag) const;
  absl::StatusOr<Activity> GetActivity(SalesTx& tx, const std::string& opportunity_id,
                                       const std::string& activity_id) const;
  // Corrects a logged activity; see UpdateActivity in opportunity_service.proto.
  absl::StatusOr<Activity> UpdateActivity(SalesTx& tx, const std::string& opportunity_id,
                                          const std::string& activity_id, const ActivityPatch& patch,
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
  absl::StatusOr<Opportunity> Reopen(SalesTx& tx, const std::string& id, Stage to,
                                     const std::string& reason_text, const std::string& etag) const;
  absl::StatusOr<Opportunity> Update(SalesTx& tx, const std::string& id, const ForecastPatch& patch,
                                     const std::string& etag) const;

  absl::StatusOr<Rep> CreateRep(SalesTx& tx, const RepInput& in) const;
  absl::StatusOr<Rep> UpdateRep(SalesTx& tx, const std::string& id, const RepPatch& patch) const;

  // Breaches of `kind` (kUnspecified: both) as of now, at most `limit`, and up to `limit`
  // opportunities waiting without a rep.
  // Breaches after `after` (due time, seq), most overdue first; the unassigned list only
  // on the first page (after unset).
  absl::StatusOr<ServiceLevelReport> ServiceLevels(SalesTx& tx, SlaKind kind, int limit,
                                                   std::optional<TimeSeqCursor> after = std::nullopt) const;
  // The background pass: assigns waiting opportunities when a rep is eligible, announces
  // each missed deadline once (event), and reassigns accept breaches when configured.
  // Handles at most `batch` opportunities of each sort.
  absl::StatusOr<ServiceLevelSweep> CheckServiceLevels(SalesTx& tx, int batch) const;

  int Probability(Stage stage) const { return config_.probability_percent[static_cast<int>(stage)]; }
  // Deadlines shown on the opportunity; InfinitePast when none applies.
  absl::Time AcceptDue(const Opportunity& opp) const;
  absl::Time FirstTouchDue(const Opportunity& opp) const;
  const PipelineConfig& config() const { return config_; }

 // How far a caller's clock may run ahead of ours: a close_time up to this far in the
  // future counts as now.
  static constexpr absl::Duration kClockSkew = absl::Minutes(5);

 private:
  // The close time of `opp`: now when `requested` is unset; INVALID_ARGUMENT before the
  // opportunity was created or more than kClockSkew in the future.
  absl::StatusOr<absl::Time> CloseTime(const Opportunity& opp, absl::Time requested) const;
  absl::StatusOr<Opportunity> Load(SalesTx& tx, const std::string& id, const std::string& etag) const;
  // Stores the opportunity (new version) and records `type`.
  absl::Status Save(SalesTx& tx, Opportunity& opp, DealEventType type) const;
  // Picks a rep by the assignment rule (never `exclude_rep_id`); on success sets opp.rep_id,
  // records the assignment with `reason` and returns true. Otherwise leaves opp as it is
  // and puts the reason in *why_not.
  absl::StatusOr<bool> TryAssign(SalesTx& tx, Opportunity& opp, const std::string& exclude_rep_id,
                                 const std::string& reason, std::string* why_not) const;
  // Moves opp to `to` at `when` and records the change with the time spent in the stage left.
  absl::Status EnterStage(SalesTx& tx, Opportunity& opp, Stage to, absl::Time when,
                          std::string reason) const;
  // Queues the progress outcome marketing gets for a new-business move from `from` to `to`.
  absl::Status ReportProgress(SalesTx& tx, const Opportunity& opp, Stage from, Stage to) const;
  // Stores a bookkeeping change (no new etag) and records `type`.
  absl::Status Announce(SalesTx& tx, const Opportunity& opp, DealEventType type) const;
  absl::Status RequireWorkable(const Opportunity& opp) const;

  const Clock& clock_;
  PipelineConfig config_;
  MarketingGateway& marketing_;
  DealEventLog& events_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_OPPORTUNITY_WORKFLOW_H_
