#include "marketing-service/domain/attribution.h"

#include <algorithm>
#include <tuple>

namespace handoff::marketing {
namespace {

// Weights are integers; a time-decay weight of 1.0 is 2^32. At most 2^31 touches keep the
// sum of weights below 2^63, and amount (< 2^63) times a weight sum stays below 2^127.
constexpr int kWeightBits = 32;

// 2^(-2^-i) in Q62 fixed point for i = 1..24: the factors whose products give 2^(-f) for a
// fraction f written in binary.
constexpr uint64_t kHalvingRoots[] = {
    0x2d413cccfe779a00, 0x35d13f32b5a75a00, 0x3ab031b9f7490e00, 0x3d495f454921b400,
    0x3ea0ecb6dc8a8000, 0x3f4f83033d21b000, 0x3fa784571ee3e200, 0x3fd3b2d65447b200,
    0x3fe9d59487236c00, 0x3ff4e9d4703df800, 0x3ffa74acbdf6ca00, 0x3ffd3a46ffc6e400,
    0x3ffe9d1fa8010200, 0x3fff4e8ede053a00, 0x3fffa74731837600, 0x3fffd3a38961e600,
    0x3fffe9d1c0d8fe00, 0x3ffff4e8df768000, 0x3ffffa746f7dc000, 0x3ffffd3a37af8000,
    0x3ffffe9d1bd3e800, 0x3fffff4e8de8fe00, 0x3fffffa746f44200, 0x3fffffd3a37a1200};

// 2^32 * 2^(-age / half_life), in integers only; never below 1, so a touch however
// old keeps a (tiny) share and the weights never sum to zero.
int64_t DecayWeight(absl::Duration age) {
  const int64_t age_us = absl::ToInt64Microseconds(std::max(absl::ZeroDuration(), age));
  const int64_t half_us = absl::ToInt64Microseconds(kTimeDecayHalfLife);
  const int64_t halvings = age_us / half_us;
  if (halvings >= kWeightBits) return 1;
  unsigned __int128 w = static_cast<unsigned __int128>(1) << 62;  // 1.0 in Q62
  int64_t rest = age_us % half_us;                                // the fraction rest / half_us
  for (uint64_t root : kHalvingRoots) {
    rest *= 2;  // < 2 * half_us: no overflow
    if (rest >= half_us) {
      rest -= half_us;
      w = (w * root) >> 62;
    }
  }
  const int64_t weight = static_cast<int64_t>(w >> (62 - kWeightBits + halvings));
  return std::max<int64_t>(1, weight);
}

}  // namespace

std::map<std::string, int64_t> Attribute(AttributionModel model,
                                         const std::vector<CampaignTouch>& touches,
                                         int64_t amount_minor, absl::Time handoff) {
  std::map<std::string, int64_t> shares;
  const size_t n = touches.size();
  if (n == 0 || amount_minor <= 0 || n > (size_t{1} << 31)) return shares;
  std::vector<int64_t> weight(n, 0);
  switch (model) {
    case AttributionModel::kUnspecified:
    case AttributionModel::kFirstTouch:
      weight[0] = 1;
      break;
    case AttributionModel::kLastTouch:
      weight[n - 1] = 1;
      break;
    case AttributionModel::kLinear:
      std::fill(weight.begin(), weight.end(), 1);
      break;
    case AttributionModel::kUShaped:
      if (n <= 2) {
        std::fill(weight.begin(), weight.end(), 1);
      } else {
        // 40 % : 20 % / (n - 2) each : 40 %, i.e. 2 (n - 2) : 1 : 2 (n - 2).
        std::fill(weight.begin(), weight.end(), 1);
        weight[0] = weight[n - 1] = 2 * static_cast<int64_t>(n - 2);
      }
      break;
    case AttributionModel::kTimeDecay:
      for (size_t i = 0; i < n; ++i) weight[i] = DecayWeight(handoff - touches[i].time);
      break;
  }
  std::map<std::string, int64_t> per_campaign;
  __int128 total = 0;
  for (size_t i = 0; i < n; ++i) {
    per_campaign[touches[i].campaign_id] += weight[i];
    total += weight[i];
  }
  // Largest-remainder rounding keeps the shares' sum equal to the deal. Exact integer
  // arithmetic: each campaign's floor leaves less than one unit, so fewer units than
  // campaigns are left to hand out.
  struct Part {
    std::string campaign;
    int64_t whole;
    __int128 remainder;
  };
  std::vector<Part> parts;
  int64_t assigned = 0;
  for (const auto& [campaign, w] : per_campaign) {
    const __int128 exact = static_cast<__int128>(amount_minor) * w;
    const int64_t whole = static_cast<int64_t>(exact / total);
    parts.push_back({campaign, whole, exact % total});
    assigned += whole;
  }
  std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
    return std::tie(b.remainder, a.campaign) < std::tie(a.remainder, b.campaign);
  });
  const int64_t left = amount_minor - assigned;  // in [0, parts.size())
  for (int64_t i = 0; i < left; ++i) ++parts[static_cast<size_t>(i)].whole;
  for (const Part& p : parts) {
    if (p.whole > 0) shares[p.campaign] = p.whole;
  }
  return shares;
}

}  // namespace handoff::marketing
