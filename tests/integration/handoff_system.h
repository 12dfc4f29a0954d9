#ifndef HANDOFF_TESTS_INTEGRATION_HANDOFF_SYSTEM_H_
#define HANDOFF_TESTS_INTEGRATION_HANDOFF_SYSTEM_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "handoff/marketing/v1/campaign_service.grpc.pb.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/marketing/v1/scoring_service.grpc.pb.h"
#include "handoff/ops/v1/audit_service.grpc.pb.h"
#include "handoff/ops/v1/delivery_service.grpc.pb.h"
#include "handoff/sales/v1/handoff_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "handoff/sales/v1/rep_service.grpc.pb.h"
#include "tests/integration/service_process.h"

#include "tests/postgres_server.h"

namespace handoff::testing {

// Both real binaries on free loopback ports with databases in a temp directory (SQLite
// files; or, built with HANDOFF_TEST_POSTGRES, databases of a PostgreSQL server of the
// test's own), and
// stubs to call them. Paths of the binaries come from the build (compile definitions).
class HandoffSystem : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Polls `done` every 20 ms until it returns true or `timeout` passes.
  static bool Eventually(const std::function<bool()>& done,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  // A client context with a 5 s deadline.
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return ctx;
  }

  std::string RequestId() { return "req-" + std::to_string(++request_counter_); }

  // Flags added to sales-service's command line (a fixture may override).
  virtual std::vector<std::string> ExtraSalesFlags() const { return {}; }
  // Flags added to marketing-service's command line (a fixture may override).
  virtual std::vector<std::string> ExtraMarketingFlags() const { return {}; }
  // Runs before the services start, e.g. to fill their databases in dir_ (a fixture may
  // override).
  virtual void BeforeStart() {}
  // Credentials of the fixture's stubs (a fixture may override; called after BeforeStart).
  virtual std::shared_ptr<grpc::ChannelCredentials> ClientCredentials() { return grpc::InsecureChannelCredentials(); }

  // Shared steps of the scenarios; each EXPECTs its call to succeed.
  marketing::v1::Campaign CreateCampaign(int64_t budget_minor) {
    marketing::v1::CreateCampaignRequest req;
    req.mutable_campaign()->set_display_name("Spring webinar");
    req.mutable_campaign()->set_channel(marketing::v1::CHANNEL_WEBINAR);
    req.mutable_campaign()->set_state(marketing::v1::CAMPAIGN_STATE_ACTIVE);
    req.mutable_campaign()->mutable_budget()->set_amount_minor(budget_minor);
    req.mutable_campaign()->mutable_budget()->set_currency_code("EUR");
    req.set_request_id(RequestId());
    marketing::v1::CreateCampaignResponse resp;
    const grpc::Status s = campaigns_->CreateCampaign(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.campaign();
  }

  sales::v1::Rep CreateRep(const std::string& name, const std::string& territory, int capacity) {
    sales::v1::CreateRepRequest req;
    req.mutable_rep()->set_display_name(name);
    req.mutable_rep()->set_email(name + "@sales.example.com");
    if (!territory.empty()) req.mutable_rep()->add_territories(territory);
    req.mutable_rep()->set_capacity(capacity);
    req.set_request_id(RequestId());
    sales::v1::CreateRepResponse resp;
    const grpc::Status s = reps_->CreateRep(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.rep();
  }

  marketing::v1::Lead GetLead(const std::string& name) {
    marketing::v1::GetLeadRequest req;
    req.set_name(name);
    marketing::v1::GetLeadResponse resp;
    const grpc::Status s = leads_->GetLead(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.lead();
  }

  // The opportunities sales holds for a lead.
  std::vector<sales::v1::Opportunity> OpportunitiesOf(const std::string& lead) {
    sales::v1::ListOpportunitiesRequest req;
    req.set_lead(lead);
    sales::v1::ListOpportunitiesResponse resp;
    if (!opportunities_->ListOpportunities(Ctx().get(), req, &resp).ok()) return {};
    return {resp.opportunities().begin(), resp.opportunities().end()};
  }

  // Captures a lead with just an e-mail; returns its name ("" after a failed expectation).
  std::string CaptureEmail(const std::string& email) {
    marketing::v1::CaptureLeadRequest req;
    req.mutable_contact()->set_email(email);
    req.set_request_id(RequestId());
    return Capture(req);
  }
  std::string Capture(const marketing::v1::CaptureLeadRequest& req) {
    marketing::v1::CaptureLeadResponse resp;
    const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.lead().name();
  }

  // Qualifies a lead by hand (handing it to sales); returns the lead after it.
  marketing::v1::Lead Qualify(const std::string& lead) {
    marketing::v1::QualifyLeadRequest q;
    q.set_name(lead);
    q.set_reason("booth conversation");
    q.set_request_id(RequestId());
    marketing::v1::QualifyLeadResponse qr;
    const grpc::Status s = leads_->QualifyLead(Ctx().get(), q, &qr);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return qr.lead();
  }

  // Waits until sales holds an opportunity for the lead; empty if none arrived in time.
  std::vector<sales::v1::Opportunity> AwaitOpportunities(
      const std::string& lead, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::vector<sales::v1::Opportunity> opps;
    Eventually([&] {
      opps = OpportunitiesOf(lead);
      return !opps.empty();
    }, timeout);
    return opps;
  }

  grpc::Status Touch(const std::string& lead, const std::string& campaign, marketing::v1::TouchType type,
                     const std::string& touch_id, marketing::v1::RecordTouchResponse* resp) {
    marketing::v1::RecordTouchRequest req;
    req.set_lead(lead);
    req.set_campaign(campaign);
    req.set_touch_type(type);
    req.set_touch_id(touch_id);
    return leads_->RecordTouch(Ctx().get(), req, resp);
  }


  // The --database flags of a service whose database is `name`: an SQLite file in dir_, or
  // (in the PostgreSQL build of these tests) a database of postgres_.
  std::vector<std::string> DatabaseFlags(const std::string& name);

  TempDir dir_;
#ifdef HANDOFF_TEST_POSTGRES
  std::unique_ptr<PostgresServer> postgres_;
#endif
  int marketing_port_ = 0;
  int sales_port_ = 0;
  std::unique_ptr<ServiceProcess> marketing_;
  std::unique_ptr<ServiceProcess> sales_;
  std::unique_ptr<marketing::v1::CampaignService::Stub> campaigns_;
  std::unique_ptr<marketing::v1::LeadService::Stub> leads_;
  std::unique_ptr<marketing::v1::MarketingReportService::Stub> marketing_reports_;
  std::unique_ptr<marketing::v1::ScoringService::Stub> scoring_;
  std::unique_ptr<sales::v1::RepService::Stub> reps_;
  std::unique_ptr<sales::v1::OpportunityService::Stub> opportunities_;
  std::unique_ptr<sales::v1::PipelineReportService::Stub> pipeline_;
  std::unique_ptr<ops::v1::DeliveryService::Stub> marketing_delivery_;
  std::unique_ptr<ops::v1::DeliveryService::Stub> sales_delivery_;
  std::unique_ptr<grpc::health::v1::Health::Stub> marketing_health_;
  std::unique_ptr<grpc::health::v1::Health::Stub> sales_health_;
  int request_counter_ = 0;
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_INTEGRATION_HANDOFF_SYSTEM_H_
