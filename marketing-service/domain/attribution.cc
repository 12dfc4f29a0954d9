#include "marketing-service/domain/attribution.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace handoff::marketing {

std::map<std::string, int64_t> Attribute(AttributionModel model,
                                         const std::vector<CampaignTouch>& touches,
                                         int64_t amount_minor, absl::Time handoff) {
  std::map<std::string, int64_t> shares;
  const size_t n = touches.size();
  if (n == 0 || amount_minor <= 0) return shares;
  std::vector<double> weight(n, 0.0);
  switch (model) {
    case AttributionModel::kUnspecified:
    case AttributionModel::kFirstTouch:
      weight[0] = 1.0;
      break;
    case AttributionModel::kLastTouch:
      weight[n - 1] = 1.0;
      break;
    case AttributionModel::kLinear:
      std::fill(weight.begin(), weight.end(), 1.0);
      break;
    case AttributionModel::kUShaped:
      if (n == 1) {
        weight[0] = 1.0;
      } else if (n == 2) {
        weight[0] = weight[1] = 0.5;
      } else {
        weight[0] = weight[n - 1] = 0.4;
        for (size_t i = 1; i + 1 < n; ++i) weight[i] = 0.2 / static_cast<double>(n - 2);
      }
      break;
    case AttributionModel::kTimeDecay:
      for (size_t i = 0; i < n; ++i) {
        const absl::Duration age = std::max(absl::ZeroDuration(), handoff - touches[i].time);
        weight[i] = std::exp2(-absl::FDivDuration(age, kTimeDecayHalfLife));
      }
      break;
  }
  std::map<std::string, double> per_campaign;
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    per_campaign[touches[i].campaign_id] += weight[i];
    total += weight[i];
  }
  // Largest-remainder rounding keeps the shares' sum equal to the deal.
  struct Part {
    std::string campaign;
    int64_t whole;
    double fraction;
  };
  std::vector<Part> parts;
  int64_t assigned = 0;
  for (const auto& [campaign, w] : per_campaign) {
    const double exact = static_cast<double>(amount_minor) * w / total;
    const int64_t whole = static_cast<int64_t>(std::floor(exact));
    parts.push_back({campaign, whole, exact - static_cast<double>(whole)});
    assigned += whole;
  }
  std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
    return std::tie(b.fraction, a.campaign) < std::tie(a.fraction, b.campaign);
  });
  for (size_t i = 0; assigned < amount_minor; i = (i + 1) % parts.size(), ++assigned) {
    ++parts[i].whole;
  }
  for (const Part& p : parts) {
    if (p.whole > 0) shares[p.campaign] = p.whole;
  }
  return shares;
}

}  // namespace handoff::marketing
