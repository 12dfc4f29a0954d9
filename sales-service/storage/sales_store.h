#ifndef HANDOFF_SALES_STORAGE_SALES_STORE_H_
#define HANDOFF_SALES_STORAGE_SALES_STORE_H_

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
};

// Per-stage totals for the pipeline report.
struct StageTotals {
  int64_t count = 0;
  int64_t amount_minor = 0;  // in the currency asked for
};

// One transaction on sales' data. Errors translated: missing row -> NOT_FOUND, unique
// violation -> ALREADY_EXISTS, busy -> UNAVAILABLE.
class SalesTx : public UnitOfWork {
 public:
  // Reps (open_opportunities filled on read).
  virtual absl::StatusOr<Rep> GetRep(const std::string& id) = 0;
  virtual absl::Status InsertRep(const Rep& rep) = 0;
  virtual absl::Status UpdateRep(const Rep& rep) = 0;
  virtual absl::StatusOr<Page<Rep>> ListReps(int64_t after, int limit) = 0;
  virtual absl::StatusOr<std::vector<Rep>> AllReps() = 0;
  // The next value of the assignment rotation counter.
  virtual absl::StatusOr<int64_t> NextAssignmentSeq() = 0;
  virtual absl::Status RecordAssignment(const std::string& opportunity_id,
                                        const std::string& rep_id, absl::Time time,
                                        const std::string& reason) = 0;

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
  // Clears the personal data of every opportunity of the lead (contact but country_code,
  // activity summaries and next steps), sets do_not_contact, and returns the e-mails and
  // phones that were removed.
  virtual absl::StatusOr<std::vector<std::string>> EraseLead(const std::string& lead,
                                                            int* opportunities) = 0;
  // Pending handoffs handed off before `cutoff`, oldest first.
  virtual absl::StatusOr<std::vector<Opportunity>> PendingHandedOffBefore(absl::Time cutoff,
                                                                          int limit) = 0;

  // Activities.
  virtual absl::Status InsertActivity(const Activity& activity) = 0;
  virtual absl::StatusOr<Page<Activity>> ListActivities(const std::string& opportunity_id,
                                                        int64_t after, int limit) = 0;

  // Reports: per stage, excluding rejected handoffs.
  virtual absl::StatusOr<std::vector<StageTotals>> TotalsByStage(const std::string& rep_id,
                                                                 const std::string& currency) = 0;
};

class SalesStore {
 public:
  virtual ~SalesStore() = default;
  // One transaction: committed when `work` returns OK, rolled back otherwise.
  virtual absl::Status Run(absl::FunctionRef<absl::Status(SalesTx&)> work) = 0;
  virtual absl::Status Ping() = 0;
  // Up to `limit` events with sequence > `after`, in order (for Watch*Events).
  virtual absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after, int limit) = 0;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_STORAGE_SALES_STORE_H_
