#include "marketing-service/domain/funnel_report.h"

#include "gtest/gtest.h"

namespace handoff::marketing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
absl::Time Day(int n) { return kT0 + absl::Hours(24 * n); }

TEST(BuildFunnel, CountsConversionsAndMedianTimeInStage) {
  using S = LifecycleStage;
  // l1: LEAD d0 -> MQL d2 -> SALES_ACCEPTED d3 -> CUSTOMER d10
  // l2: LEAD d0 -> MQL d4 -> RECYCLED d5
  // l3: LEAD d1 (still there)
  const std::vector<LeadStageChange> history = {
      {"l1", S::kLead, Day(0)}, {"l1", S::kMql, Day(2)}, {"l1", S::kSalesAccepted, Day(3)},
      {"l1", S::kCustomer, Day(10)},
      {"l2", S::kLead, Day(0)}, {"l2", S::kMql, Day(4)}, {"l2", S::kRecycled, Day(5)},
      {"l3", S::kLead, Day(1)}};
  std::array<int64_t, kLifecycleStageMax + 1> now{};
  now[static_cast<int>(S::kLead)] = 1;
  now[static_cast<int>(S::kCustomer)] = 1;
  now[static_cast<int>(S::kRecycled)] = 1;
  const FunnelReport r = BuildFunnel(history, now);

  const FunnelStage& lead = r.stages[static_cast<int>(S::kLead)];
  EXPECT_EQ(lead.now, 1);
  EXPECT_EQ(lead.ever_entered, 3);
  // Ended stays in LEAD: 2 days (l1), 4 days (l2): lower middle = 2 days.
  EXPECT_EQ(*lead.median_time, absl::Hours(48));
  const FunnelStage& mql = r.stages[static_cast<int>(S::kMql)];
  EXPECT_EQ(mql.ever_entered, 2);
  EXPECT_EQ(*mql.median_time, absl::Hours(24));  // 1 day each
  EXPECT_FALSE(r.stages[static_cast<int>(S::kCustomer)].median_time.has_value());

  ASSERT_EQ(r.conversions.size(), 3u);
  EXPECT_EQ(r.conversions[0].entered, 3);    // LEAD -> MQL: 2 of 3
  EXPECT_EQ(r.conversions[0].converted, 2);
  EXPECT_EQ(r.conversions[0].rate_basis_points, 6666);
  EXPECT_EQ(r.conversions[1].converted, 1);  // MQL -> SALES_ACCEPTED: 1 of 2
  EXPECT_EQ(r.conversions[1].rate_basis_points, 5000);
  EXPECT_EQ(r.conversions[2].entered, 1);    // SALES_ACCEPTED -> CUSTOMER: 1 of 1
  EXPECT_EQ(r.conversions[2].rate_basis_points, 10000);
}

TEST(BuildFunnel, EmptyHistoryGivesZeros) {
  const FunnelReport r = BuildFunnel({}, {});
  EXPECT_EQ(r.conversions[0].rate_basis_points, 0);
  EXPECT_EQ(r.stages[static_cast<int>(LifecycleStage::kLead)].ever_entered, 0);
}

}  // namespace
}  // namespace handoff::marketing
