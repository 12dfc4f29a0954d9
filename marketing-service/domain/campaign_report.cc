#include "marketing-service/domain/campaign_report.h"

#include <limits>

namespace handoff::marketing {

CampaignPerformance DerivePerformance(const CampaignCounts& counts, const Money& spend) {
  CampaignPerformance p;
  p.counts = counts;
  p.spend = spend;
  p.revenue = Money{counts.revenue_minor, spend.currency};
  p.cost_per_lead = Money{counts.leads > 0 ? spend.amount_minor / counts.leads : 0, spend.currency};
  p.cost_per_acquisition = Money{counts.won > 0 ? spend.amount_minor / counts.won : 0, spend.currency};
  if (spend.amount_minor > 0) {
    // __int128 keeps (revenue - spend) * 10000 exact for any int64 amounts; the ratio itself
    // can pass 64 bits (huge revenue on a tiny spend) and then stops at the int64 limit.
    const __int128 num = (static_cast<__int128>(counts.revenue_minor) - spend.amount_minor) * 10000;
    const __int128 roi = num / spend.amount_minor;
    const __int128 limit = std::numeric_limits<int64_t>::max();
    p.roi_basis_points = static_cast<int64_t>(roi > limit ? limit : roi < -limit ? -limit : roi);
  }
  return p;
}

absl::Status RecordWinAttribution(MarketingTx& tx, int64_t outcome_id, const OutcomeRecord& win) {
  absl::StatusOr<std::optional<absl::Time>> handoff = tx.LastHandoffUntil(win.lead_id, win.time);
  if (!handoff.ok()) return handoff.status();
  const absl::Time cutoff = handoff->value_or(win.time);
  absl::StatusOr<std::vector<CampaignTouch>> touches = tx.CampaignTouchesUntil(win.lead_id, cutoff);
  if (!touches.ok()) return touches.status();
  for (int m = 1; m <= kAttributionModelMax; ++m) {
    const auto model = static_cast<AttributionModel>(m);
    for (const auto& [campaign, share] : Attribute(model, *touches, win.amount.amount_minor, cutoff)) {
      if (absl::Status s =
              tx.InsertAttribution(outcome_id, campaign, model, Money{share, win.amount.currency}, win.time);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status AttributeEarlierWins(MarketingTx& tx) {
  absl::StatusOr<bool> pending = tx.TakeAttributionBackfill();
  if (!pending.ok()) return pending.status();
  if (!*pending) return absl::OkStatus();
  absl::StatusOr<std::vector<std::pair<int64_t, OutcomeRecord>>> wins = tx.UnattributedWins();
  if (!wins.ok()) return wins.status();
  for (const auto& [id, win] : *wins) {
    if (absl::Status s = RecordWinAttribution(tx, id, win); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<CampaignPerformance> ComputeCampaignPerformance(MarketingTx& tx,
                                                               const std::string& campaign_id,
                                                               absl::Time from, absl::Time to,
                                                               AttributionModel model) {
  absl::StatusOr<Campaign> campaign = tx.GetCampaign(campaign_id);
  if (!campaign.ok()) return campaign.status();
  absl::StatusOr<CampaignCounts> counts = tx.CountForCampaign(campaign_id, from, to);
  if (!counts.ok()) return counts.status();
  absl::StatusOr<AttributedTotals> won = tx.SumAttributed(campaign_id, model, from, to, campaign->budget.currency);
  if (!won.ok()) return won.status();
  counts->won = won->wins;
  counts->revenue_minor = won->revenue_minor;
  absl::StatusOr<int64_t> spend = tx.SpendBetween(campaign_id, from, to);
  if (!spend.ok()) return spend.status();
  return DerivePerformance(*counts, Money{*spend, campaign->budget.currency});
}

}  // namespace handoff::marketing
