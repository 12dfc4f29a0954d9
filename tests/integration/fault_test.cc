// Faults through the real binaries: SIGTERM under load, and the other service down under
// steady load. Each scenario prints one summary line with its figures.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/handoff_system.h"
#include "tests/integration/lead_flow.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;
using Clock = std::chrono::steady_clock;

using FaultTest = HandoffSystem;

TEST_F(FaultTest, SigtermUnderLoadFinishesInFlightCallsAndLosesNothingAcknowledged) {
  constexpr int kClients = 4;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acked;  // lead name, e-mail
  std::atomic<int> refused{0};
  std::atomic<int> unexpected{0};
  std::vector<std::string> unexpected_codes;
  std::vector<std::string> to_retry;  // e-mails whose capture was not acknowledged
  std::atomic<int> cancelled{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop.load(); ++i) {
        mv1::CaptureLeadRequest req;
        const std::string email = "load" + std::to_string(c) + "-" + std::to_string(i) + "@example.org";
        req.mutable_contact()->set_email(email);
        req.set_request_id("sigterm-" + email);
        mv1::CaptureLeadResponse resp;
        const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acked.emplace_back(resp.lead().name(), email);
        } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                   s.error_code() == grpc::StatusCode::CANCELLED) {
          // Refused by the closing server (a call that arrives as it shuts down may be
          // cancelled before it starts): not acknowledged; the client retries it later.
          ++refused;
          if (s.error_code() == grpc::StatusCode::CANCELLED) ++cancelled;
          std::lock_guard<std::mutex> lock(mu);
          to_retry.push_back(email);
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          ++unexpected;
          std::lock_guard<std::mutex> lock(mu);
          unexpected_codes.push_back(std::to_string(s.error_code()) + " " + s.error_message());
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const int exit_code = marketing_->Stop();  // SIGTERM while the clients keep calling
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(exit_code, 0) << marketing_->Log();
  EXPECT_EQ(unexpected.load(), 0) << unexpected_codes.front();  // no call cut half-way
  ASSERT_GT(acked.size(), 20u);

  ASSERT_TRUE(marketing_->Start()) << marketing_->Log();
  // The client channel saw the server go; wait until it has reconnected.
  ASSERT_TRUE(Eventually([&] {
    mv1::ListLeadsResponse resp;
    return leads_->ListLeads(Ctx().get(), {}, &resp).ok();
  }));
  // The clients retry what was not acknowledged, with the same request_id: each acts once.
  for (const std::string& email : to_retry) {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email(email);
    req.set_request_id("sigterm-" + email);
    mv1::CaptureLeadResponse resp;
    const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  int lost = 0;
  for (const auto& [name, email] : acked) {
    mv1::GetLeadRequest req;
    req.set_name(name);
    mv1::GetLeadResponse resp;
    const grpc::Status s = leads_->GetLead(Ctx().get(), req, &resp);
    if (!s.ok() || resp.lead().contact().email() != email) ++lost;
  }
  mv1::ListLeadsRequest list;
  list.set_page_size(500);
  std::set<std::string> stored;
  for (int page = 0; page < 100; ++page) {
    mv1::ListLeadsResponse resp;
    ASSERT_TRUE(leads_->ListLeads(Ctx().get(), list, &resp).ok());
    for (const mv1::Lead& l : resp.leads()) stored.insert(l.name());
    if (resp.next_page_token().empty()) break;
    list.set_page_token(resp.next_page_token());
  }
  // One lead per person attempted: none lost, none made twice by the retries, none that
  // was never sent.
  const int64_t extra = static_cast<int64_t>(stored.size()) - static_cast<int64_t>(acked.size() + to_retry.size());
  std::printf("[fault] sigterm-under-load: clients=%d acknowledged=%zu refused=%d (cancelled %d) "
              "retried=%zu cut=%d lost=%d duplicated-or-phantom=%lld exit=%d\n",
              kClients, acked.size(), refused.load(), cancelled.load(), to_retry.size(), unexpected.load(),
              lost, static_cast<long long>(extra), exit_code);
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(extra, 0);
}

TEST_F(FaultTest, SalesOutageUnderSteadyLoadQueuesEveryHandoffAndDrains) {
  CreateRep("olga", "", 10000);
  ASSERT_EQ(sales_->Stop(), 0);
  // Steady load for two seconds with sales down: every capture and qualification succeeds.
  std::vector<std::string> leads;
  int failed = 0;
  const auto until = Clock::now() + std::chrono::seconds(2);
  for (int i = 0; Clock::now() < until; ++i) {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email("outage" + std::to_string(i) + "@example.org");
    req.set_request_id(RequestId());
    mv1::CaptureLeadResponse resp;
    if (!leads_->CaptureLead(Ctx().get(), req, &resp).ok()) {
      ++failed;
      continue;
    }
    mv1::QualifyLeadRequest q;
    q.set_name(resp.lead().name());
    q.set_request_id(RequestId());
    mv1::QualifyLeadResponse qr;
    if (!leads_->QualifyLead(Ctx().get(), q, &qr).ok()) ++failed;
    leads.push_back(resp.lead().name());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto backlog = [&] {
    ops::v1::GetDeliveryBacklogResponse resp;
    EXPECT_TRUE(marketing_delivery_->GetDeliveryBacklog(Ctx().get(), {}, &resp).ok());
    return resp;
  };
  const int64_t peak = backlog().pending();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(peak, static_cast<int64_t>(leads.size()));

  const auto back = Clock::now();
  ASSERT_TRUE(sales_->Start()) << sales_->Log();
  ASSERT_TRUE(Eventually([&] { return backlog().pending() == 0; }, std::chrono::seconds(60)));
  const auto drain_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back).count();
  // Exactly one opportunity per handed-off lead: none missing, none twice.
  std::map<std::string, int> per_lead;
  sv1::ListOpportunitiesRequest list;
  list.set_page_size(500);
  for (int page = 0; page < 100; ++page) {
    sv1::ListOpportunitiesResponse resp;
    ASSERT_TRUE(opportunities_->ListOpportunities(Ctx().get(), list, &resp).ok());
    for (const sv1::Opportunity& o : resp.opportunities()) ++per_lead[o.lead()];
    if (resp.next_page_token().empty()) break;
    list.set_page_token(resp.next_page_token());
  }
  int missing = 0;
  int duplicated = 0;
  for (const std::string& lead : leads) {
    if (per_lead[lead] == 0) ++missing;
    if (per_lead[lead] > 1) ++duplicated;
  }
  std::printf("[fault] sales-outage: leads=%zu failed=%d backlog-peak=%lld missing=%d duplicated=%d "
              "drain=%lldms (incl. restart)\n",
              leads.size(), failed, static_cast<long long>(peak), missing, duplicated,
              static_cast<long long>(drain_ms));
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(per_lead.size(), leads.size());  // nothing that was never sent
}

// Resident memory of a process in KiB (VmRSS), 0 when unknown.
long RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

TEST_F(FaultTest, AStalledSubscriberNeitherBlocksWritersNorGrowsMemory) {
  constexpr int kCaptures = 2000;
  // A subscriber that reads one event and then stops reading.
  grpc::ClientContext watch_ctx;
  mv1::WatchLeadEventsRequest watch_req;
  auto stalled = leads_->WatchLeadEvents(&watch_ctx, watch_req);
  mv1::CaptureLeadRequest first;
  first.mutable_contact()->set_email("first@example.org");
  first.set_request_id(RequestId());
  mv1::CaptureLeadResponse first_resp;
  ASSERT_TRUE(leads_->CaptureLead(Ctx().get(), first, &first_resp).ok());
  mv1::WatchLeadEventsResponse seen;
  ASSERT_TRUE(stalled->Read(&seen));
  const long rss_before = RssKib(marketing_->pid());

  // Writers carry on at full speed: every capture answered well inside its deadline.
  std::vector<double> latency_ms;
  for (int i = 0; i < kCaptures; ++i) {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email("busy" + std::to_string(i) + "@example.org");
    req.mutable_contact()->set_company(std::string(200, 'x'));  // fatter events
    req.set_request_id(RequestId());
    mv1::CaptureLeadResponse resp;
    const auto t0 = Clock::now();
    const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
    latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const long rss_after = RssKib(marketing_->pid());
  std::sort(latency_ms.begin(), latency_ms.end());
  const double p99 = latency_ms[latency_ms.size() * 99 / 100];

  // The stalled subscriber resumes where it stopped and gets every later event once, in order.
  int64_t expected = seen.event().sequence() + 1;
  int received = 0;
  mv1::WatchLeadEventsResponse e;
  while (received < kCaptures && stalled->Read(&e)) {
    if (e.event().sequence() != expected) break;
    ++expected;
    ++received;
  }
  watch_ctx.TryCancel();
  stalled->Finish();
  std::printf("[fault] stalled-subscriber: captures=%d p99=%.1fms marketing-rss=%ld->%ld KiB "
              "events-after-resume=%d in-order=%s\n",
              kCaptures, p99, rss_before, rss_after, received, received == kCaptures ? "yes" : "no");
  EXPECT_EQ(received, kCaptures);
  EXPECT_LT(p99, 1000.0);                  // a blocked writer would sit until its 5 s deadline
#ifndef HANDOFF_UNDER_ASAN
  EXPECT_LT(rss_after - rss_before, 64 * 1024);  // the stream does not buffer the backlog
#endif  // AddressSanitizer keeps freed memory in quarantine: RSS tells nothing there
}

// Runs `n` copies of `call` at once; returns their statuses.
template <typename Call>
std::vector<grpc::Status> AllAtOnce(int n, Call call) {
  std::vector<grpc::Status> out(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { out[i] = call(i); });
  for (std::thread& t : threads) t.join();
  return out;
}

TEST_F(FaultTest, DuplicatedReorderedAndConcurrentRetriesActOnce) {
  // Eight concurrent retries of one capture (same request_id): one lead, one touch, the
  // same answer for all.
  mv1::CaptureLeadRequest capture;
  capture.mutable_contact()->set_email("twice@example.org");
  capture.mutable_consent()->set_email(true);
  capture.set_request_id("retry-capture");
  std::vector<mv1::CaptureLeadResponse> answers(8);
  for (const grpc::Status& s : AllAtOnce(8, [&](int i) { return leads_->CaptureLead(Ctx().get(), capture, &answers[i]); })) {
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  for (const mv1::CaptureLeadResponse& a : answers) EXPECT_EQ(a.lead().name(), answers[0].lead().name());
  const std::string lead = answers[0].lead().name();
  EXPECT_EQ(GetLead(lead).touch_count(), 1);
  // The same id for another request is a client bug, refused without effect.
  capture.mutable_contact()->set_email("other@example.org");
  mv1::CaptureLeadResponse other;
  EXPECT_EQ(leads_->CaptureLead(Ctx().get(), capture, &other).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Handoff deliveries duplicated (same message id, concurrently) and re-sent under a new
  // id: one opportunity.
  auto handoff = sv1::HandoffService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(sales_port_), grpc::InsecureChannelCredentials()));
  sv1::HandoffLeadRequest h;
  h.set_lead("leads/injected");
  h.mutable_contact()->set_email("injected@example.org");
  h.set_request_id("message-1");
  std::vector<sv1::HandoffLeadResponse> handed(6);
  const std::vector<grpc::Status> hs = AllAtOnce(6, [&](int i) {
    sv1::HandoffLeadRequest copy = h;
    if (i >= 4) copy.set_request_id("message-2");  // the same lead sent again
    return handoff->HandoffLead(Ctx().get(), copy, &handed[i]);
  });
  for (const grpc::Status& s : hs) ASSERT_TRUE(s.ok()) << s.error_message();
  const size_t injected_opportunities = OpportunitiesOf("leads/injected").size();
  EXPECT_EQ(injected_opportunities, 1u);
  for (const sv1::HandoffLeadResponse& r : handed) EXPECT_EQ(r.opportunity().name(), handed[0].opportunity().name());

  // Outcomes out of order and duplicated: sales stays away so only these reach the lead.
  ASSERT_EQ(sales_->Stop(), 0);
  Qualify(lead);
  auto outcome = [&](mv1::Outcome o, const std::string& id, mv1::ReportOutcomeResponse* out) {
    mv1::ReportOutcomeRequest r;
    r.set_lead(lead);
    r.set_opportunity("opportunities/o-injected");
    r.set_outcome(o);
    if (o == mv1::OUTCOME_WON) {
      r.mutable_amount()->set_amount_minor(7000);
      r.mutable_amount()->set_currency_code("EUR");
    }
    r.set_request_id(id);
    return leads_->ReportOutcome(Ctx().get(), r, out);
  };
  mv1::ReportOutcomeResponse ignored;
  // WON before ACCEPTED: refused as retryable, nothing written (the sender retries later).
  EXPECT_EQ(outcome(mv1::OUTCOME_WON, "won-1", &ignored).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetLead(lead).lifecycle_stage(), mv1::LIFECYCLE_STAGE_MQL);
  ASSERT_TRUE(outcome(mv1::OUTCOME_ACCEPTED, "accepted-1", &ignored).ok());
  std::vector<mv1::ReportOutcomeResponse> wins(4);
  for (const grpc::Status& s : AllAtOnce(4, [&](int i) { return outcome(mv1::OUTCOME_WON, "won-1", &wins[i]); })) {
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The late duplicate of ACCEPTED replays its first answer; it does not undo the win.
  mv1::ReportOutcomeResponse replay;
  ASSERT_TRUE(outcome(mv1::OUTCOME_ACCEPTED, "accepted-1", &replay).ok());
  EXPECT_EQ(replay.lead().lifecycle_stage(), mv1::LIFECYCLE_STAGE_SALES_ACCEPTED);
  const mv1::Lead after = GetLead(lead);
  EXPECT_EQ(after.lifecycle_stage(), mv1::LIFECYCLE_STAGE_CUSTOMER);
  EXPECT_EQ(after.won_revenue().amount_minor(), 7000);  // once, not four times
  std::printf("[fault] duplicates: capture retries=8 leads=1 handoff deliveries=6 opportunities=%zu "
              "won deliveries=4 revenue=%lld (one win)\n",
              injected_opportunities, static_cast<long long>(after.won_revenue().amount_minor()));
}

// The crash run: leads driven through the whole flow (capture -> MQL -> handoff -> accept
// -> close won -> outcome back) while both services are SIGKILLed at random moments and
// restarted. The clients behave as real ones must: every call has a deadline and is
// retried with the same request_id until it is answered. Checked like Jepsen's set and
// total-queue checkers once the faults stop.
class CrashTest : public HandoffSystem {
 protected:
  // Stubs on channels that reconnect fast after a kill.
  void SetUp() override {
    HandoffSystem::SetUp();
    auto m = FastReconnectChannel("127.0.0.1:" + std::to_string(marketing_port_));
    auto s = FastReconnectChannel("127.0.0.1:" + std::to_string(sales_port_));
    leads_ = mv1::LeadService::NewStub(m);
    marketing_reports_ = mv1::MarketingReportService::NewStub(m);
    marketing_delivery_ = ops::v1::DeliveryService::NewStub(m);
    opportunities_ = sv1::OpportunityService::NewStub(s);
    pipeline_ = sv1::PipelineReportService::NewStub(s);
    sales_delivery_ = ops::v1::DeliveryService::NewStub(s);
  }
};

TEST_F(CrashTest, RandomSigkillsOfBothServicesLoseNothingAndDoubleNothing) {
  const char* env = std::getenv("HANDOFF_CRASH_LEADS");
#ifdef HANDOFF_TEST_POSTGRES
  // Each of PostgreSQL's transactions costs round trips and a commit of its own (no group
  // commit yet, issue 17): a lead's whole flow takes ~8x SQLite's time here, so fewer leads
  // keep the run near SQLite's length; the kills per lead stay the same.
  constexpr int kDefaultLeads = 500;
#else
  constexpr int kDefaultLeads = 2000;
#endif
  const int leads_total = env != nullptr ? std::atoi(env) : kDefaultLeads;
  constexpr int kWorkers = 8;
  for (const char* name : {"ada", "bo", "cy"}) CreateRep(name, "", 10000);
  const auto started = Clock::now();

  // Chaos: every 1-3 s one of the two services is SIGKILLed and started again.
  KillLoop chaos(2, [&](int i) -> ServiceProcess& { return i == 0 ? *marketing_ : *sales_; });

  // Each worker drives its share of leads through the whole flow.
  LeadFlow flow("crash", leads_total);
  const LeadFlow::Stubs stubs{leads_.get(), opportunities_.get()};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] { flow.DriveShare(w, kWorkers, stubs, mu, errors); });
  }
  for (std::thread& t : workers) t.join();
  chaos.Stop();
  const int kills[2] = {chaos.kills(0), chaos.kills(1)};
  const auto faults_stopped = Clock::now();
  ASSERT_TRUE(errors.empty()) << errors.size() << " leads failed, first: " << errors.front();

  // Every queued message is delivered once the faults stop (total queue).
  ASSERT_TRUE(Eventually([&] { return LeadFlow::Drained(*marketing_delivery_) && LeadFlow::Drained(*sales_delivery_); },
                         std::chrono::seconds(90)));
  const auto drain_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - faults_stopped).count();
  const LeadFlow::Audit a = flow.Check(stubs, *marketing_reports_, *pipeline_);

  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("[fault] crash: leads=%d kills=%d (marketing %d, sales %d) client-retries=%d (after ABORTED %d) acknowledged=%zu "
              "lost=%d phantom=%lld duplicated=%d missing-handoffs=%d outcomes-wrong=%d customers=%lld "
              "won=%lld drain=%lldms elapsed=%.1fs\n",
              leads_total, kills[0] + kills[1], kills[0], kills[1], flow.retries(), flow.aborted(), a.acknowledged, a.lost,
              static_cast<long long>(a.phantom), a.duplicated, a.missing, a.outcomes_wrong,
              static_cast<long long>(a.customers), static_cast<long long>(a.won), static_cast<long long>(drain_ms),
              elapsed_s);
  LeadFlow::ExpectClean(a, leads_total);
  EXPECT_GT(kills[0] + kills[1], 0);
}

}  // namespace
}  // namespace handoff::testing
