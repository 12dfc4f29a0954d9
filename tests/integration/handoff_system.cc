#include "tests/integration/handoff_system.h"

#include <cstdlib>
#include <iostream>
#include <utility>

namespace handoff::testing {

std::vector<std::string> HandoffSystem::DatabaseFlags(const std::string& name) {
#ifdef HANDOFF_TEST_POSTGRES
  if (postgres_ == nullptr) {
    postgres_ = std::make_unique<PostgresServer>();
    EXPECT_TRUE(postgres_->Start()) << "PostgreSQL did not start:\n" << postgres_->Log();
  }
  EXPECT_TRUE(postgres_->CreateDatabase(name));
  return {"--database=" + postgres_->Url(name), "--database_password_file=" + postgres_->password_file()};
#else
  return {"--database=sqlite:" + dir_.path() + "/" + name + ".db"};
#endif
}

void HandoffSystem::SetUp() {
  marketing_port_ = FreeLoopbackPort();
  sales_port_ = FreeLoopbackPort();
  const std::string m_addr = "127.0.0.1:" + std::to_string(marketing_port_);
  const std::string s_addr = "127.0.0.1:" + std::to_string(sales_port_);
  std::vector<std::string> marketing_flags{"--listen=" + m_addr, "--sales_address=" + s_addr};
  for (const std::string& flag : DatabaseFlags("marketing")) marketing_flags.push_back(flag);
  for (const std::string& flag : ExtraMarketingFlags()) marketing_flags.push_back(flag);
  marketing_ = std::make_unique<ServiceProcess>(HANDOFF_MARKETING_BINARY, std::move(marketing_flags),
                                                dir_.path() + "/marketing.log");
  std::vector<std::string> sales_flags{"--listen=" + s_addr, "--marketing_address=" + m_addr};
  for (const std::string& flag : DatabaseFlags("sales")) sales_flags.push_back(flag);
  for (const std::string& flag : ExtraSalesFlags()) sales_flags.push_back(flag);
  BeforeStart();
  if (HasFatalFailure()) return;
  sales_ = std::make_unique<ServiceProcess>(HANDOFF_SALES_BINARY, std::move(sales_flags),
                                            dir_.path() + "/sales.log");
  ASSERT_TRUE(sales_->Start()) << sales_->Log();
  ASSERT_TRUE(marketing_->Start()) << marketing_->Log();
  auto m_channel = grpc::CreateChannel(m_addr, ClientCredentials());
  auto s_channel = grpc::CreateChannel(s_addr, ClientCredentials());
  campaigns_ = marketing::v1::CampaignService::NewStub(m_channel);
  leads_ = marketing::v1::LeadService::NewStub(m_channel);
  marketing_reports_ = marketing::v1::MarketingReportService::NewStub(m_channel);
  scoring_ = marketing::v1::ScoringService::NewStub(m_channel);
  reps_ = sales::v1::RepService::NewStub(s_channel);
  opportunities_ = sales::v1::OpportunityService::NewStub(s_channel);
  pipeline_ = sales::v1::PipelineReportService::NewStub(s_channel);
  marketing_delivery_ = ops::v1::DeliveryService::NewStub(m_channel);
  sales_delivery_ = ops::v1::DeliveryService::NewStub(s_channel);
  marketing_health_ = grpc::health::v1::Health::NewStub(m_channel);
  sales_health_ = grpc::health::v1::Health::NewStub(s_channel);
}

void HandoffSystem::TearDown() {
  if (HasFailure() || std::getenv("HANDOFF_TEST_LOGS") != nullptr) {
    std::cerr << "---- marketing-service log ----\n" << marketing_->Log()
              << "---- sales-service log ----\n" << sales_->Log();
#ifdef HANDOFF_TEST_POSTGRES
    if (postgres_ != nullptr) std::cerr << "---- PostgreSQL log ----\n" << postgres_->Log();
#endif
  }
  marketing_->Kill();
  sales_->Kill();
}

}  // namespace handoff::testing
