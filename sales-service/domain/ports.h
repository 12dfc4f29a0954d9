#ifndef HANDOFF_SALES_DOMAIN_PORTS_H_
#define HANDOFF_SALES_DOMAIN_PORTS_H_

// The ports the domain owns: what its rules need from storage (the transaction and store
// interfaces), from the other service (the gateway the outbox implements) and from the event
// log. storage/ and messaging/ implement them; nothing here names a backend.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/page.h"
#include "common/unit_of_work.h"
#include "sales-service/domain/model.h"

namespace handoff::sales {

struct OpportunityFilter {
  std::string rep_id;  // empty = any
  Stage stage = Stage::kUnspecified;
  std::string lead;  // "leads/{id}", empty = any
  UpdateOrder sync;  // update-time window and order
};

// Pipeline report input: one rep's (rep_id empty = unassigned) opportunities in one stage.
struct PipelineRow {
  std::string rep_id;
  Stage stage = Stage::kUnspecified;
  int64_t count = 0;
  int64_t amount_minor = 0;          // in the currency asked for
  int64_t cycle_micros_sum = 0;      // closed won only: sum of close - create
};

// The open pipeline now: opportunities in one open stage (NEW to NEGOTIATION, rejected
// handoffs left out) with their amounts in one currency (empty: no amount set).
struct OpenPipelineLine {
  Stage stage = Stage::kUnspecified;
  std::string currency;
  int64_t count = 0;
  int64_t amount_minor = 0;
};

// Forecast input: one rep's won deals closed in the period (stage kClosedWon), or open
// deals in one stage expected to close in it.
struct ForecastRow {
  std::string rep_id;
  Stage stage = Stage::kUnspecified;
  int64_t count = 0;
  int64_t amount_minor = 0;     // in the currency asked for
  int64_t committed_minor = 0;  // of it, committed by the rep
};

// Position in a timeline: entries after (time, seq).
struct TimelineCursor {
  absl::Time time = absl::InfinitePast();
  int64_t seq = 0;
};

struct TimelinePage {
  std::vector<TimelineEntry> entries;
  std::optional<TimelineCursor> next;
};

// One transaction on sales' data. Errors translated: missing row -> NOT_FOUND, unique
// violation -> ALREADY_EXISTS, busy -> UNAVAILABLE.
class SalesTx : public UnitOfWork {
 public:
  // Reps (open_opportunities filled on read).
  virtual absl::StatusOr<Rep> GetRep(const std::string& id) = 0;
  virtual absl::Status InsertRep(const Rep& rep) = 0;
  virtual absl::Status UpdateRep(const Rep& rep) = 0;
  virtual absl::StatusOr<Page<Rep>> ListReps(const UpdateOrder& sync, int64_t after, int limit) = 0;
  virtual absl::StatusOr<std::vector<Rep>> AllReps() = 0;
  // The next value of the assignment rotation counter.
  virtual absl::StatusOr<int64_t> NextAssignmentSeq() = 0;
  // History (ListTimeline). Activities join it through InsertActivity.
  virtual absl::Status RecordAssignment(const std::string& opportunity_id,
                                        const std::string& rep_id, absl::Time time,
                                        const std::string& reason) = 0;
  virtual absl::Status RecordStageChange(const std::string& opportunity_id, absl::Time time,
                                         const StageChange& change) = 0;
  virtual absl::StatusOr<TimelinePage> ListTimeline(const std::string& opportunity_id,
                                                    const TimelineCursor& after, int limit) = 0;

  // Opportunities.
  virtual absl::StatusOr<Opportunity> GetOpportunity(const std::string& id) = 0;
  virtual absl::Status InsertOpportunity(const Opportunity& opp) = 0;
  virtual absl::Status UpdateOpportunity(const Opportunity& opp) = 0;
  virtual absl::StatusOr<Page<Opportunity>> ListOpportunities(const OpportunityFilter& filter,
                                                              int64_t after, int limit) = 0;
  // Open opportunity of a lead, if any.
  virtual absl::StatusOr<std::optional<Opportunity>> FindOpenForLead(const std::string& lead) = 0;
  // Sets the consent snapshot on every opportunity of the lead; returns how many.
  virtual absl::StatusOr<int> UpdateConsentForLead(const std::string& lead, const Consent& consent) = 0;
  // Replaces the contact snapshot on every opportunity of `lead`; returns how many.
  virtual absl::StatusOr<int> UpdateContactForLead(const std::string& lead, const Contact& contact) = 0;
  // Clears the personal data of every opportunity of the lead (contact but country_code,
  // activity summaries and next steps), sets do_not_contact, and returns the e-mails and
  // phones that were removed.
  virtual absl::StatusOr<std::vector<std::string>> EraseLead(const std::string& lead,
                                                            int* opportunities) = 0;
  // Service levels, oldest first (by the time, then seq), after keyset cursor `after`
  // (that time in microseconds, seq). Pending with pending_since before `cutoff` (only
  // those not yet announced when `unannounced_only`).
  virtual absl::StatusOr<std::vector<Opportunity>> PendingSince(absl::Time cutoff, bool unannounced_only, int limit,
                                                                TimeSeqCursor after = {}) = 0;
  // Accepted, open new business without a first touch, accepted before `cutoff`.
  virtual absl::StatusOr<std::vector<Opportunity>> UntouchedAcceptedBefore(absl::Time cutoff, bool unannounced_only,
                                                                           int limit, TimeSeqCursor after = {}) = 0;
  // Pending and without a rep.
  virtual absl::StatusOr<std::vector<Opportunity>> UnassignedPending(int limit) = 0;

  // Activities.
  virtual absl::Status InsertActivity(const Activity& activity) = 0;
  // NOT_FOUND naming the activity when it is not one of the opportunity's.
  virtual absl::StatusOr<Activity> GetActivity(const std::string& opportunity_id, const std::string& activity_id) = 0;
  // Stores the changeable fields of `activity` (outcome, status, summary, next step).
  virtual absl::Status UpdateActivity(const Activity& activity) = 0;
  virtual absl::StatusOr<Page<Activity>> ListActivities(const std::string& opportunity_id,
                                                        int64_t after, int limit) = 0;

  // Reports, per rep and stage, excluding rejected handoffs; `rep_id` empty = all.
  virtual absl::StatusOr<std::vector<PipelineRow>> PipelineRows(const std::string& rep_id,
                                                                const std::string& currency) = 0;
  virtual absl::StatusOr<std::vector<ForecastRow>> ForecastRows(const std::string& rep_id,
                                                                const std::string& currency,
                                                                absl::Time start, absl::Time end) = 0;
  // Open opportunities per stage and currency, for the pipeline gauges.
  virtual absl::StatusOr<std::vector<OpenPipelineLine>> OpenPipeline() = 0;
};

class SalesStore {
 public:
  virtual ~SalesStore() = default;
  // One transaction: committed when `work` returns OK, rolled back otherwise.
  virtual absl::Status Run(absl::FunctionRef<absl::Status(SalesTx&)> work) = 0;
  // Runs read-only `work` in one read transaction: it sees one consistent state (what was
  // committed when it began) and does not wait for writers. Any write in it fails.
  virtual absl::Status Read(absl::FunctionRef<absl::Status(SalesTx&)> work) = 0;
  virtual absl::Status Ping() = 0;
  // Up to `limit` events with sequence > `after`, in order (for Watch*Events).
  virtual absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after, int limit) = 0;
  // The newest event's sequence; 0 when there is none.
  virtual absl::StatusOr<int64_t> LatestEventSequence() = 0;
};

struct OutcomeNotice {
  std::string lead;         // "leads/{id}"
  std::string opportunity_id;
  Outcome outcome = Outcome::kUnspecified;
  std::string reason;
  Money amount;             // for kWon
  absl::Time time;
  std::string traceparent;  // the opportunity's (Opportunity::traceparent)
};

// Messages to marketing, queued in the caller's transaction.
class MarketingGateway {
 public:
  virtual ~MarketingGateway() = default;
  virtual absl::Status QueueOutcome(UnitOfWork& uow, const OutcomeNotice& notice) = 0;
};

// Values of handoff.sales.v1.DealEventType.
enum class DealEventType {
  kCreated = 1, kAssigned, kAccepted, kRejected, kActivityLogged, kStageAdvanced, kWon, kLost,
  kAcceptSlaBreached, kFirstTouchSlaBreached, kReopened, kUpdated,
};

// Appends deal events in the caller's transaction (streamed by WatchDealEvents).
class DealEventLog {
 public:
  virtual ~DealEventLog() = default;
  virtual absl::Status Record(UnitOfWork& uow, DealEventType type, const Opportunity& opp) = 0;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_DOMAIN_PORTS_H_
