#include "marketing-service/domain/attribution.h"

#include <limits>

#include "gtest/gtest.h"

namespace handoff::marketing {
namespace {

const absl::Time kHandoff = absl::FromUnixSeconds(1'700'000'000);

// Touches on campaigns a, b, c, b (oldest first), one day apart, the last one a day
// before the handoff.
std::vector<CampaignTouch> Journey() {
  return {{"a", kHandoff - absl::Hours(96)},
          {"b", kHandoff - absl::Hours(72)},
          {"c", kHandoff - absl::Hours(48)},
          {"b", kHandoff - absl::Hours(24)}};
}

using Shares = std::map<std::string, int64_t>;

TEST(Attribute, FirstAndLastTouchGiveEverythingToOneCampaign) {
  EXPECT_EQ(Attribute(AttributionModel::kFirstTouch, Journey(), 10000, kHandoff), Shares({{"a", 10000}}));
  EXPECT_EQ(Attribute(AttributionModel::kUnspecified, Journey(), 10000, kHandoff), Shares({{"a", 10000}}));
  EXPECT_EQ(Attribute(AttributionModel::kLastTouch, Journey(), 10000, kHandoff), Shares({{"b", 10000}}));
}

TEST(Attribute, LinearSharesPerTouch) {
  // 4 touches of 2500: a 1, b 2, c 1.
  EXPECT_EQ(Attribute(AttributionModel::kLinear, Journey(), 10000, kHandoff),
            Shares({{"a", 2500}, {"b", 5000}, {"c", 2500}}));
}

TEST(Attribute, UShapedGivesFortyTwentyForty) {
  // first a 40 %, last b 40 %, middle b and c 10 % each: a 4000, b 5000, c 1000.
  EXPECT_EQ(Attribute(AttributionModel::kUShaped, Journey(), 10000, kHandoff),
            Shares({{"a", 4000}, {"b", 5000}, {"c", 1000}}));
  EXPECT_EQ(Attribute(AttributionModel::kUShaped, {{"x", kHandoff}, {"y", kHandoff}}, 101, kHandoff),
            Shares({{"x", 51}, {"y", 50}}));  // odd unit to the tie's smaller id
}

TEST(Attribute, TimeDecayHalvesWeightPerWeekBeforeTheHandoff) {
  const std::vector<CampaignTouch> touches = {{"old", kHandoff - absl::Hours(24 * 7)},
                                              {"new", kHandoff}};
  // weights 0.5 and 1: old 1/3, new 2/3 of 9000.
  EXPECT_EQ(Attribute(AttributionModel::kTimeDecay, touches, 9000, kHandoff),
            Shares({{"new", 6000}, {"old", 3000}}));
}

TEST(Attribute, SharesAlwaysAddUpToTheDeal) {
  for (int model = 1; model <= kAttributionModelMax; ++model) {
    for (int64_t amount : {1, 7, 99999, 1000003}) {
      int64_t sum = 0;
      for (const auto& [campaign, share] :
           Attribute(static_cast<AttributionModel>(model), Journey(), amount, kHandoff)) {
        sum += share;
      }
      EXPECT_EQ(sum, amount) << "model " << model << " amount " << amount;
    }
  }
}

TEST(Attribute, TheLargestAmountsShareExactlyAndInBoundedTime) {
  // Floating point once looped for ever here: int64 amounts near the limit lost units.
  for (int64_t amount : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max() - 1,
                         int64_t{1'000'000'000'000'000}}) {
    for (int model = 1; model <= kAttributionModelMax; ++model) {
      __int128 sum = 0;
      for (const auto& [campaign, share] :
           Attribute(static_cast<AttributionModel>(model), Journey(), amount, kHandoff)) {
        EXPECT_GT(share, 0);
        sum += share;
      }
      EXPECT_TRUE(sum == amount) << "model " << model << " amount " << amount;
    }
  }
}

TEST(Attribute, TimeDecayKeepsAShareForTouchesYearsOld) {
  const std::vector<CampaignTouch> touches = {{"ancient", kHandoff - absl::Hours(24 * 365 * 5)},
                                              {"new", kHandoff}};
  const Shares s = Attribute(AttributionModel::kTimeDecay, touches, int64_t{1} << 40, kHandoff);
  EXPECT_EQ(s.at("ancient"), 256);  // weight 1 of 2^32 + 1
  EXPECT_EQ(s.at("ancient") + s.at("new"), int64_t{1} << 40);
}

TEST(Attribute, NoTouchesNoShares) {
  EXPECT_TRUE(Attribute(AttributionModel::kLinear, {}, 10000, kHandoff).empty());
}

}  // namespace
}  // namespace handoff::marketing
