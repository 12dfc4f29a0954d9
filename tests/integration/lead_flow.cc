#include "tests/integration/lead_flow.h"

#include <cstdlib>
#include <random>
#include <set>

#include "gtest/gtest.h"

namespace handoff::testing {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;

std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetServiceConfigJSON(R"({"loadBalancingConfig": [{"round_robin": {}}]})");
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> LeadFlow::Short() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return ctx;
}

bool LeadFlow::IsTransient(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

bool LeadFlow::Drained(ops::v1::DeliveryService::Stub& delivery) {
  ops::v1::GetDeliveryBacklogResponse b;
  return delivery.GetDeliveryBacklog(Short().get(), {}, &b).ok() && b.pending() == 0 && b.parked() == 0;
}

std::string LeadFlow::Drive(int i, const Stubs& stubs) {
  const auto failed = [](const std::string& what, const grpc::Status& s) {
    return what + ": " + std::to_string(s.error_code()) + " " + s.error_message();
  };
  const std::string id = std::to_string(i);
  mv1::CaptureLeadRequest capture;
  capture.mutable_contact()->set_email(prefix_ + id + "@example.org");
  capture.mutable_consent()->set_email(true);
  capture.set_request_id(prefix_ + "-capture-" + id);
  mv1::CaptureLeadResponse captured;
  grpc::Status s = Retry([&](grpc::ClientContext* c) { return stubs.leads->CaptureLead(c, capture, &captured); });
  if (!s.ok()) return failed("capture " + id, s);
  names_[i] = captured.lead().name();
  mv1::QualifyLeadRequest qualify;
  qualify.set_name(captured.lead().name());
  qualify.set_request_id(prefix_ + "-qualify-" + id);
  mv1::QualifyLeadResponse qualified;
  s = Retry([&](grpc::ClientContext* c) { return stubs.leads->QualifyLead(c, qualify, &qualified); });
  if (!s.ok()) return failed("qualify " + id, s);
  // The handoff arrives through marketing's outbox.
  std::string opportunity;
  for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
       opportunity.empty() && std::chrono::steady_clock::now() < until;) {
    sv1::ListOpportunitiesRequest list;
    list.set_lead(captured.lead().name());
    sv1::ListOpportunitiesResponse found;
    if (stubs.opportunities->ListOpportunities(Short().get(), list, &found).ok() && found.opportunities_size() > 0) {
      opportunity = found.opportunities(0).name();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (opportunity.empty()) return "handoff " + id + ": never arrived";
  sv1::AcceptOpportunityRequest accept;
  accept.set_name(opportunity);
  accept.set_request_id(prefix_ + "-accept-" + id);
  sv1::AcceptOpportunityResponse accepted;
  s = Retry([&](grpc::ClientContext* c) { return stubs.opportunities->AcceptOpportunity(c, accept, &accepted); });
  if (!s.ok()) return failed("accept " + id, s);
  sv1::CloseWonRequest won;
  won.set_name(opportunity);
  won.mutable_amount()->set_amount_minor(1000 + i);
  won.mutable_amount()->set_currency_code("EUR");
  won.set_request_id(prefix_ + "-won-" + id);
  sv1::CloseWonResponse closed;
  s = Retry([&](grpc::ClientContext* c) { return stubs.opportunities->CloseWon(c, won, &closed); });
  if (!s.ok()) return failed("won " + id, s);
  return "";
}

LeadFlow::Audit LeadFlow::Check(const Stubs& stubs, mv1::MarketingReportService::Stub& marketing_reports,
                                sv1::PipelineReportService::Stub& pipeline) {
  Audit a;
  const int leads = static_cast<int>(names_.size());
  // Set checker on marketing: every acknowledged lead present, nothing that was never sent.
  std::set<std::string> acknowledged;
  for (const std::string& n : names_) {
    if (!n.empty()) acknowledged.insert(n);
  }
  a.acknowledged = acknowledged.size();
  std::set<std::string> stored;
  int64_t stored_rows = 0;
  mv1::ListLeadsRequest list;
  list.set_page_size(500);
  for (int page = 0; page < 1000; ++page) {
    mv1::ListLeadsResponse resp;
    if (!Retry([&](grpc::ClientContext* c) { return stubs.leads->ListLeads(c, list, &resp); }).ok()) {
      a.lost = leads;  // cannot tell: count as lost, so the test fails
      return a;
    }
    for (const mv1::Lead& l : resp.leads()) {
      stored.insert(l.name());
      ++stored_rows;
      const int i = std::atoi(l.contact().email().c_str() + prefix_.size());
      // The outcome came back exactly once: a customer with exactly this deal's revenue.
      if (l.lifecycle_stage() != mv1::LIFECYCLE_STAGE_CUSTOMER || l.won_revenue().amount_minor() != 1000 + i) {
        ++a.outcomes_wrong;
      }
    }
    if (resp.next_page_token().empty()) break;
    list.set_page_token(resp.next_page_token());
  }
  for (const std::string& name : acknowledged) a.lost += stored.count(name) == 0 ? 1 : 0;
  a.phantom = stored_rows - static_cast<int64_t>(acknowledged.size());

  // Sales: exactly one opportunity per handed-off lead.
  std::map<std::string, int> per_lead;
  sv1::ListOpportunitiesRequest opps;
  opps.set_page_size(500);
  for (int page = 0; page < 1000; ++page) {
    sv1::ListOpportunitiesResponse resp;
    if (!Retry([&](grpc::ClientContext* c) { return stubs.opportunities->ListOpportunities(c, opps, &resp); }).ok()) {
      a.missing = leads;
      return a;
    }
    for (const sv1::Opportunity& o : resp.opportunities()) ++per_lead[o.lead()];
    if (resp.next_page_token().empty()) break;
    opps.set_page_token(resp.next_page_token());
  }
  for (const std::string& name : acknowledged) {
    const int n = per_lead.count(name) ? per_lead[name] : 0;
    if (n == 0) ++a.missing;
    if (n > 1) ++a.duplicated;
  }

  // Both services' reports.
  mv1::GetLifecycleFunnelResponse funnel;
  if (Retry([&](grpc::ClientContext* c) { return marketing_reports.GetLifecycleFunnel(c, {}, &funnel); }).ok()) {
    a.customers = funnel.stages(mv1::LIFECYCLE_STAGE_CUSTOMER - 1).count();
  }
  sv1::GetPipelineReportRequest pipe_req;
  pipe_req.set_currency_code("EUR");
  sv1::GetPipelineReportResponse pipe;
  if (Retry([&](grpc::ClientContext* c) { return pipeline.GetPipelineReport(c, pipe_req, &pipe); }).ok()) {
    a.won = pipe.overall().stages(sv1::STAGE_CLOSED_WON - 1).count();
    a.won_revenue_minor = pipe.overall().stages(sv1::STAGE_CLOSED_WON - 1).amount().amount_minor();
  }
  a.expected_revenue_minor = int64_t{leads} * 1000 + int64_t{leads} * (leads - 1) / 2;
  return a;
}

KillLoop::KillLoop(int targets, std::function<ServiceProcess&(int)> process) : kills_(targets) {
  thread_ = std::thread([this, targets, process = std::move(process)] {
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pause_ms(1000, 3000);
    std::uniform_int_distribution<int> which(0, targets - 1);
    while (running_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
      if (!running_.load()) break;
      const int w = which(rng);
      ServiceProcess& p = process(w);
      p.Kill();
      ++kills_[w];
      while (!p.Start()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

void KillLoop::Stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void LeadFlow::DriveShare(int first, int step, const Stubs& stubs, std::mutex& mu,
                          std::vector<std::string>& errors) {
  for (int i = first; i < static_cast<int>(names_.size()); i += step) {
    std::string error = Drive(i, stubs);
    if (error.empty()) continue;
    std::lock_guard<std::mutex> lock(mu);
    errors.push_back(std::move(error));
  }
}

void LeadFlow::ExpectClean(const Audit& a, int leads) {
  EXPECT_EQ(a.acknowledged, static_cast<size_t>(leads));
  EXPECT_EQ(a.lost, 0);
  EXPECT_EQ(a.phantom, 0);
  EXPECT_EQ(a.duplicated, 0);
  EXPECT_EQ(a.missing, 0);
  EXPECT_EQ(a.outcomes_wrong, 0);
  EXPECT_EQ(a.customers, leads);
  EXPECT_EQ(a.won, leads);
  EXPECT_EQ(a.won_revenue_minor, a.expected_revenue_minor);
}

}  // namespace handoff::testing
