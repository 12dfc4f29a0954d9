// What operators' tools read from the real binary: /metrics (every RPC under the gRPC
// ecosystem's names and labels, unary, client and server streams, refusals; the calls to
// the other service on the client side; process metrics and build info) and the plaintext
// health-only port for Kubernetes' native gRPC probes.
#include <cstdlib>
#include <sstream>
#include <string>

#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;

class MetricsTest : public HandoffSystem {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override {
    return {"--metrics_listen=127.0.0.1:" + std::to_string(metrics_port_)};
  }

  double Sample(const std::string& series) { return MetricSample(metrics_port_, series); }

  const int metrics_port_ = FreeLoopbackPort();
};

std::string Labels(const std::string& type, const std::string& service, const std::string& method) {
  return "grpc_method=\"" + method + "\",grpc_service=\"handoff." + service + "\",grpc_type=\"" + type + "\"";
}

TEST_F(MetricsTest, EveryCallIsCountedUnderTheEcosystemsNames) {
  const std::string capture = Labels("unary", "marketing.v1.LeadService", "CaptureLead");
  const std::string lead = CaptureEmail("metered@example.org");
  mv1::CaptureLeadRequest bad;  // no e-mail and no phone
  bad.set_request_id(RequestId());
  mv1::CaptureLeadResponse ignored;
  ASSERT_EQ(leads_->CaptureLead(Ctx().get(), bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Sample("grpc_server_started_total{" + capture + "}"), 2);
  EXPECT_EQ(Sample("grpc_server_handled_total{grpc_code=\"OK\"," + capture + "}"), 1);
  EXPECT_EQ(Sample("grpc_server_handled_total{grpc_code=\"InvalidArgument\"," + capture + "}"), 1);
  EXPECT_EQ(Sample("grpc_server_handling_seconds_count{" + capture + "}"), 2);
  EXPECT_EQ(Sample("grpc_server_msg_received_total{" + capture + "}"), 2);

  // A client stream counts each row received and the one answer sent.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    mv1::ImportLeadsResponse resp;
    auto writer = leads_->ImportLeads(&ctx, &resp);
    for (const char* email : {"r1@example.org", "r2@example.org", "r3@example.org"}) {
      mv1::ImportLeadsRequest row;
      row.mutable_row()->mutable_contact()->set_email(email);
      ASSERT_TRUE(writer->Write(row));
    }
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
  }
  const std::string import = Labels("client_stream", "marketing.v1.LeadService", "ImportLeads");
  EXPECT_EQ(Sample("grpc_server_msg_received_total{" + import + "}"), 3);
  EXPECT_EQ(Sample("grpc_server_msg_sent_total{" + import + "}"), 1);
  EXPECT_EQ(Sample("grpc_server_handled_total{grpc_code=\"OK\"," + import + "}"), 1);

  // A server stream is counted while open, and handled when it ends.
  {
    grpc::ClientContext ctx;
    mv1::WatchLeadEventsRequest req;
    auto reader = leads_->WatchLeadEvents(&ctx, req);
    mv1::WatchLeadEventsResponse event;
    ASSERT_TRUE(reader->Read(&event));
    ASSERT_TRUE(reader->Read(&event));
    ctx.TryCancel();
    reader->Finish();
  }
  const std::string watch = Labels("server_stream", "marketing.v1.LeadService", "WatchLeadEvents");
  EXPECT_EQ(Sample("grpc_server_started_total{" + watch + "}"), 1);
  EXPECT_GE(Sample("grpc_server_msg_sent_total{" + watch + "}"), 2);
  EXPECT_TRUE(Eventually([&] { return Sample("grpc_server_handled_total{grpc_code=\"Canceled\"," + watch + "}") == 1; }));

  // The handoff marketing made is on its client side.
  Qualify(lead);
  ASSERT_FALSE(AwaitOpportunities(lead).empty());
  const std::string handoff = Labels("unary", "sales.v1.HandoffService", "HandoffLead");
  EXPECT_TRUE(Eventually([&] { return Sample("grpc_client_handled_total{grpc_code=\"OK\"," + handoff + "}") >= 1; }));
  EXPECT_GE(Sample("grpc_client_handling_seconds_count{" + handoff + "}"), 1);
  EXPECT_GE(Sample("handoff_outbox_delivered_total{topic=\"sales.HandoffLead\"}"), 1);
  EXPECT_GE(Sample("handoff_outbox_delivery_seconds_count{topic=\"sales.HandoffLead\"}"), 1);

  // Leads now: the three imported and the first capture, which Qualify made an MQL (the
  // refused capture made none).
  // Sales holds the MQL it was handed (pending until accepted).
  EXPECT_TRUE(Eventually([&] {
    return Sample("handoff_leads{owner=\"OWNER_MARKETING\",stage=\"LIFECYCLE_STAGE_LEAD\"}") == 3;
  })) << HttpGet(metrics_port_, "/metrics");
  EXPECT_EQ(Sample("handoff_leads{owner=\"OWNER_SALES_PENDING\",stage=\"LIFECYCLE_STAGE_MQL\"}"), 1)
      << HttpGet(metrics_port_, "/metrics");
  // The access log has a line per call: unary ones with their request_id, streams too.
  const std::string log = marketing_->Log();
  EXPECT_NE(log.find("access: LeadService/CaptureLead OK "), std::string::npos);
  EXPECT_NE(log.find("access: LeadService/CaptureLead INVALID_ARGUMENT "), std::string::npos);
  EXPECT_NE(log.find(" request_id=" + bad.request_id() + " caller=ip:127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("access: LeadService/ImportLeads OK "), std::string::npos);
  EXPECT_NE(log.find("access: LeadService/WatchLeadEvents CANCELLED "), std::string::npos);
  EXPECT_EQ(log.find("metered@example.org"), std::string::npos);  // no personal data
  EXPECT_GT(Sample("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Sample("process_open_fds"), 3);
  EXPECT_GT(Sample("process_start_time_seconds"), 1.7e9);
  EXPECT_GE(Sample("process_cpu_seconds_total"), 0);
  EXPECT_EQ(Sample("handoff_build_info{service=\"marketing-service\",version=\"1.0.0\"}"), 1);
  EXPECT_EQ(Sample("handoff_health_serving"), 1);
}

class HealthPortTest : public HandoffSystem {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override {
    return {"--health_listen=127.0.0.1:" + std::to_string(health_port_), "--log_format=json",
            "--access_log_sample=0"};
  }
  const int health_port_ = FreeLoopbackPort();
};

TEST_F(HealthPortTest, ThePlaintextHealthPortAnswersHealthAndNothingElse) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(health_port_), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const char* service : {"", "handoff.marketing.v1.LeadService", "liveness"}) {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s = health->Check(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << service << ": " << s.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  auto leads = mv1::LeadService::NewStub(channel);
  mv1::GetLeadRequest get;
  get.set_name("leads/x");
  mv1::GetLeadResponse got;
  EXPECT_EQ(leads->GetLead(Ctx().get(), get, &got).error_code(), grpc::StatusCode::UNIMPLEMENTED);

  // --access_log_sample=0: failed calls are logged, successful ones not.
  CaptureEmail("quiet@example.org");
  mv1::CaptureLeadRequest bad;
  bad.set_request_id(RequestId());
  mv1::CaptureLeadResponse ignored;
  ASSERT_EQ(leads_->CaptureLead(Ctx().get(), bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(marketing_->Log().find("\"msg\":\"LeadService/CaptureLead INVALID_ARGUMENT "), std::string::npos);
  EXPECT_EQ(marketing_->Log().find("LeadService/CaptureLead OK"), std::string::npos);

  // --log_format=json: every line the service wrote is one JSON object.
  std::istringstream log(marketing_->Log());
  int lines = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.empty()) continue;
    ++lines;
    EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u) << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_TRUE(line.find("\"component\":\"marketing-service\"") != std::string::npos ||
                line.find("\"component\":\"access\"") != std::string::npos)
        << line;
  }
  EXPECT_GE(lines, 3);  // database, transport security, listening on ...
}

}  // namespace
}  // namespace handoff::testing
