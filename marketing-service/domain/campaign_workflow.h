#ifndef HANDOFF_MARKETING_DOMAIN_CAMPAIGN_WORKFLOW_H_
#define HANDOFF_MARKETING_DOMAIN_CAMPAIGN_WORKFLOW_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "marketing-service/domain/model.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// The fields UpdateCampaign may change; unset optionals stay as they are.
struct CampaignPatch {
  std::optional<std::string> display_name;
  std::optional<CampaignState> state;
  std::optional<Money> budget;
  std::optional<absl::Time> start_time;  // InfinitePast clears
  std::optional<absl::Time> end_time;
  std::optional<std::string> parent;  // campaign id; empty clears
  std::optional<UtmCodes> utm;
  std::optional<std::string> external_id;  // empty clears
  std::optional<std::string> etag;  // when set, must match the current etag
};

struct UpsertResult {
  Campaign campaign;
  bool created = false;
};

struct SpendRequest {
  std::string campaign_id;
  Money amount;
  std::string note;
  std::string recorded_by;
  bool allow_over_budget = false;
  std::string over_budget_reason;
};

// Campaign rules: validation, state transitions, budget against spend.
class CampaignWorkflow {
 public:
  explicit CampaignWorkflow(const Clock& clock) : clock_(clock) {}

  absl::StatusOr<Campaign> Create(MarketingTx& tx, Campaign campaign) const;
  absl::StatusOr<Campaign> Update(MarketingTx& tx, const std::string& id,
                                  const CampaignPatch& patch) const;
  // The campaign with campaign.external_id updated by `patch` (as Update), or, when no
  // campaign has that external_id, `campaign` created (as Create).
  absl::StatusOr<UpsertResult> Upsert(MarketingTx& tx, const Campaign& campaign, const CampaignPatch& patch) const;
  absl::StatusOr<Campaign> Archive(MarketingTx& tx, const std::string& id) const;
  absl::StatusOr<Campaign> RecordSpend(MarketingTx& tx, const SpendRequest& spend) const;

 private:
  const Clock& clock_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_CAMPAIGN_WORKFLOW_H_
