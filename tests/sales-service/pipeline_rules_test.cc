#include "sales-service/domain/pipeline_rules.h"

#include <map>

#include "gtest/gtest.h"

namespace handoff::sales {
namespace {

RepLoad Rep(const std::string& id, std::vector<std::string> territories, int capacity = 5,
            int open = 0, int64_t last = 0, bool active = true) {
  return RepLoad{id, active, capacity, open, last, std::move(territories)};
}

TEST(ChooseRep, NeverPicksTheExcludedRep) {
  const std::vector<RepLoad> reps = {Rep("anna", {}, 5, 0, 1), Rep("bob", {}, 5, 0, 9)};
  EXPECT_EQ(*ChooseRep(reps, "", "anna").rep_id, "bob");  // though anna is due first
  const AssignmentChoice none = ChooseRep({Rep("anna", {})}, "", "anna");
  EXPECT_FALSE(none.rep_id);
  EXPECT_EQ(none.unassigned_reason, "no other active rep with free capacity");
}

TEST(ChooseRep, TerritoryMatchComesFirst) {
  const AssignmentChoice c = ChooseRep({Rep("fr", {"FR"}), Rep("de", {"DE", "AT"})}, "AT");
  EXPECT_EQ(*c.rep_id, "de");
}

TEST(ChooseRep, FallsBackToAnyEligibleRepOutsideTheTerritory) {
  const AssignmentChoice c = ChooseRep({Rep("fr", {"FR"}, 5, 0, 3), Rep("de", {"DE"}, 5, 0, 1)}, "US");
  EXPECT_EQ(*c.rep_id, "de");  // least recently assigned
}

TEST(ChooseRep, RotationIsFairWhateverTheIdOrder) {
  // Simulate 30 assignments among three reps with equal capacity; each gets 10.
  std::vector<RepLoad> reps = {Rep("zz", {}, 100), Rep("aa", {}, 100), Rep("mm", {}, 100)};
  std::map<std::string, int> got;
  for (int seq = 1; seq <= 30; ++seq) {
    const AssignmentChoice c = ChooseRep(reps, "");
    ASSERT_TRUE(c.rep_id);
    ++got[*c.rep_id];
    for (RepLoad& r : reps) {
      if (r.id == *c.rep_id) {
        r.last_assigned_seq = seq;
        ++r.open;
      }
    }
  }
  EXPECT_EQ(got["aa"], 10);
  EXPECT_EQ(got["mm"], 10);
  EXPECT_EQ(got["zz"], 10);
}

TEST(ChooseRep, RespectsCapacityAndAwayStatus) {
  const AssignmentChoice c = ChooseRep(
      {Rep("full", {"DE"}, 2, 2), Rep("away", {"DE"}, 5, 0, 0, false), Rep("free", {}, 5, 4, 9)}, "DE");
  EXPECT_EQ(*c.rep_id, "free");
}

TEST(ChooseRep, NoEligibleRepGivesAReason) {
  EXPECT_EQ(ChooseRep({}, "DE").unassigned_reason, "no reps exist");
  const AssignmentChoice c = ChooseRep({Rep("full", {}, 1, 1)}, "DE");
  EXPECT_FALSE(c.rep_id);
  EXPECT_EQ(c.unassigned_reason, "no active rep with free capacity");
}

TEST(CanAdvance, OnlyForwardAndNeverIntoOrOutOfClosedStages) {
  EXPECT_TRUE(CanAdvance(Stage::kNew, Stage::kContacted));
  EXPECT_TRUE(CanAdvance(Stage::kNew, Stage::kProposal));
  EXPECT_FALSE(CanAdvance(Stage::kProposal, Stage::kContacted));
  EXPECT_FALSE(CanAdvance(Stage::kNegotiation, Stage::kNegotiation));
  EXPECT_FALSE(CanAdvance(Stage::kNegotiation, Stage::kClosedWon));
  EXPECT_FALSE(CanAdvance(Stage::kClosedLost, Stage::kNegotiation));
}

}  // namespace
}  // namespace handoff::sales
