#ifndef HANDOFF_MARKETING_DOMAIN_CAMPAIGN_REPORT_H_
#define HANDOFF_MARKETING_DOMAIN_CAMPAIGN_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "marketing-service/domain/attribution.h"
#include "marketing-service/domain/model.h"
#include "marketing-service/domain/ports.h"

namespace handoff::marketing {

// A campaign's results with first-touch attribution (see report_service.proto).
struct CampaignPerformance {
  CampaignCounts counts;
  Money revenue;
  Money spend;
  Money cost_per_lead;
  Money cost_per_acquisition;
  int64_t roi_basis_points = 0;
};

// Derives the ratios from raw counts; integer arithmetic, rounded toward zero.
CampaignPerformance DerivePerformance(const CampaignCounts& counts, const Money& spend);

// Stores the shares of the win `outcome_id` under every attribution model: revenue is
// credited to the campaigns that touched the lead before its last handoff (at or before the
// win), fixed when the win is reported.
absl::Status RecordWinAttribution(MarketingTx& tx, int64_t outcome_id, const OutcomeRecord& win);

// Once after the upgrade that introduced stored attribution, attributes the wins stored
// before it; otherwise does nothing. Run at start-up.
absl::Status AttributeEarlierWins(MarketingTx& tx);

// The report for [from, to) (InfinitePast / InfiniteFuture for open ends) with revenue
// shared by `model` (see report_service.proto).
absl::StatusOr<CampaignPerformance> ComputeCampaignPerformance(MarketingTx& tx,
                                                               const std::string& campaign_id,
                                                               absl::Time from, absl::Time to,
                                                               AttributionModel model);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_CAMPAIGN_REPORT_H_
