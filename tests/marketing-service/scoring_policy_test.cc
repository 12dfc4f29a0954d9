#include "marketing-service/domain/scoring_policy.h"

#include "gtest/gtest.h"

namespace handoff::marketing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

// `n` touches of `type` at `when`.
void Add(std::vector<TouchAt>& touches, TouchType type, int n, absl::Time when = kNow) {
  for (int i = 0; i < n; ++i) touches.push_back({type, when});
}

TEST(ComputeScore, SumsTouchPointsAndProfileFitWithAnExplainingBreakdown) {
  Contact contact;
  contact.title = "CTO";
  std::vector<TouchAt> touches;
  Add(touches, TouchType::kFormSubmit, 2);
  Add(touches, TouchType::kEventAttended, 1);
  const ScoreResult r = ComputeScore(ScoringPolicy::Default(), touches, contact, kNow);
  EXPECT_EQ(r.score, 2 * 15 + 25 + 5);
  ASSERT_EQ(r.breakdown.size(), 3u);
  EXPECT_EQ(r.breakdown[0].reason, "touch:TOUCH_TYPE_FORM_SUBMIT");
  EXPECT_EQ(r.breakdown[0].count, 2);
  EXPECT_EQ(r.breakdown[0].points, 30);
  EXPECT_EQ(r.breakdown[1].reason, "touch:TOUCH_TYPE_EVENT_ATTENDED");
  EXPECT_EQ(r.breakdown[2].reason, "profile:title");
  int sum = 0;
  for (const ScoreComponent& c : r.breakdown) sum += c.points;
  EXPECT_EQ(sum, r.score);
}

TEST(ComputeScore, IsDeterministic) {
  Contact contact;
  contact.company = "X";
  std::vector<TouchAt> touches;
  Add(touches, TouchType::kWebVisit, 7);
  Add(touches, TouchType::kEmailClicked, 3);
  const ScoreResult a = ComputeScore(ScoringPolicy::Default(), touches, contact, kNow);
  const ScoreResult b = ComputeScore(ScoringPolicy::Default(), touches, contact, kNow);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.score, 7 * 2 + 3 * 8 + 5);
}

TEST(ComputeScore, OutboundTouchesEarnNothingByDefault) {
  std::vector<TouchAt> touches;
  Add(touches, TouchType::kEmailSent, 9);
  Add(touches, TouchType::kCallMade, 2);
  EXPECT_EQ(ComputeScore(ScoringPolicy::Default(), touches, {}, kNow).score, 0);
}

TEST(ComputeScore, PointsHalveEveryHalfLife) {
  ScoringPolicy p = ScoringPolicy::Default();
  p.decay_half_life = absl::Hours(24 * 30);
  std::vector<TouchAt> touches;
  Add(touches, TouchType::kEventAttended, 1, kNow - absl::Hours(24 * 30));  // 25 -> 12.5
  Add(touches, TouchType::kEventAttended, 1, kNow - absl::Hours(24 * 60));  // 25 -> 6.25
  Add(touches, TouchType::kFormSubmit, 1, kNow);                            // 15
  const ScoreResult r = ComputeScore(p, touches, {}, kNow);
  ASSERT_EQ(r.breakdown.size(), 2u);
  EXPECT_EQ(r.breakdown[0].points, 15);
  EXPECT_EQ(r.breakdown[1].points, 19);  // 18.75 rounded
  EXPECT_EQ(r.score, 34);
  // Without decay the same touches are worth their full points.
  EXPECT_EQ(ComputeScore(ScoringPolicy::Default(), touches, {}, kNow).score, 65);
}

TEST(ComputeScore, ProfileFitUsesTitleKeywordsAndTargetCountries) {
  ScoringPolicy p = ScoringPolicy::Default();
  p.title_keywords = {"cto", "head of"};
  p.country_points = 7;
  p.target_countries = {"DE", "AT"};
  Contact fits;
  fits.title = "Head of Platform";
  fits.country_code = "AT";
  EXPECT_EQ(ComputeScore(p, {}, fits, kNow).score, 5 + 7);
  Contact misses;
  misses.title = "Intern";
  misses.country_code = "FR";
  EXPECT_EQ(ComputeScore(p, {}, misses, kNow).score, 0);
}

TEST(NormalizePolicy, RefusesOutOfRangeValuesNamingTheField) {
  ScoringPolicy p = ScoringPolicy::Default();
  p.mql_threshold = 0;
  absl::Status s = NormalizePolicy(p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("policy.mql_threshold"), absl::string_view::npos);
  p = ScoringPolicy::Default();
  p.target_countries = {"Germany"};
  EXPECT_EQ(NormalizePolicy(p).code(), absl::StatusCode::kInvalidArgument);
  p = ScoringPolicy::Default();
  p.points_per_touch[1] = 5000;
  EXPECT_EQ(NormalizePolicy(p).code(), absl::StatusCode::kInvalidArgument);
  p = ScoringPolicy::Default();
  p.title_keywords = {" CTO "};
  p.target_countries = {"de"};
  ASSERT_TRUE(NormalizePolicy(p).ok());
  EXPECT_EQ(p.title_keywords[0], "cto");
  EXPECT_EQ(p.target_countries[0], "DE");
}

}  // namespace
}  // namespace handoff::marketing
