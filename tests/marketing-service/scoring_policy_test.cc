#include "marketing-service/domain/scoring_policy.h"

#include "gtest/gtest.h"

namespace handoff::marketing {
namespace {

TouchCounts Counts(std::initializer_list<std::pair<TouchType, int>> counts) {
  TouchCounts c(kTouchTypeMax + 1, 0);
  for (auto [type, n] : counts) c[static_cast<int>(type)] = n;
  return c;
}

TEST(ComputeScore, SumsTouchPointsAndProfileFitWithAnExplainingBreakdown) {
  Contact contact;
  contact.title = "CTO";
  const ScoreResult r = ComputeScore(ScoringPolicy::Default(),
                                     Counts({{TouchType::kFormSubmit, 2}, {TouchType::kEventAttended, 1}}),
                                     contact);
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
  const TouchCounts c = Counts({{TouchType::kWebVisit, 7}, {TouchType::kEmailClicked, 3}});
  const ScoreResult a = ComputeScore(ScoringPolicy::Default(), c, contact);
  const ScoreResult b = ComputeScore(ScoringPolicy::Default(), c, contact);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.score, 7 * 2 + 3 * 8 + 5);
}

TEST(ComputeScore, OutboundSendsEarnNothing) {
  EXPECT_EQ(ComputeScore(ScoringPolicy::Default(), Counts({{TouchType::kEmailSent, 9}}), {}).score, 0);
}

}  // namespace
}  // namespace handoff::marketing
