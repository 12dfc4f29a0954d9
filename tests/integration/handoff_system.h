#ifndef HANDOFF_TESTS_INTEGRATION_HANDOFF_SYSTEM_H_
#define HANDOFF_TESTS_INTEGRATION_HANDOFF_SYSTEM_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "handoff/marketing/v1/campaign_service.grpc.pb.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/marketing/v1/scoring_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "handoff/sales/v1/rep_service.grpc.pb.h"
#include "tests/integration/service_process.h"

namespace handoff::testing {

// Both real binaries on free loopback ports with databases in a temp directory, and
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

  TempDir dir_;
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
  std::unique_ptr<grpc::health::v1::Health::Stub> marketing_health_;
  std::unique_ptr<grpc::health::v1::Health::Stub> sales_health_;
  int request_counter_ = 0;
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_INTEGRATION_HANDOFF_SYSTEM_H_
