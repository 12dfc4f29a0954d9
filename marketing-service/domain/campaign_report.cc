#include "marketing-service/domain/campaign_report.h"

namespace handoff::marketing {

CampaignPerformance DerivePerformance(const CampaignCounts& counts, const Money& spend) {
  CampaignPerformance p;
  p.counts = counts;
  p.spend = spend;
  p.revenue = Money{counts.revenue_minor, spend.currency};
  p.cost_per_lead = Money{counts.leads > 0 ? spend.amount_minor / counts.leads : 0, spend.currency};
  p.cost_per_acquisition = Money{counts.won > 0 ? spend.amount_minor / counts.won : 0, spend.currency};
  if (spend.amount_minor > 0) {
    // __int128 keeps (revenue - spend) * 10000 exact for any int64 amounts.
    const __int128 num = (static_cast<__int128>(counts.revenue_minor) - spend.amount_minor) * 10000;
    p.roi_basis_points = static_cast<int64_t>(num / spend.amount_minor);
  }
  return p;
}

absl::StatusOr<CampaignPerformance> ComputeCampaignPerformance(MarketingTx& tx,
                                                               const std::string& campaign_id) {
  absl::StatusOr<Campaign> campaign = tx.GetCampaign(campaign_id);
  if (!campaign.ok()) return campaign.status();
  absl::StatusOr<CampaignCounts> counts = tx.CountForCampaign(campaign_id, campaign->budget.currency);
  if (!counts.ok()) return counts.status();
  return DerivePerformance(*counts, Money{campaign->spent_minor, campaign->budget.currency});
}

}  // namespace handoff::marketing
