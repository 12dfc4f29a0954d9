#ifndef HANDOFF_SALES_STORAGE_SQL_SALES_TX_H_
#define HANDOFF_SALES_STORAGE_SQL_SALES_TX_H_

// Internal to sales-service/storage: the one transaction class behind SqlSalesStore, declared
// here so that its queries can live in one file per aggregate.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/sql/unit_of_work.h"
#include "sales-service/domain/ports.h"

namespace handoff::sales {

// A comma-separated column (territories, campaigns, tallies) as a list; empty text is empty.
inline std::vector<std::string> SplitList(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, ',');
}

class SqlSalesTx final : public sql::UnitOfWorkOn<SalesTx> {
 public:
  using UnitOfWorkOn::UnitOfWorkOn;

  // Reps and the assignment counter (sql_sales_tx_reps.cc)
  absl::StatusOr<Rep> GetRep(const std::string& id) override;
  absl::Status InsertRep(const Rep& r) override;
  absl::Status UpdateRep(const Rep& r) override;
  absl::StatusOr<Page<Rep>> ListReps(const UpdateOrder& sync, int64_t after, int limit) override;
  absl::StatusOr<std::vector<Rep>> AllReps() override;
  absl::StatusOr<int64_t> NextAssignmentSeq() override;

  // Opportunities, their queues and report rows (sql_sales_tx_opportunities.cc)
  absl::StatusOr<Opportunity> GetOpportunity(const std::string& id) override;
  absl::Status InsertOpportunity(const Opportunity& o) override;
  absl::Status UpdateOpportunity(const Opportunity& o) override;
  absl::StatusOr<Page<Opportunity>> ListOpportunities(const OpportunityFilter& f, int64_t after,
                                                      int limit) override;
  absl::StatusOr<std::optional<Opportunity>> FindOpenForLead(const std::string& lead) override;
  absl::StatusOr<int> UpdateConsentForLead(const std::string& lead, const Consent& c) override;
  absl::StatusOr<int> UpdateContactForLead(const std::string& lead, const Contact& c) override;
  absl::StatusOr<std::vector<std::string>> EraseLead(const std::string& lead,
                                                    int* opportunities) override;
  absl::StatusOr<std::vector<Opportunity>> PendingSince(absl::Time cutoff, bool unannounced_only, int limit,
                                                        TimeSeqCursor after) override;
  absl::StatusOr<std::vector<Opportunity>> UntouchedAcceptedBefore(absl::Time cutoff, bool unannounced_only,
                                                                   int limit, TimeSeqCursor after) override;
  absl::StatusOr<std::vector<Opportunity>> UnassignedPending(int limit) override;
  absl::StatusOr<std::vector<PipelineRow>> PipelineRows(const std::string& rep_id,
                                                        const std::string& currency) override;
  absl::StatusOr<std::vector<ForecastRow>> ForecastRows(const std::string& rep_id,
                                                        const std::string& currency,
                                                        absl::Time start, absl::Time end) override;
  absl::StatusOr<std::vector<OpenPipelineLine>> OpenPipeline() override;

  // Activities and the opportunity timeline (sql_sales_tx_timeline.cc)
  absl::Status RecordAssignment(const std::string& opportunity_id, const std::string& rep_id,
                                absl::Time time, const std::string& reason) override;
  absl::Status RecordStageChange(const std::string& opportunity_id, absl::Time time,
                                 const StageChange& change) override;
  absl::StatusOr<TimelinePage> ListTimeline(const std::string& opportunity_id,
                                            const TimelineCursor& after, int limit) override;
  absl::Status InsertActivity(const Activity& a) override;
  absl::StatusOr<Activity> GetActivity(const std::string& opportunity_id, const std::string& activity_id) override;
  absl::Status UpdateActivity(const Activity& a) override;
  absl::StatusOr<Page<Activity>> ListActivities(const std::string& opportunity_id, int64_t after,
                                                int limit) override;

 private:
  // Opportunities, their queues and report rows (sql_sales_tx_opportunities.cc)
  // Opportunities matching `where`, whose ?1, ?2, ... are `params` in order.
  absl::StatusOr<std::vector<Opportunity>> Select(const char* where, std::initializer_list<int64_t> params);

  // Activities and the opportunity timeline (sql_sales_tx_timeline.cc)
  absl::Status AppendTimeline(const std::string& opportunity_id, absl::Time time,
                              TimelineEntry::Kind kind, const std::string& activity_id,
                              const StageChange& c);
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_STORAGE_SQL_SALES_TX_H_
