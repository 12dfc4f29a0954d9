#ifndef HANDOFF_MARKETING_STORAGE_SQL_MARKETING_TX_H_
#define HANDOFF_MARKETING_STORAGE_SQL_MARKETING_TX_H_

// Internal to marketing-service/storage: the one transaction class behind SqlMarketingStore,
// declared here so that its queries can live in one file per aggregate.

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/sql/unit_of_work.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// Microseconds for range bounds; infinite bounds become the int64 extremes.
inline int64_t Micros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

class SqlMarketingTx final : public sql::UnitOfWorkOn<MarketingTx> {
 public:
  using UnitOfWorkOn::UnitOfWorkOn;
  // A lead's column values as bound (sql_marketing_tx_leads.cc; monostate: NULL).
  using LeadRow = std::vector<std::variant<std::monostate, int64_t, std::string>>;

  // Campaigns, their spend and UTM codes (sql_marketing_tx_campaigns.cc)
  absl::StatusOr<Campaign> GetCampaign(const std::string& id) override;
  absl::Status InsertCampaign(const Campaign& c) override;
  absl::Status UpdateCampaign(const Campaign& c) override;
  absl::StatusOr<Page<Campaign>> ListCampaigns(CampaignState state, const UpdateOrder& sync, int64_t after,
                                               int limit) override;
  absl::Status InsertSpend(const SpendEntry& e) override;
  absl::StatusOr<Page<SpendEntry>> ListSpend(const std::string& campaign_id, int64_t after,
                                             int limit) override;
  absl::StatusOr<std::optional<Campaign>> FindCampaignByUtm(const UtmCodes& utm) override;
  absl::StatusOr<std::optional<Campaign>> FindCampaignByExternalId(const std::string& external_id) override;
  absl::StatusOr<CampaignCounts> CountForCampaign(const std::string& campaign_id, absl::Time from,
                                                  absl::Time to) override;
  absl::StatusOr<int64_t> SpendBetween(const std::string& campaign_id, absl::Time from,
                                       absl::Time to) override;

  // Leads and erased contacts (sql_marketing_tx_leads.cc)
  absl::StatusOr<Lead> GetLead(const std::string& id) override;
  absl::StatusOr<std::optional<Lead>> FindLeadByEmail(const std::string& email) override;
  absl::StatusOr<std::optional<Lead>> FindLeadByPhone(const std::string& phone) override;
  absl::StatusOr<std::optional<Lead>> FindLeadByExternalId(const std::string& external_id) override;
  absl::Status MoveLeadRecords(const std::string& from, const std::string& to) override;
  absl::StatusOr<std::vector<Lead>> LeadsMergedInto(const std::string& id) override;
  absl::Status InsertLead(const Lead& l) override;
  absl::Status UpdateLead(const Lead& l) override;
  absl::StatusOr<Page<Lead>> ListLeads(const LeadFilter& f, int64_t after, int limit) override;
  absl::Status RecordErasure(const std::string& fingerprint, absl::Time time) override;
  absl::StatusOr<bool> IsErased(const std::string& fingerprint) override;

  // Lifecycle stage history and the funnel projections (sql_marketing_tx_funnel.cc)
  // Appends to the history and keeps the funnel projections (version 6) in step with it.
  absl::Status InsertConsentChange(const ConsentChange& change) override;
  absl::StatusOr<Page<ConsentChange>> ListConsentChanges(const std::string& lead_id, int64_t after,
                                                         int limit) override;
  absl::StatusOr<int64_t> LastConsentChange(const std::string& lead_id) override;
  absl::Status AppendStageChange(const std::string& lead_id, const StageChange& c) override;
  absl::Status AppendFirstStage(const std::string& lead_id, const StageChange& c) override;
  absl::Status LeaveFunnel(const std::string& lead_id, absl::Time time) override;
  absl::StatusOr<FunnelCounts> GetFunnelCounts() override;
  absl::StatusOr<std::vector<LeadCount>> CountLeads() override;
  absl::StatusOr<absl::Duration> NthShortestStay(LifecycleStage stage, int64_t n) override;
  absl::StatusOr<std::vector<StageChange>> StageHistory(const std::string& lead_id) override;
  absl::StatusOr<std::optional<absl::Time>> LastHandoffUntil(const std::string& lead_id,
                                                             absl::Time before) override;

  // Touches and scoring policies (sql_marketing_tx_touches.cc)
  absl::StatusOr<bool> InsertTouch(const Touch& t) override;
  absl::StatusOr<std::vector<TouchAt>> TouchHistory(const std::string& lead_id) override;
  absl::StatusOr<Page<Touch>> ListTouches(const std::string& lead_id, int64_t after, int limit) override;
  absl::StatusOr<std::optional<ScoringPolicy>> GetScoringPolicy(int64_t version) override;
  absl::Status InsertScoringPolicy(const ScoringPolicy& p) override;
  absl::StatusOr<int64_t> CountTouchesBetween(const std::string& lead_id,
                                              const std::vector<TouchType>& types, absl::Time from,
                                              absl::Time to) override;
  absl::StatusOr<std::vector<std::string>> TouchedCampaigns(const std::string& lead_id) override;
  absl::StatusOr<std::vector<CampaignTouch>> CampaignTouchesUntil(const std::string& lead_id,
                                                                  absl::Time before) override;

  // Outcomes and attributed revenue (sql_marketing_tx_attribution.cc)
  absl::StatusOr<int64_t> InsertOutcome(const OutcomeRecord& o) override;
  absl::Status InsertAttribution(int64_t outcome_id, const std::string& campaign_id, AttributionModel model,
                                 const Money& share, absl::Time time) override;
  absl::StatusOr<AttributedTotals> SumAttributed(const std::string& campaign_id, AttributionModel model,
                                                 absl::Time from, absl::Time to,
                                                 const std::string& currency) override;
  absl::StatusOr<bool> TakeAttributionBackfill() override;
  absl::StatusOr<std::vector<std::pair<int64_t, OutcomeRecord>>> UnattributedWins() override;

 private:
  // Leads and erased contacts (sql_marketing_tx_leads.cc)
  absl::StatusOr<std::optional<Lead>> FindLeadBy(const char* column, const std::string& value);
  // Each lead's row as this transaction last read or wrote it (every write of the leads
  // table goes through InsertLead and UpdateLead), so UpdateLead sets only the columns that
  // changed: SQLite rewrites an index only when a column of it is set, and a touch changes
  // three columns of a row with eight indexes.
  absl::flat_hash_map<std::string, LeadRow> stored_leads_;
  // Leads this transaction created (AppendFirstStage) with the history and touches it wrote
  // for them, which are all they have: StageHistory and TouchHistory answer from here with
  // no statement (on PostgreSQL such a read of the newest index page also collided with
  // every other capture under SERIALIZABLE). Any other change of the lead's stage or
  // records drops it from here, and the reads go to the tables again.
  struct NewLeadRows {
    std::vector<StageChange> history;
    std::vector<TouchAt> touches;
  };
  absl::flat_hash_map<std::string, NewLeadRows> new_leads_;

  // Lifecycle stage history and the funnel projections (sql_marketing_tx_funnel.cc)
  // Runs a statement without results, binding `params` to ?1, ?2, ...
  absl::Status Exec(const char* sql, std::initializer_list<int64_t> params);
  // LeaveFunnel, and whether the lead had a stage to leave (false: no history yet).
  absl::StatusOr<bool> EndStay(const std::string& lead_id, absl::Time time);
  // Whether the lead's history has an entry into `stage` after history row `after_id`.
  absl::StatusOr<bool> HasEntered(const std::string& lead_id, int64_t stage, int64_t after_id);
  // A lead's first stage (no stay ended, no conversion): counted and its history row.
  absl::Status EnterFirstStage(const std::string& lead_id, const StageChange& c);
  // Adds to a stage's counters in the funnel projection.
  absl::Status CountInStage(int64_t stage, int64_t current, int64_t entered, int64_t stays);
  // The history row of a stage change (the projections are AppendStageChange's).
  absl::Status InsertStageRow(const std::string& lead_id, int64_t stage, const StageChange& c);
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_STORAGE_SQL_MARKETING_TX_H_
