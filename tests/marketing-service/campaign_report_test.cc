#include "marketing-service/domain/campaign_report.h"

#include "common/sqlite/database.h"
#include "gtest/gtest.h"
#include "marketing-service/domain/campaign_workflow.h"
#include "marketing-service/domain/lead_workflow.h"
#include "marketing-service/storage/sql_marketing_store.h"
#include "tests/temp_path.h"

namespace handoff::marketing {
namespace {

class NoSales : public SalesGateway {
 public:
  absl::Status QueueHandoff(UnitOfWork&, const HandoffNotice&) override { return absl::OkStatus(); }
  absl::Status QueueConsentChange(UnitOfWork&, const Lead&) override { return absl::OkStatus(); }
  absl::Status QueueContactChange(UnitOfWork&, const Lead&) override { return absl::OkStatus(); }
  absl::Status QueueErasure(UnitOfWork&, const Lead&) override { return absl::OkStatus(); }
};
class NoEvents : public LeadEventLog {
 public:
  absl::Status Record(UnitOfWork&, LeadEventType, const Lead&) override { return absl::OkStatus(); }
};

// Two campaigns, three leads, two wins, on a clock the test moves day by day:
//   day 0  spend A 3000, B 1000; lead 1 captured via A
//   day 1  lead 1 touched by B; lead 2 captured via B
//   day 2  both qualified (handed off) and accepted
//   day 3  lead 1 touched by A again (after its handoff: does not count)
//   day 4  lead 1 won 10000
//   day 5  lead 2 won 6000
//   day 10 lead 3 captured via A (outside the range [day 0, day 9))
class CampaignReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqlMarketingStore::OpenSqlite(db_.path());
    a_ = NewCampaign("A");
    b_ = NewCampaign("B");
    Spend(a_, 3000);
    Spend(b_, 1000);
    const std::string l1 = Capture("one@example.com", a_);
    Day(1);
    Touch(l1, b_, "t1");
    const std::string l2 = Capture("two@example.com", b_);
    Day(2);
    for (const std::string& l : {l1, l2}) {
      Run([&](MarketingTx& tx) { return leads_.Qualify(tx, l, "").status(); });
      Outcome(l, Outcome::kAccepted, 0);
    }
    Day(3);
    Touch(l1, a_, "t2");
    Day(4);
    Outcome(l1, Outcome::kWon, 10000);
    Day(5);
    Outcome(l2, Outcome::kWon, 6000);
    Day(10);
    Capture("three@example.com", a_);
  }

  void Day(int n) { clock_.Advance(start_ + absl::Hours(24 * n) - clock_.Now()); }
  void Run(absl::FunctionRef<absl::Status(MarketingTx&)> f) { ASSERT_TRUE(store_->Run(f).ok()); }

  std::string NewCampaign(const std::string& name) {
    std::string id;
    Run([&](MarketingTx& tx) {
      Campaign c;
      c.display_name = name;
      c.channel = Channel::kEmail;
      c.budget = Money{1000000, "EUR"};
      absl::StatusOr<Campaign> created = CampaignWorkflow(clock_).Create(tx, c);
      if (created.ok()) id = created->id;
      return created.status();
    });
    return id;
  }
  void Spend(const std::string& id, int64_t amount) {
    Run([&](MarketingTx& tx) {
      return CampaignWorkflow(clock_).RecordSpend(tx, {id, Money{amount, "EUR"}, "", "", false, ""}).status();
    });
  }
  std::string Capture(const std::string& email, const std::string& campaign) {
    std::string id;
    Run([&](MarketingTx& tx) {
      CaptureInput in;
      in.contact.email = email;
      in.campaign_id = campaign;
      in.capture_id = email;
      absl::StatusOr<CaptureResult> r = leads_.Capture(tx, in);
      if (r.ok()) id = r->lead.id;
      return r.status();
    });
    return id;
  }
  void Touch(const std::string& lead, const std::string& campaign, const std::string& id) {
    Run([&](MarketingTx& tx) {
      return leads_.RecordTouch(tx, {lead, campaign, TouchType::kWebVisit, id}).status();
    });
  }
  void Outcome(const std::string& lead, marketing::Outcome o, int64_t amount) {
    Run([&](MarketingTx& tx) {
      return leads_.ReportOutcome(tx, {lead, "opportunities/o-" + lead, o, "", Money{amount, "EUR"}}).status();
    });
  }
  CampaignPerformance Report(const std::string& campaign, AttributionModel model) {
    CampaignPerformance p;
    Run([&](MarketingTx& tx) {
      absl::StatusOr<CampaignPerformance> r =
          ComputeCampaignPerformance(tx, campaign, start_, start_ + absl::Hours(24 * 9), model);
      if (r.ok()) p = *r;
      return r.status();
    });
    return p;
  }

  testing::TempDbPath db_;
  const absl::Time start_ = absl::FromUnixSeconds(1'700'000'000);
  FakeClock clock_{start_};
  NoSales sales_;
  NoEvents events_;
  LeadWorkflow leads_{clock_, ScoringPolicy::Default(), sales_, events_};
  std::unique_ptr<SqlMarketingStore> store_;
  std::string a_, b_;
};

TEST_F(CampaignReportTest, FirstTouchGivesLeadOnesRevenueToA) {
  const CampaignPerformance p = Report(a_, AttributionModel::kFirstTouch);
  EXPECT_EQ(p.counts.leads, 1);  // lead 3 is outside the range
  EXPECT_EQ(p.counts.mqls, 1);
  EXPECT_EQ(p.counts.accepted, 1);
  EXPECT_EQ(p.counts.won, 1);
  EXPECT_EQ(p.revenue.amount_minor, 10000);
  EXPECT_EQ(p.spend.amount_minor, 3000);
  EXPECT_EQ(p.cost_per_lead.amount_minor, 3000);
  EXPECT_EQ(p.cost_per_acquisition.amount_minor, 3000);
  EXPECT_EQ(p.roi_basis_points, 23333);  // (10000 - 3000) / 3000
}

TEST_F(CampaignReportTest, LinearSplitsLeadOneAndIgnoresTouchesAfterTheHandoff) {
  const CampaignPerformance a = Report(a_, AttributionModel::kLinear);
  EXPECT_EQ(a.revenue.amount_minor, 5000);  // A and B touched lead 1 before its handoff
  EXPECT_EQ(a.roi_basis_points, 6666);      // (5000 - 3000) / 3000
  const CampaignPerformance b = Report(b_, AttributionModel::kLinear);
  EXPECT_EQ(b.counts.leads, 1);
  EXPECT_EQ(b.counts.won, 2);
  EXPECT_EQ(b.revenue.amount_minor, 5000 + 6000);
  EXPECT_EQ(b.cost_per_acquisition.amount_minor, 500);
  EXPECT_EQ(b.roi_basis_points, 100000);  // (11000 - 1000) / 1000
}

TEST_F(CampaignReportTest, LastTouchBeforeTheHandoffTakesItAll) {
  EXPECT_EQ(Report(a_, AttributionModel::kLastTouch).revenue.amount_minor, 0);
  EXPECT_EQ(Report(a_, AttributionModel::kLastTouch).counts.won, 0);
  EXPECT_EQ(Report(b_, AttributionModel::kLastTouch).revenue.amount_minor, 16000);
}

TEST_F(CampaignReportTest, WinsFromBeforeStoredAttributionAreAttributedOnceAtStartUp) {
  // As a version 5 database upgraded: the wins are there, their shares are not.
  {
    sqlite::Transaction tx(static_cast<sqlite::Database&>(store_->database()));
    ASSERT_TRUE(tx.Exec("DELETE FROM attributed_revenue; INSERT INTO attribution_backfill(pending) VALUES (1);").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(Report(b_, AttributionModel::kLinear).revenue.amount_minor, 0);
  Run([&](MarketingTx& tx) { return AttributeEarlierWins(tx); });
  EXPECT_EQ(Report(b_, AttributionModel::kLinear).revenue.amount_minor, 11000);
  EXPECT_EQ(Report(b_, AttributionModel::kLinear).counts.won, 2);
  EXPECT_EQ(Report(a_, AttributionModel::kFirstTouch).revenue.amount_minor, 10000);
  // The next start-up has nothing left to do and counts nothing twice.
  Run([&](MarketingTx& tx) { return AttributeEarlierWins(tx); });
  EXPECT_EQ(Report(b_, AttributionModel::kLinear).revenue.amount_minor, 11000);
}

}  // namespace
}  // namespace handoff::marketing
