#ifndef HANDOFF_MARKETING_DOMAIN_PORTS_H_
#define HANDOFF_MARKETING_DOMAIN_PORTS_H_

// The ports the domain owns: what its rules need from storage (the transaction and store
// interfaces), from the other service (the gateway the outbox implements) and from the event
// log. storage/ and messaging/ implement them; nothing here names a backend.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/page.h"
#include "common/unit_of_work.h"
#include "marketing-service/domain/attribution.h"
#include "marketing-service/domain/model.h"
#include "marketing-service/domain/scoring_policy.h"

namespace handoff::marketing {

struct LeadFilter {
  LifecycleStage stage = LifecycleStage::kUnspecified;  // kUnspecified = any
  Owner owner = Owner::kUnspecified;
  std::string source_campaign_id;  // empty = any
  std::string email;               // normalised; empty = any
  UpdateOrder sync;                // update-time window and order
};

// Raw counts behind a campaign's performance report. leads..rejected come from
// CountForCampaign; won and revenue_minor from attribution.
struct CampaignCounts {
  int64_t leads = 0;
  int64_t merged_captures = 0;
  int64_t mqls = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t won = 0;
  int64_t revenue_minor = 0;  // in the currency asked for
};

// Wins credited to one campaign: how many wins gave it a share, and the shares' sum.
struct AttributedTotals {
  int64_t wins = 0;
  int64_t revenue_minor = 0;
};

// The funnel projection the store keeps up to date with each stage change.
struct FunnelCounts {
  std::array<int64_t, kLifecycleStageMax + 1> current{};       // leads in the stage now
  std::array<int64_t, kLifecycleStageMax + 1> ever_entered{};  // leads that ever entered it
  std::array<int64_t, kLifecycleStageMax + 1> stays{};         // ended stays in it
  struct Step {
    LifecycleStage from;
    LifecycleStage to;
    int64_t converted;  // leads that entered `to` after first entering `from`
  };
  std::vector<Step> steps;
};

// Leads in one lifecycle stage with one owner now (merged leads not counted).
struct LeadCount {
  LifecycleStage stage = LifecycleStage::kUnspecified;
  Owner owner = Owner::kUnspecified;
  int64_t leads = 0;
};

// One transaction on marketing's data. Every method translates storage errors: missing
// row -> NOT_FOUND, unique violation -> ALREADY_EXISTS, busy -> UNAVAILABLE.
class MarketingTx : public UnitOfWork {
 public:
  // Campaigns.
  virtual absl::StatusOr<Campaign> GetCampaign(const std::string& id) = 0;
  virtual absl::Status InsertCampaign(const Campaign& campaign) = 0;
  virtual absl::Status UpdateCampaign(const Campaign& campaign) = 0;
  virtual absl::StatusOr<Page<Campaign>> ListCampaigns(CampaignState state, const UpdateOrder& sync, int64_t after,
                                                       int limit) = 0;
  virtual absl::Status InsertSpend(const SpendEntry& entry) = 0;
  virtual absl::StatusOr<Page<SpendEntry>> ListSpend(const std::string& campaign_id, int64_t after,
                                                     int limit) = 0;
  // The campaign whose (lower-case) UTM codes are exactly these, if any.
  virtual absl::StatusOr<std::optional<Campaign>> FindCampaignByUtm(const UtmCodes& utm) = 0;
  virtual absl::StatusOr<std::optional<Campaign>> FindCampaignByExternalId(const std::string& external_id) = 0;

  // Leads.
  virtual absl::StatusOr<Lead> GetLead(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<Lead>> FindLeadByEmail(const std::string& email) = 0;
  virtual absl::StatusOr<std::optional<Lead>> FindLeadByPhone(const std::string& phone) = 0;
  virtual absl::StatusOr<std::optional<Lead>> FindLeadByExternalId(const std::string& external_id) = 0;
  virtual absl::Status InsertLead(const Lead& lead) = 0;
  virtual absl::Status UpdateLead(const Lead& lead) = 0;
  virtual absl::StatusOr<Page<Lead>> ListLeads(const LeadFilter& filter, int64_t after,
                                               int limit) = 0;
  virtual absl::Status InsertConsentChange(const ConsentChange& change) = 0;
  virtual absl::StatusOr<Page<ConsentChange>> ListConsentChanges(const std::string& lead_id, int64_t after,
                                                                 int limit) = 0;
  // The position of the lead's newest consent change (positions grow with every change of
  // any lead); 0 when it has none.
  virtual absl::StatusOr<int64_t> LastConsentChange(const std::string& lead_id) = 0;
  virtual absl::Status AppendStageChange(const std::string& lead_id, const StageChange& change) = 0;
  // The first stage of a lead this transaction creates under a new id (before InsertLead):
  // as AppendStageChange, and the store may answer this transaction's StageHistory and
  // TouchHistory of the lead from what it wrote, since no other can have rows of it.
  virtual absl::Status AppendFirstStage(const std::string& lead_id, const StageChange& change) = 0;
  // Ends the lead's stay in its current stage at `time` without a new stage: the lead
  // leaves the funnel (a lead merged into another).
  virtual absl::Status LeaveFunnel(const std::string& lead_id, absl::Time time) = 0;
  // Gives lead `to` the touches, consent changes and outcomes of lead `from`; its captures
  // become merged captures (MergeLeads).
  virtual absl::Status MoveLeadRecords(const std::string& from, const std::string& to) = 0;
  // The leads merged into `id`, oldest first.
  virtual absl::StatusOr<std::vector<Lead>> LeadsMergedInto(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<StageChange>> StageHistory(const std::string& lead_id) = 0;

  // Erasures: fingerprints (common/contact_fingerprint.h) of erased e-mails and phones.
  virtual absl::Status RecordErasure(const std::string& fingerprint, absl::Time time) = 0;
  virtual absl::StatusOr<bool> IsErased(const std::string& fingerprint) = 0;

  // Touches. InsertTouch returns false (and writes nothing) when touch_id exists.
  virtual absl::StatusOr<bool> InsertTouch(const Touch& touch) = 0;
  // Every touch of the lead (type and time), oldest first.
  virtual absl::StatusOr<std::vector<TouchAt>> TouchHistory(const std::string& lead_id) = 0;
  // The lead's touches after cursor `after`, oldest first (ListTouches).
  virtual absl::StatusOr<Page<Touch>> ListTouches(const std::string& lead_id, int64_t after, int limit) = 0;
  // Touches of the lead of any of `types` with from < time <= to.
  virtual absl::StatusOr<int64_t> CountTouchesBetween(const std::string& lead_id,
                                                      const std::vector<TouchType>& types,
                                                      absl::Time from, absl::Time to) = 0;
  // Campaigns that touched the lead, by first touch.
  virtual absl::StatusOr<std::vector<std::string>> TouchedCampaigns(const std::string& lead_id) = 0;

  // Scoring policy versions. version 0 asks for the newest; nullopt when none is stored.
  virtual absl::StatusOr<std::optional<ScoringPolicy>> GetScoringPolicy(int64_t version) = 0;
  virtual absl::Status InsertScoringPolicy(const ScoringPolicy& policy) = 0;

  // Reports.
  // leads, merged_captures, mqls, accepted, rejected for leads captured in [from, to).
  virtual absl::StatusOr<CampaignCounts> CountForCampaign(const std::string& campaign_id,
                                                          absl::Time from, absl::Time to) = 0;
  virtual absl::StatusOr<int64_t> SpendBetween(const std::string& campaign_id, absl::Time from,
                                               absl::Time to) = 0;
  // Stores an outcome; returns its id.
  virtual absl::StatusOr<int64_t> InsertOutcome(const OutcomeRecord& outcome) = 0;
  // The lead's touches with a campaign and time <= before, in time order.
  virtual absl::StatusOr<std::vector<CampaignTouch>> CampaignTouchesUntil(const std::string& lead_id,
                                                                          absl::Time before) = 0;
  // When the lead last became an MQL at or before `before`, if ever.
  virtual absl::StatusOr<std::optional<absl::Time>> LastHandoffUntil(const std::string& lead_id,
                                                                     absl::Time before) = 0;
  // A campaign's share of the win `outcome_id` under `model`.
  virtual absl::Status InsertAttribution(int64_t outcome_id, const std::string& campaign_id,
                                         AttributionModel model, const Money& share, absl::Time time) = 0;
  // The shares of `campaign_id` under `model` of wins in [from, to) in `currency`.
  virtual absl::StatusOr<AttributedTotals> SumAttributed(const std::string& campaign_id,
                                                         AttributionModel model, absl::Time from,
                                                         absl::Time to, const std::string& currency) = 0;
  // True once after the upgrade that introduced stored attribution: the caller must then
  // attribute the wins stored before it (UnattributedWins).
  virtual absl::StatusOr<bool> TakeAttributionBackfill() = 0;
  // WON outcomes (with their ids) that have no stored shares, oldest first.
  virtual absl::StatusOr<std::vector<std::pair<int64_t, OutcomeRecord>>> UnattributedWins() = 0;
  // The funnel as the store keeps it with every stage change (AppendStageChange).
  virtual absl::StatusOr<FunnelCounts> GetFunnelCounts() = 0;
  // Leads per stage and owner now (one read over every lead).
  virtual absl::StatusOr<std::vector<LeadCount>> CountLeads() = 0;
  // The length of the stage's ended stay of rank `n` (0 = shortest); NOT_FOUND past the end.
  virtual absl::StatusOr<absl::Duration> NthShortestStay(LifecycleStage stage, int64_t n) = 0;
};

// Marketing's database.
class MarketingStore {
 public:
  virtual ~MarketingStore() = default;
  // Runs `work` in one transaction: committed when it returns OK, rolled back otherwise
  // (then nothing it wrote remains).
  virtual absl::Status Run(absl::FunctionRef<absl::Status(MarketingTx&)> work) = 0;
  // Runs read-only `work` in one read transaction: it sees one consistent state (what was
  // committed when it began) and does not wait for writers. Any write in it fails.
  virtual absl::Status Read(absl::FunctionRef<absl::Status(MarketingTx&)> work) = 0;
  // OK while the database answers.
  virtual absl::Status Ping() = 0;
  // Up to `limit` events with sequence > `after`, in order (for Watch*Events).
  virtual absl::StatusOr<std::vector<EventRecord>> ReadEvents(int64_t after, int limit) = 0;
  // The newest event's sequence; 0 when there is none.
  virtual absl::StatusOr<int64_t> LatestEventSequence() = 0;
};

struct HandoffNotice {
  Lead lead;
  std::vector<std::string> campaign_ids;  // campaigns that touched the lead, first first
  absl::Time time;
  std::vector<TouchAt> touches;           // every touch, oldest first (for the summary)
};

// Messages to sales, queued in the caller's transaction (so they leave if and only if the
// change that causes them commits).
class SalesGateway {
 public:
  virtual ~SalesGateway() = default;
  virtual absl::Status QueueHandoff(UnitOfWork& uow, const HandoffNotice& notice) = 0;
  virtual absl::Status QueueConsentChange(UnitOfWork& uow, const Lead& lead) = 0;
  virtual absl::Status QueueContactChange(UnitOfWork& uow, const Lead& lead) = 0;
  virtual absl::Status QueueErasure(UnitOfWork& uow, const Lead& lead) = 0;
};

// Values of handoff.marketing.v1.LeadEventType.
enum class LeadEventType {
  kCaptured = 1, kMerged, kTouched, kHandedOff, kConsentChanged, kOutcomeReported, kErased,
  kDisqualified, kEngaged, kContactUpdated, kLeadsMerged,
};

// Appends lead events in the caller's transaction (streamed by WatchLeadEvents).
class LeadEventLog {
 public:
  virtual ~LeadEventLog() = default;
  virtual absl::Status Record(UnitOfWork& uow, LeadEventType type, const Lead& lead) = 0;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_PORTS_H_
