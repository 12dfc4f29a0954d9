// handoff-bulk-load's data sets are what the scale benchmarks measure, so they must be data
// the services accept as their own: loaded, then served by the real binaries, every
// report must agree with the others and with the data, and new changes must carry on
// from it.
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;

constexpr int kLeads = 3000;

class BulkLoadTest : public HandoffSystem {
 protected:
  void BeforeStart() override {
    const std::string cmd = std::string(HANDOFF_BULK_LOAD_BINARY) + " --marketing_db=" + dir_.path() +
                            "/marketing.db --sales_db=" + dir_.path() + "/sales.db --leads=" +
                            std::to_string(kLeads) + " --campaigns=6 --reps=3 --sample_out=" + dir_.path() +
                            "/sample.txt > " + dir_.path() + "/load.log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "handoff-bulk-load failed; see " << dir_.path() << "/load.log";
  }

  mv1::GetLifecycleFunnelResponse Funnel() {
    mv1::GetLifecycleFunnelResponse resp;
    const grpc::Status s = marketing_reports_->GetLifecycleFunnel(Ctx().get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  static int64_t Count(const mv1::GetLifecycleFunnelResponse& f, mv1::LifecycleStage stage) {
    for (const auto& c : f.stages()) {
      if (c.stage() == stage) return c.count();
    }
    return -1;
  }
};

TEST_F(BulkLoadTest, LoadedDataIsServedAndEveryReportAgrees) {
  // Every lead listed exactly once, paging with keyset tokens.
  std::set<std::string> listed;
  mv1::ListLeadsRequest list;
  list.set_page_size(500);
  while (true) {
    mv1::ListLeadsResponse page;
    const grpc::Status s = leads_->ListLeads(Ctx().get(), list, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& l : page.leads()) EXPECT_TRUE(listed.insert(l.name()).second) << l.name();
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(listed.size(), static_cast<size_t>(kLeads));

  // The funnel: everyone somewhere, everyone entered as LEAD or SUBSCRIBER, and the
  // customers are exactly the SALES_ACCEPTED -> CUSTOMER conversions.
  const mv1::GetLifecycleFunnelResponse funnel = Funnel();
  int64_t now = 0, entered_first = 0;
  for (const auto& c : funnel.stages()) {
    now += c.count();
    if (c.stage() == mv1::LIFECYCLE_STAGE_LEAD || c.stage() == mv1::LIFECYCLE_STAGE_SUBSCRIBER) {
      entered_first += c.ever_entered();
    }
  }
  EXPECT_EQ(now, kLeads);
  EXPECT_EQ(entered_first, kLeads);
  ASSERT_EQ(funnel.conversions_size(), 3);
  const int64_t customers = Count(funnel, mv1::LIFECYCLE_STAGE_CUSTOMER);
  EXPECT_GT(customers, 0);
  EXPECT_EQ(funnel.conversions(2).converted(), customers);

  // Won revenue: every model shares each deal out completely, so summed over the campaigns
  // each model gives the same total, and it is what sales closed won.
  mv1::ListCampaignsRequest lc;
  lc.set_page_size(100);
  mv1::ListCampaignsResponse campaigns;
  ASSERT_TRUE(campaigns_->ListCampaigns(Ctx().get(), lc, &campaigns).ok());
  ASSERT_EQ(campaigns.campaigns_size(), 6);
  std::map<int, int64_t> revenue_by_model;
  for (int model = 1; model <= 5; ++model) {
    for (const auto& c : campaigns.campaigns()) {
      mv1::GetCampaignPerformanceRequest req;
      req.set_campaign(c.name());
      req.set_model(static_cast<mv1::AttributionModel>(model));
      mv1::GetCampaignPerformanceResponse perf;
      const grpc::Status s = marketing_reports_->GetCampaignPerformance(Ctx().get(), req, &perf);
      ASSERT_TRUE(s.ok()) << s.error_message();
      revenue_by_model[model] += perf.revenue().amount_minor();
    }
  }
  sv1::GetPipelineReportRequest pr;
  pr.set_currency_code("EUR");
  sv1::GetPipelineReportResponse pipeline;
  ASSERT_TRUE(pipeline_->GetPipelineReport(Ctx().get(), pr, &pipeline).ok());
  int64_t won_in_sales = 0, won_count = 0;
  for (const auto& st : pipeline.overall().stages()) {
    if (st.stage() == sv1::STAGE_CLOSED_WON) {
      won_in_sales = st.amount().amount_minor();
      won_count = st.count();
    }
  }
  EXPECT_EQ(won_count, customers);
  EXPECT_GT(won_in_sales, 0);
  for (const auto& [model, total] : revenue_by_model) EXPECT_EQ(total, won_in_sales) << "model " << model;

  // New work carries on from the loaded state.
  const int64_t leads_before = Count(funnel, mv1::LIFECYCLE_STAGE_LEAD);
  CaptureEmail("after-the-load@example.org");
  EXPECT_EQ(Count(Funnel(), mv1::LIFECYCLE_STAGE_LEAD), leads_before + 1);
}

}  // namespace
}  // namespace handoff::testing
