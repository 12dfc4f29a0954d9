// Several replicas of each service on one PostgreSQL: calls spread over them, any replica
// serves the same state and the same event streams, a request sent to two at once acts
// once, periodic jobs on all of them act once, and -- in the fault test -- replicas killed
// again and again lose nothing, double nothing and keep each lead's order. Built into
// handoff_postgres_integration_tests only.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/ops/v1/delivery_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "handoff/sales/v1/rep_service.grpc.pb.h"
#include "tests/integration/lead_flow.h"
#include "tests/integration/service_process.h"
#include "tests/postgres_server.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;
using Clock = std::chrono::steady_clock;

constexpr int kReplicas = 2;

// One service's replicas: processes, ports, and stubs to each and over all.
struct Replicas {
  int port[kReplicas] = {};
  int metrics_port[kReplicas] = {};
  std::unique_ptr<ServiceProcess> process[kReplicas];
  std::shared_ptr<grpc::Channel> channel[kReplicas];

  // "ipv4:127.0.0.1:p1,127.0.0.1:p2": every replica, for round_robin.
  std::string Targets() const {
    std::string t = "ipv4:";
    for (int i = 0; i < kReplicas; ++i) t += (i > 0 ? "," : "") + std::string("127.0.0.1:") + std::to_string(port[i]);
    return t;
  }
  // The sum of every sample of `metric` whose labels contain `labels` in replica i's /metrics.
  double Metric(int i, const std::string& metric, const std::string& labels) const {
    const std::string body = HttpGet(metrics_port[i], "/metrics");
    double sum = 0;
    for (size_t at = body.find("\n" + metric + "{"); at != std::string::npos;
         at = body.find("\n" + metric + "{", at + 1)) {
      const size_t end = body.find('\n', at + 1);
      const std::string line = body.substr(at + 1, end - at - 1);
      if (line.find(labels) == std::string::npos) continue;
      sum += std::atof(line.c_str() + line.rfind(' ') + 1);
    }
    return sum;
  }
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(postgres_.Start()) << postgres_.Log();
    ASSERT_TRUE(postgres_.CreateDatabase("marketing"));
    ASSERT_TRUE(postgres_.CreateDatabase("sales"));
    for (Replicas* r : {&marketing_, &sales_}) {
      for (int i = 0; i < kReplicas; ++i) {
        r->port[i] = FreeLoopbackPort();
        r->metrics_port[i] = FreeLoopbackPort();
      }
    }
    for (int i = 0; i < kReplicas; ++i) {
      marketing_.process[i] = Process(HANDOFF_MARKETING_BINARY, "marketing", i, marketing_, "--sales_address", sales_,
                                      {});
      sales_.process[i] = Process(HANDOFF_SALES_BINARY, "sales", i, sales_, "--marketing_address", marketing_,
                                  ExtraSalesFlags());
    }
    // All four start together: the replicas of a service migrate its database once.
    std::vector<std::thread> starts;
    std::atomic<int> started{0};
    for (Replicas* r : {&marketing_, &sales_}) {
      for (int i = 0; i < kReplicas; ++i) {
        starts.emplace_back([&, r, i] { started += r->process[i]->Start() ? 1 : 0; });
      }
    }
    for (std::thread& t : starts) t.join();
    ASSERT_EQ(started.load(), 2 * kReplicas) << Logs();
    for (Replicas* r : {&marketing_, &sales_}) {
      for (int i = 0; i < kReplicas; ++i) {
        r->channel[i] = FastReconnectChannel("127.0.0.1:" + std::to_string(r->port[i]));
      }
    }
  }

  void TearDown() override {
    if (HasFailure() || std::getenv("HANDOFF_TEST_LOGS") != nullptr) std::cerr << Logs();
    for (Replicas* r : {&marketing_, &sales_}) {
      for (auto& p : r->process) {
        if (p != nullptr) p->Kill();
      }
    }
  }

  virtual std::vector<std::string> ExtraSalesFlags() const { return {}; }

  std::unique_ptr<ServiceProcess> Process(const char* binary, const std::string& name, int i, const Replicas& self,
                                          const char* peer_flag, const Replicas& peer,
                                          const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--listen=127.0.0.1:" + std::to_string(self.port[i]),
                                  std::string(peer_flag) + "=" + peer.Targets(),
                                  "--database=" + postgres_.Url(name),
                                  "--database_password_file=" + postgres_.password_file(),
                                  "--metrics_listen=127.0.0.1:" + std::to_string(self.metrics_port[i]),
                                  // A killed replica's claims pass to the other within 3 s.
                                  "--delivery_deadline=1s", "--delivery_lease=3s",
                                  // Connections are renewed every few seconds during the run.
                                  "--max_connection_age=3s", "--shutdown_grace=1s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<ServiceProcess>(binary, std::move(args),
                                            dir_.path() + "/" + name + std::to_string(i) + ".log");
  }

  std::string Logs() const {
    std::string out;
    for (const auto& [name, r] : {std::pair{"marketing", &marketing_}, std::pair{"sales", &sales_}}) {
      for (int i = 0; i < kReplicas; ++i) {
        if (r->process[i] != nullptr) out += "---- " + std::string(name) + " " + std::to_string(i) + " ----\n" + r->process[i]->Log();
      }
    }
    return out + "---- PostgreSQL ----\n" + postgres_.Log();
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 5) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return ctx;
  }

  static bool Eventually(const std::function<bool()>& done, std::chrono::seconds timeout) {
    for (const auto until = Clock::now() + timeout; Clock::now() < until;) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }

  void CreateReps(int n) {
    auto reps = sv1::RepService::NewStub(sales_.channel[0]);
    for (int i = 0; i < n; ++i) {
      sv1::CreateRepRequest req;
      req.mutable_rep()->set_display_name("Rep " + std::to_string(i));
      req.mutable_rep()->set_email("rep" + std::to_string(i) + "@sales.example.com");
      req.mutable_rep()->set_capacity(10000);
      req.set_request_id("rep-" + std::to_string(i));
      sv1::CreateRepResponse resp;
      const grpc::Status s = reps->CreateRep(Ctx().get(), req, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  bool BothDrained() {
    for (const Replicas* r : {&marketing_, &sales_}) {
      for (int i = 0; i < kReplicas; ++i) {
        auto delivery = ops::v1::DeliveryService::NewStub(r->channel[i]);
        if (!LeadFlow::Drained(*delivery)) return false;
      }
    }
    return true;
  }

  // The events of a stream from the start: read until `want` arrived or none came for a
  // second (the stream itself never ends).
  template <typename Stub, typename Request, typename Response, typename Event>
  static std::vector<Event> ReadEvents(Stub& stub,
                                       std::unique_ptr<grpc::ClientReader<Response>> (Stub::*watch)(grpc::ClientContext*,
                                                                                                   const Request&),
                                       size_t want) {
    std::vector<Event> out;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    std::atomic<int64_t> last_ms{0};
    std::atomic<bool> done{false};
    const auto now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
    };
    last_ms = now_ms();
    std::thread idle([&] {
      while (!done && now_ms() - last_ms < 1000) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ctx.TryCancel();
    });
    Request req;
    auto stream = (stub.*watch)(&ctx, req);
    Response r;
    while (out.size() < want && stream->Read(&r)) {
      out.push_back(r.event());
      last_ms = now_ms();
    }
    done = true;
    idle.join();
    return out;
  }
  std::vector<mv1::LeadEvent> LeadEvents(int replica, size_t want) {
    auto stub = mv1::LeadService::NewStub(marketing_.channel[replica]);
    return ReadEvents<mv1::LeadService::Stub, mv1::WatchLeadEventsRequest, mv1::WatchLeadEventsResponse,
                      mv1::LeadEvent>(*stub, &mv1::LeadService::Stub::WatchLeadEvents, want);
  }
  std::vector<sv1::DealEvent> DealEvents(int replica, size_t want) {
    auto stub = sv1::OpportunityService::NewStub(sales_.channel[replica]);
    return ReadEvents<sv1::OpportunityService::Stub, sv1::WatchDealEventsRequest, sv1::WatchDealEventsResponse,
                      sv1::DealEvent>(*stub, &sv1::OpportunityService::Stub::WatchDealEvents, want);
  }

  // Leads's event streams read from each replica: identical, and the outcomes each lead
  // heard the same for every lead, each once, in the order sales sent them. Returns the
  // number of events.
  size_t ExpectSameStreamsAndOrderedOutcomes(size_t leads) {
    // Capture, handoff and the outcomes: at least four events per lead.
    const std::vector<mv1::LeadEvent> first = LeadEvents(0, 1000000);
    EXPECT_GE(first.size(), 4 * leads);
    for (int i = 1; i < kReplicas; ++i) {
      const std::vector<mv1::LeadEvent> other = LeadEvents(i, first.size());
      EXPECT_EQ(other.size(), first.size()) << "marketing replica " << i;
      for (size_t k = 0; k < std::min(first.size(), other.size()); ++k) {
        if (first[k].SerializeAsString() != other[k].SerializeAsString()) {
          ADD_FAILURE() << "marketing replicas 0 and " << i << " differ at event " << k << ":\n"
                        << first[k].DebugString() << other[k].DebugString();
          break;
        }
      }
    }
    std::map<std::string, std::vector<int>> outcomes;
    int64_t last = 0;
    for (const mv1::LeadEvent& e : first) {
      // Gaps are allowed (a transaction that failed at COMMIT took numbers); a lost event
      // shows below as a lead without all its outcomes.
      EXPECT_GT(e.sequence(), last) << "marketing's stream out of order";
      last = e.sequence();
      if (e.type() == mv1::LEAD_EVENT_TYPE_OUTCOME_REPORTED) outcomes[e.lead()].push_back(e.outcome());
    }
    EXPECT_EQ(outcomes.size(), leads);
    const std::vector<int> expected = outcomes.empty() ? std::vector<int>() : outcomes.begin()->second;
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(expected.empty() ? 0 : expected.back(), mv1::OUTCOME_WON);
    EXPECT_EQ(std::set<int>(expected.begin(), expected.end()).size(), expected.size()) << "an outcome applied twice";
    int disordered = 0;
    for (const auto& [lead, seen] : outcomes) disordered += seen != expected ? 1 : 0;
    EXPECT_EQ(disordered, 0) << "leads whose outcomes arrived otherwise than in sales' order";

    const std::vector<sv1::DealEvent> deals = DealEvents(0, 1000000);
    EXPECT_GE(deals.size(), 3 * leads);
    for (int i = 1; i < kReplicas; ++i) {
      const std::vector<sv1::DealEvent> other = DealEvents(i, deals.size());
      EXPECT_EQ(other.size(), deals.size()) << "sales replica " << i;
      for (size_t k = 0; k < std::min(deals.size(), other.size()); ++k) {
        if (deals[k].SerializeAsString() != other[k].SerializeAsString()) {
          ADD_FAILURE() << "sales replicas 0 and " << i << " differ at event " << k;
          break;
        }
      }
    }
    return first.size() + deals.size();
  }

  // Drives `leads` leads with `workers` clients, each on its own channels over all replicas.
  std::vector<std::string> Drive(LeadFlow& flow, int leads, int workers) {
    std::mutex mu;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        // A client of its own: its own channels, balanced round_robin over every replica.
        auto leads_stub = mv1::LeadService::NewStub(FastReconnectChannel(marketing_.Targets()));
        auto opps_stub = sv1::OpportunityService::NewStub(FastReconnectChannel(sales_.Targets()));
        const LeadFlow::Stubs stubs{leads_stub.get(), opps_stub.get()};
        flow.DriveShare(w, workers, stubs, mu, errors);
      });
    }
    for (std::thread& t : threads) t.join();
    return errors;
  }

  // The audit through replica i of each service.
  LeadFlow::Audit AuditThrough(LeadFlow& flow, int i) {
    auto leads = mv1::LeadService::NewStub(marketing_.channel[i]);
    auto opps = sv1::OpportunityService::NewStub(sales_.channel[i]);
    auto reports = mv1::MarketingReportService::NewStub(marketing_.channel[i]);
    auto pipeline = sv1::PipelineReportService::NewStub(sales_.channel[i]);
    return flow.Check({leads.get(), opps.get()}, *reports, *pipeline);
  }

  static bool SameAudit(const LeadFlow::Audit& a, const LeadFlow::Audit& b) {
    return a.acknowledged == b.acknowledged && a.lost == b.lost && a.phantom == b.phantom &&
           a.duplicated == b.duplicated && a.missing == b.missing && a.outcomes_wrong == b.outcomes_wrong &&
           a.customers == b.customers && a.won == b.won && a.won_revenue_minor == b.won_revenue_minor;
  }

  TempDir dir_;
  PostgresServer postgres_;
  Replicas marketing_, sales_;
};

// Clients and the services' own channels spread their calls over every replica, and each
// replica answers with the same state and the same event streams.
TEST_F(ReplicasTest, CallsSpreadOverEveryReplicaAndEachServesTheSameState) {
  constexpr int kLeads = 60;
  CreateReps(3);
  LeadFlow flow("spread", kLeads);
  const std::vector<std::string> errors = Drive(flow, kLeads, 4);
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_TRUE(Eventually([&] { return BothDrained(); }, std::chrono::seconds(30)));
  const LeadFlow::Audit a = AuditThrough(flow, 0);
  LeadFlow::ExpectClean(a, kLeads);
  EXPECT_TRUE(SameAudit(a, AuditThrough(flow, 1))) << "the replicas report different states";
  ExpectSameStreamsAndOrderedOutcomes(kLeads);
  const auto handled = [](const Replicas& r, int i, const std::string& service, const std::string& method) {
    return r.Metric(i, "grpc_server_handled_total",
                    "grpc_method=\"" + method + "\",grpc_service=\"handoff." + service + "\"");
  };
  for (int i = 0; i < kReplicas; ++i) {
    // Clients' calls, and the other service's outbox deliveries, reached every replica.
    EXPECT_GT(handled(marketing_, i, "marketing.v1.LeadService", "CaptureLead"), 0) << i;
    EXPECT_GT(handled(marketing_, i, "marketing.v1.LeadService", "ReportOutcome"), 0) << i;
    EXPECT_GT(handled(sales_, i, "sales.v1.HandoffService", "HandoffLead"), 0) << i;
    EXPECT_GT(handled(sales_, i, "sales.v1.OpportunityService", "AcceptOpportunity"), 0) << i;
  }
}

// The same request (same request_id) sent to both replicas at the same moment acts once:
// both get the one answer.
TEST_F(ReplicasTest, TheSameRequestAtTwoReplicasAtOnceActsOnce) {
  constexpr int kRequests = 30;
  auto a = mv1::LeadService::NewStub(marketing_.channel[0]);
  auto b = mv1::LeadService::NewStub(marketing_.channel[1]);
  int different = 0, failed = 0;
  for (int i = 0; i < kRequests; ++i) {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email("twice" + std::to_string(i) + "@example.org");
    req.mutable_contact()->set_given_name("Twice");
    req.set_request_id("twice-" + std::to_string(i));
    mv1::CaptureLeadResponse ra, rb;
    grpc::Status sa, sb;
    std::atomic<bool> go{false};
    std::thread ta([&] {
      while (!go) {
      }
      sa = a->CaptureLead(Ctx().get(), req, &ra);
    });
    std::thread tb([&] {
      while (!go) {
      }
      sb = b->CaptureLead(Ctx().get(), req, &rb);
    });
    go = true;
    ta.join();
    tb.join();
    if (!sa.ok() || !sb.ok()) {
      ++failed;
      ADD_FAILURE() << sa.error_message() << " / " << sb.error_message();
      continue;
    }
    different += ra.SerializeAsString() != rb.SerializeAsString() ? 1 : 0;
  }
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(different, 0) << "the two replicas answered one request differently";
  mv1::ListLeadsRequest list;
  list.set_page_size(100);
  mv1::ListLeadsResponse leads;
  ASSERT_TRUE(a->ListLeads(Ctx().get(), list, &leads).ok());
  EXPECT_EQ(leads.leads_size(), kRequests) << "a request acted twice";
}

// A stream open on one replica hears, live, the events written through another: the
// replicas share the event log, and a replica with no writes of its own finds the other's
// events by polling it (--watch_poll). Each capture made on replica 0 arrives on the stream
// from replica 1, in order, well within the poll interval plus slack.
TEST_F(ReplicasTest, AStreamOnOneReplicaHearsTheOthersEventsLive) {
  constexpr int kLeads = 5;
  auto writer = mv1::LeadService::NewStub(marketing_.channel[0]);
  auto watcher = mv1::LeadService::NewStub(marketing_.channel[1]);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  mv1::WatchLeadEventsRequest req;
  req.set_from_now(true);
  auto stream = watcher->WatchLeadEvents(&ctx, req);
  // A capture made before the call reached the replica would not be "from now".
  const auto capture = [&](int i) {
    mv1::CaptureLeadRequest c;
    c.mutable_contact()->set_email("live" + std::to_string(i) + "@example.org");
    c.set_request_id("live-" + std::to_string(i));
    mv1::CaptureLeadResponse r;
    EXPECT_TRUE(writer->CaptureLead(Ctx().get(), c, &r).ok());
    return r.lead().name();
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < kLeads; ++i) {
    const std::string lead = capture(i);
    const auto sent = Clock::now();
    mv1::WatchLeadEventsResponse r;
    bool heard = false;
    while (!heard && stream->Read(&r)) {
      if (r.has_event() && r.event().lead() == lead && r.event().type() == mv1::LEAD_EVENT_TYPE_CAPTURED) heard = true;
    }
    ASSERT_TRUE(heard) << "replica 1's stream ended before " << lead << "'s capture arrived";
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent).count();
    EXPECT_LT(waited, 3000) << lead << "'s capture on replica 0 took " << waited << " ms to reach replica 1's stream";
  }
  ctx.TryCancel();
}

class ReplicaSweepTest : public ReplicasTest {
 protected:
  std::vector<std::string> ExtraSalesFlags() const override {
    return {"--accept_sla=1s", "--sla_check_interval=100ms"};
  }
};

// Both sales replicas sweep the service levels every 100 ms: each missed accept deadline is
// announced once, not once per replica.
TEST_F(ReplicaSweepTest, EachMissedDeadlineIsAnnouncedOnceWhileEveryReplicaSweeps) {
  constexpr int kLeads = 12;
  CreateReps(2);
  auto leads = mv1::LeadService::NewStub(marketing_.channel[0]);
  for (int i = 0; i < kLeads; ++i) {
    mv1::CaptureLeadRequest capture;
    capture.mutable_contact()->set_email("late" + std::to_string(i) + "@example.org");
    capture.set_request_id("late-capture-" + std::to_string(i));
    mv1::CaptureLeadResponse captured;
    ASSERT_TRUE(leads->CaptureLead(Ctx().get(), capture, &captured).ok());
    mv1::QualifyLeadRequest qualify;
    qualify.set_name(captured.lead().name());
    qualify.set_reason("asked for a call");
    qualify.set_request_id("late-qualify-" + std::to_string(i));
    mv1::QualifyLeadResponse qualified;
    ASSERT_TRUE(leads->QualifyLead(Ctx().get(), qualify, &qualified).ok());
  }
  // Nobody accepts: after the 1 s window every handoff is late, and both replicas sweep.
  std::map<std::string, int> breaches;
  ASSERT_TRUE(Eventually([&] {
    breaches.clear();
    for (const sv1::DealEvent& e : DealEvents(0, 1000000)) {
      if (e.type() == sv1::DEAL_EVENT_TYPE_ACCEPT_SLA_BREACHED) ++breaches[e.opportunity()];
    }
    return breaches.size() == static_cast<size_t>(kLeads);
  }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // ten more sweeps on each replica
  breaches.clear();
  for (const sv1::DealEvent& e : DealEvents(1, 1000000)) {
    if (e.type() == sv1::DEAL_EVENT_TYPE_ACCEPT_SLA_BREACHED) ++breaches[e.opportunity()];
  }
  EXPECT_EQ(breaches.size(), static_cast<size_t>(kLeads));
  for (const auto& [opportunity, n] : breaches) EXPECT_EQ(n, 1) << opportunity << " announced " << n << " times";
}

// Jepsen-style: two replicas of each service on one PostgreSQL, leads driven through the
// whole flow by several clients spread over the replicas, while one replica or another is
// SIGKILLed every 1-3 s and started again. Afterwards: nothing lost, nothing doubled, each
// outcome applied once and in order, both backlogs drained, and every replica reports the
// same state and streams the same events.
TEST_F(ReplicasTest, RepeatedSigkillsOfReplicasLoseNothingDoubleNothingAndKeepOrder) {
  const char* env = std::getenv("HANDOFF_REPLICA_LEADS");
  const int leads_total = env != nullptr ? std::atoi(env) : 5000;
  CreateReps(3);
  const auto started = Clock::now();
  // Targets 0 .. kReplicas-1 are marketing's replicas, the rest sales'.
  KillLoop chaos(2 * kReplicas, [&](int i) -> ServiceProcess& {
    return *(i < kReplicas ? marketing_ : sales_).process[i % kReplicas];
  });
  LeadFlow flow("replica", leads_total);
  const std::vector<std::string> errors = Drive(flow, leads_total, 8);
  chaos.Stop();
  int kills[2] = {0, 0};
  for (int i = 0; i < 2 * kReplicas; ++i) kills[i < kReplicas ? 0 : 1] += chaos.kills(i);
  const auto faults_stopped = Clock::now();
  ASSERT_TRUE(errors.empty()) << errors.size() << " leads failed, first: " << errors.front();
  ASSERT_TRUE(Eventually([&] { return BothDrained(); }, std::chrono::seconds(90)));
  const auto drain_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - faults_stopped).count();
  const LeadFlow::Audit a = AuditThrough(flow, 0);
  LeadFlow::ExpectClean(a, leads_total);
  const bool agree = SameAudit(a, AuditThrough(flow, 1));
  EXPECT_TRUE(agree) << "the replicas report different states";
  const size_t events = ExpectSameStreamsAndOrderedOutcomes(static_cast<size_t>(leads_total));
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("[fault] replicas: %d marketing + %d sales on one PostgreSQL, leads=%d kills=%d (marketing %d, "
              "sales %d) client-retries=%d (after ABORTED %d) acknowledged=%zu lost=%d phantom=%lld duplicated=%d missing-handoffs=%d "
              "outcomes-wrong=%d events=%zu replicas-agree=%s drain=%lldms elapsed=%.1fs\n",
              kReplicas, kReplicas, leads_total, kills[0] + kills[1], kills[0], kills[1], flow.retries(),
              flow.aborted(), a.acknowledged, a.lost, static_cast<long long>(a.phantom), a.duplicated, a.missing, a.outcomes_wrong,
              events, agree ? "yes" : "no", static_cast<long long>(drain_ms), elapsed_s);
  EXPECT_GT(kills[0], 0);
  EXPECT_GT(kills[1], 0);
}

}  // namespace
}  // namespace handoff::testing
