#ifndef HANDOFF_MARKETING_DOMAIN_ATTRIBUTION_H_
#define HANDOFF_MARKETING_DOMAIN_ATTRIBUTION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace handoff::marketing {

// Values of handoff.marketing.v1.AttributionModel (kUnspecified means first touch).
enum class AttributionModel { kUnspecified = 0, kFirstTouch, kLastTouch, kLinear, kUShaped, kTimeDecay };
constexpr int kAttributionModelMax = 5;

// A touch that counts for attribution: its campaign and when it happened.
struct CampaignTouch {
  std::string campaign_id;
  absl::Time time;
};

// Half-life of ATTRIBUTION_MODEL_TIME_DECAY.
inline constexpr absl::Duration kTimeDecayHalfLife = absl::Hours(24 * 7);

// Shares `amount_minor` among the campaigns of `touches` (in time order, all before
// `handoff`) by `model`. Shares are whole minor units summing exactly to amount_minor:
// each campaign gets the floor of its exact share, and the units left go one each to the
// largest fractional parts (ties to the smaller campaign id). No touches: no shares.
// Integer arithmetic only (time-decay weights in 2^-32 steps), so any amount_minor gives
// exact shares in bounded time.
std::map<std::string, int64_t> Attribute(AttributionModel model,
                                         const std::vector<CampaignTouch>& touches,
                                         int64_t amount_minor, absl::Time handoff);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_ATTRIBUTION_H_
