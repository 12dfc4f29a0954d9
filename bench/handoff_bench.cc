// bench/handoff-bench: a load generator on gRPC's callback client API. One workload per
// run, closed loop (--concurrency calls always in flight) or open loop (--rate calls per
// second on a fixed schedule, latency measured from the scheduled time so a slow server
// cannot hide its queueing). Prints one table row and, with --json_out, appends one JSON
// line: throughput, p50/p90/p99/p99.9 latency, errors and the peak RSS of --rss_pids.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "handoff/bench/v1/echo_service.grpc.pb.h"
#include "handoff/marketing/v1/campaign_service.grpc.pb.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "handoff/sales/v1/rep_service.grpc.pb.h"

ABSL_FLAG(std::string, workload, "echo",
          "echo | capture | touch | get_lead | list_leads | handoff | pipeline | campaign_report | "
          "funnel | pipeline_report");
ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "gRPC target of the server under test: HOST:PORT, or ipv4:H:P1,H:P2 for replicas (round_robin)");
ABSL_FLAG(std::string, sales_target, "127.0.0.1:50052", "handoff, pipeline: gRPC target of sales-service (as --target)");
ABSL_FLAG(int32_t, concurrency, 16, "Closed loop: calls kept in flight");
ABSL_FLAG(double, rate, 0, "Open loop: calls per second on a fixed schedule; 0 = closed loop");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "How long to measure");
ABSL_FLAG(int64_t, count, 0, "Stop after this many calls instead (0: use --duration)");
ABSL_FLAG(double, duplicate_ratio, 0.1, "capture: share of captures of a person captured before");
ABSL_FLAG(int32_t, setup_leads, 2000, "get_lead, list_leads, touch: leads captured before measuring");
ABSL_FLAG(int32_t, setup_touches, 0,
          "touch: touches given to each setup lead before measuring (it has one already, its capture)");
ABSL_FLAG(bool, in_turn, false,
          "get_lead, list_leads, touch: pick leads (pages) in turn instead of at random, so --count "
          "calls on as many leads reach each once");
ABSL_FLAG(std::string, before_measure, "",
          "A shell command run after set-up, just before measuring (e.g. zeroing a profiler's counters)");
ABSL_FLAG(std::string, sample, "",
          "get_lead, list_leads, touch: read leads and page tokens from this file (written by "
          "handoff-bulk-load --sample_out) instead of capturing and paging first");
ABSL_FLAG(std::vector<std::string>, rss_pids, {}, "Processes whose peak RSS (VmHWM) to report");
ABSL_FLAG(std::string, label, "", "Name of the run in the output (default: the workload)");
ABSL_FLAG(std::string, json_out, "", "Append the result as one JSON line to this file");

namespace handoff::bench {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;
using Done = std::function<void(const grpc::Status&)>;

// One kind of call. Start() begins one call and calls `done` exactly once.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual absl::Status Setup() { return absl::OkStatus(); }
  virtual void Start(Done done) = 0;
};

// A call's state, alive until its callback ran.
template <typename Req, typename Resp>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
  Done done;
};

template <typename Req, typename Resp>
Call<Req, Resp>* NewCall(Done done) {
  auto* call = new Call<Req, Resp>();
  call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  call->done = std::move(done);
  return call;
}

// The callback of an async call: reports its status and frees it.
template <typename C>
std::function<void(grpc::Status)> Finish(C* call) {
  return [call](grpc::Status s) {
    call->done(s);
    delete call;
  };
}

class EchoWorkload final : public Workload {
 public:
  explicit EchoWorkload(std::shared_ptr<grpc::Channel> ch) : stub_(v1::EchoService::NewStub(ch)) {}
  void Start(Done done) override {
    auto* call = NewCall<v1::EchoRequest, v1::EchoResponse>(std::move(done));
    stub_->async()->Echo(&call->ctx, &call->req, &call->resp, Finish(call));
  }

 private:
  std::unique_ptr<v1::EchoService::Stub> stub_;
};

// New people, and a share of repeat captures of earlier ones (the merge path).
class CaptureWorkload final : public Workload {
 public:
  CaptureWorkload(std::shared_ptr<grpc::Channel> ch, double duplicate_ratio)
      : stub_(mv1::LeadService::NewStub(ch)), duplicate_ratio_(duplicate_ratio) {}
  void Start(Done done) override {
    const int64_t n = next_.fetch_add(1);
    int64_t person = n;
    {
      absl::MutexLock lock(&mu_);
      if (n > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < duplicate_ratio_) {
        person = std::uniform_int_distribution<int64_t>(0, n - 1)(rng_);
      }
    }
    auto* call = NewCall<mv1::CaptureLeadRequest, mv1::CaptureLeadResponse>(std::move(done));
    call->req.mutable_contact()->set_email(absl::StrCat("bench-", run_, "-", person, "@example.org"));
    call->req.mutable_contact()->set_given_name("Bench");
    call->req.mutable_contact()->set_company("Load Test Ltd");
    call->req.mutable_consent()->set_email(true);
    call->req.set_request_id(absl::StrCat("bench-", run_, "-", n));
    stub_->async()->CaptureLead(&call->ctx, &call->req, &call->resp, Finish(call));
  }

 private:
  std::unique_ptr<mv1::LeadService::Stub> stub_;
  const double duplicate_ratio_;
  const int64_t run_ = absl::ToUnixMicros(absl::Now());
  std::atomic<int64_t> next_{0};
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){42};
};

// The leads and ListLeads page tokens a read workload picks from: read from a --sample
// file, or made by capturing `setup_leads` leads and paging once through the listing.
struct LeadSet {
  std::vector<std::string> names;
  std::vector<std::string> tokens;

  absl::Status Load(mv1::LeadService::Stub& stub, const std::string& sample, int setup_leads) {
    if (!sample.empty()) {
      std::ifstream in(sample);
      std::string kind, value;
      while (in >> kind >> value) (kind == "lead" ? names : tokens).push_back(value);
      if (names.empty() || tokens.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("no 'lead' and 'page' lines in ", sample));
      }
      return absl::OkStatus();
    }
    const int64_t run = absl::ToUnixMicros(absl::Now());
    for (int i = 0; i < setup_leads; ++i) {
      mv1::CaptureLeadRequest req;
      req.mutable_contact()->set_email(absl::StrCat("read-", run, "-", i, "@example.org"));
      req.mutable_consent()->set_email(true);
      req.set_request_id(absl::StrCat("read-", run, "-", i));
      mv1::CaptureLeadResponse resp;
      grpc::ClientContext ctx;
      const grpc::Status s = stub.CaptureLead(&ctx, req, &resp);
      if (!s.ok()) return absl::UnavailableError(absl::StrCat("setup capture: ", s.error_message()));
      names.push_back(resp.lead().name());
    }
    if (absl::Status s = Touch(stub, run, absl::GetFlag(FLAGS_setup_touches)); !s.ok()) return s;
    mv1::ListLeadsRequest req;
    req.set_page_size(50);
    tokens.push_back("");
    while (true) {
      mv1::ListLeadsResponse resp;
      grpc::ClientContext ctx;
      const grpc::Status s = stub.ListLeads(&ctx, req, &resp);
      if (!s.ok()) return absl::UnavailableError(absl::StrCat("setup list: ", s.error_message()));
      if (setup_leads == 0) {  // read what is there
        for (const auto& l : resp.leads()) names.push_back(l.name());
      }
      if (resp.next_page_token().empty()) break;
      tokens.push_back(resp.next_page_token());
      req.set_page_token(resp.next_page_token());
    }
    if (names.empty()) return absl::FailedPreconditionError("no leads to read");
    return absl::OkStatus();
  }

  // Gives each lead `touches` web visits (no campaign), one call at a time.
  absl::Status Touch(mv1::LeadService::Stub& stub, int64_t run, int touches) {
    for (size_t i = 0; i < names.size(); ++i) {
      for (int t = 0; t < touches; ++t) {
        mv1::RecordTouchRequest req;
        req.set_lead(names[i]);
        req.set_touch_type(mv1::TOUCH_TYPE_WEB_VISIT);
        req.set_touch_id(absl::StrCat("setup-", run, "-", i, "-", t));
        mv1::RecordTouchResponse resp;
        grpc::ClientContext ctx;
        const grpc::Status s = stub.RecordTouch(&ctx, req, &resp);
        if (!s.ok()) return absl::UnavailableError(absl::StrCat("setup touch: ", s.error_message()));
      }
    }
    return absl::OkStatus();
  }
};

// Reads and touches over a LeadSet: GetLead of a random lead, ListLeads at a random page
// of the whole listing, or RecordTouch (a web visit) on a random lead.
class LeadSetWorkload final : public Workload {
 public:
  enum class Kind { kGet, kList, kTouch };
  LeadSetWorkload(std::shared_ptr<grpc::Channel> ch, Kind kind, std::string sample, int setup_leads)
      : stub_(mv1::LeadService::NewStub(ch)), campaigns_(mv1::CampaignService::NewStub(ch)), kind_(kind), sample_(std::move(sample)), setup_leads_(setup_leads) {}

  absl::Status Setup() override {
    if (absl::Status s = set_.Load(*stub_, sample_, setup_leads_); !s.ok()) return s;
    if (kind_ != Kind::kTouch) return absl::OkStatus();
    // Touches name a campaign: any active one, or a new one made for the run.
    mv1::ListCampaignsRequest list;
    list.set_page_size(1);
    list.set_state(mv1::CAMPAIGN_STATE_ACTIVE);
    mv1::ListCampaignsResponse listed;
    grpc::ClientContext ctx;
    grpc::Status s = campaigns_->ListCampaigns(&ctx, list, &listed);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("setup list campaigns: ", s.error_message()));
    if (!listed.campaigns().empty()) {
      campaign_ = listed.campaigns(0).name();
      return absl::OkStatus();
    }
    mv1::CreateCampaignRequest create;
    create.mutable_campaign()->set_display_name("Benchmark touches");
    create.mutable_campaign()->set_channel(mv1::CHANNEL_EMAIL);
    create.mutable_campaign()->set_state(mv1::CAMPAIGN_STATE_ACTIVE);
    create.mutable_campaign()->mutable_budget()->set_amount_minor(1000000);
    create.mutable_campaign()->mutable_budget()->set_currency_code("EUR");
    create.set_request_id(absl::StrCat("bench-campaign-", run_));
    mv1::CreateCampaignResponse created;
    grpc::ClientContext cctx;
    s = campaigns_->CreateCampaign(&cctx, create, &created);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("setup create campaign: ", s.error_message()));
    campaign_ = created.campaign().name();
    return absl::OkStatus();
  }

  void Start(Done done) override {
    size_t pick;
    {
      absl::MutexLock lock(&mu_);
      const size_t n = kind_ == Kind::kList ? set_.tokens.size() : set_.names.size();
      pick = in_turn_ ? turn_++ % n : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
    }
    switch (kind_) {
      case Kind::kList: {
        auto* call = NewCall<mv1::ListLeadsRequest, mv1::ListLeadsResponse>(std::move(done));
        call->req.set_page_size(50);
        call->req.set_page_token(set_.tokens[pick]);
        stub_->async()->ListLeads(&call->ctx, &call->req, &call->resp, Finish(call));
        break;
      }
      case Kind::kGet: {
        auto* call = NewCall<mv1::GetLeadRequest, mv1::GetLeadResponse>(std::move(done));
        call->req.set_name(set_.names[pick]);
        stub_->async()->GetLead(&call->ctx, &call->req, &call->resp, Finish(call));
        break;
      }
      case Kind::kTouch: {
        auto* call = NewCall<mv1::RecordTouchRequest, mv1::RecordTouchResponse>(std::move(done));
        call->req.set_lead(set_.names[pick]);
        call->req.set_campaign(campaign_);
        call->req.set_touch_type(mv1::TOUCH_TYPE_WEB_VISIT);
        call->req.set_touch_id(absl::StrCat("bench-touch-", run_, "-", next_.fetch_add(1)));
        stub_->async()->RecordTouch(&call->ctx, &call->req, &call->resp, Finish(call));
        break;
      }
    }
  }

 private:
  std::unique_ptr<mv1::LeadService::Stub> stub_;
  std::unique_ptr<mv1::CampaignService::Stub> campaigns_;
  const Kind kind_;
  std::string campaign_;
  const std::string sample_;
  const int setup_leads_;
  LeadSet set_;
  const int64_t run_ = absl::ToUnixMicros(absl::Now());
  std::atomic<int64_t> next_{0};
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){7};
  const bool in_turn_ = absl::GetFlag(FLAGS_in_turn);
  size_t turn_ ABSL_GUARDED_BY(mu_) = 0;
};

// Reports: marketing's campaign performance (a random campaign over all time, a random
// attribution model) or lifecycle funnel, or sales' pipeline report (all reps, EUR).
class ReportWorkload final : public Workload {
 public:
  enum class Kind { kCampaign, kFunnel, kPipeline };
  ReportWorkload(std::shared_ptr<grpc::Channel> ch, Kind kind)
      : campaigns_(mv1::CampaignService::NewStub(ch)),
        reports_(mv1::MarketingReportService::NewStub(ch)),
        pipeline_(sv1::PipelineReportService::NewStub(ch)),
        kind_(kind) {}

  absl::Status Setup() override {
    if (kind_ != Kind::kCampaign) return absl::OkStatus();
    mv1::ListCampaignsRequest req;
    req.set_page_size(100);
    while (true) {
      mv1::ListCampaignsResponse resp;
      grpc::ClientContext ctx;
      const grpc::Status s = campaigns_->ListCampaigns(&ctx, req, &resp);
      if (!s.ok()) return absl::UnavailableError(absl::StrCat("setup list campaigns: ", s.error_message()));
      for (const auto& c : resp.campaigns()) names_.push_back(c.name());
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    if (names_.empty()) return absl::FailedPreconditionError("no campaigns to report on");
    return absl::OkStatus();
  }

  void Start(Done done) override {
    switch (kind_) {
      case Kind::kCampaign: {
        size_t pick;
        int model;
        {
          absl::MutexLock lock(&mu_);
          pick = std::uniform_int_distribution<size_t>(0, names_.size() - 1)(rng_);
          model = std::uniform_int_distribution<int>(1, 5)(rng_);
        }
        auto* call = NewCall<mv1::GetCampaignPerformanceRequest, mv1::GetCampaignPerformanceResponse>(std::move(done));
        call->req.set_campaign(names_[pick]);
        call->req.set_model(static_cast<mv1::AttributionModel>(model));
        reports_->async()->GetCampaignPerformance(&call->ctx, &call->req, &call->resp, Finish(call));
        break;
      }
      case Kind::kFunnel: {
        auto* call = NewCall<mv1::GetLifecycleFunnelRequest, mv1::GetLifecycleFunnelResponse>(std::move(done));
        reports_->async()->GetLifecycleFunnel(&call->ctx, &call->req, &call->resp, Finish(call));
        break;
      }
      case Kind::kPipeline: {
        auto* call = NewCall<sv1::GetPipelineReportRequest, sv1::GetPipelineReportResponse>(std::move(done));
        call->req.set_currency_code("EUR");
        pipeline_->async()->GetPipelineReport(&call->ctx, &call->req, &call->resp, Finish(call));
        break;
      }
    }
  }

 private:
  std::unique_ptr<mv1::CampaignService::Stub> campaigns_;
  std::unique_ptr<mv1::MarketingReportService::Stub> reports_;
  std::unique_ptr<sv1::PipelineReportService::Stub> pipeline_;
  const Kind kind_;
  std::vector<std::string> names_;
  absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){11};
};

// Sales needs reps to assign handoffs to (a handoff without one waits, and the service-level
// monitor later assigns the backlog in a burst): creates four when there are none.
absl::Status EnsureReps(sv1::RepService::Stub& reps, int64_t run) {
  sv1::ListRepsRequest list;
  list.set_page_size(1);
  sv1::ListRepsResponse listed;
  grpc::ClientContext ctx;
  if (grpc::Status s = reps.ListReps(&ctx, list, &listed); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("setup list reps: ", s.error_message()));
  }
  for (int i = 0; listed.reps().empty() && i < 4; ++i) {
    sv1::CreateRepRequest create;
    create.mutable_rep()->set_display_name(absl::StrCat("Bench rep ", i + 1));
    create.mutable_rep()->set_email(absl::StrCat("bench-rep-", run, "-", i, "@example.org"));
    create.mutable_rep()->set_capacity(10000);
    create.set_request_id(absl::StrCat("bench-rep-", run, "-", i));
    sv1::CreateRepResponse created;
    grpc::ClientContext cctx;
    if (grpc::Status s = reps.CreateRep(&cctx, create, &created); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("setup create rep: ", s.error_message()));
    }
  }
  return absl::OkStatus();
}

// The handoff: each call captures a new person and qualifies them by hand (QualifyLead
// queues the handoff in marketing's outbox); it completes when sales' WatchDealEvents
// shows the opportunity created for that lead. Latency: capture start to opportunity
// committed in sales as seen by a subscriber. Open loop only (--rate).
class HandoffWorkload final : public Workload {
 public:
  HandoffWorkload(std::shared_ptr<grpc::Channel> marketing, std::shared_ptr<grpc::Channel> sales)
      : leads_(mv1::LeadService::NewStub(marketing)),
        deals_(sv1::OpportunityService::NewStub(sales)),
        reps_(sv1::RepService::NewStub(sales)) {}

  ~HandoffWorkload() override {
    watch_ctx_.TryCancel();
    if (watcher_.joinable()) watcher_.join();
  }

  absl::Status Setup() override {
    if (absl::Status s = EnsureReps(*reps_, run_); !s.ok()) return s;
    sv1::WatchDealEventsRequest req;  // from the start: the suite runs on a fresh database
    reader_ = deals_->WatchDealEvents(&watch_ctx_, req);
    watcher_ = std::thread([this] {
      sv1::WatchDealEventsResponse e;
      while (reader_->Read(&e)) {
        if (e.event().type() != sv1::DEAL_EVENT_TYPE_CREATED) continue;
        Done done;
        {
          absl::MutexLock lock(&mu_);
          auto it = waiting_.find(e.event().lead());
          if (it == waiting_.end()) continue;
          done = std::move(it->second);
          waiting_.erase(it);
        }
        done(grpc::Status::OK);
      }
      reader_->Finish();
    });
    return absl::OkStatus();
  }

  void Start(Done done) override {
    const int64_t n = next_.fetch_add(1);
    auto* capture = NewCall<mv1::CaptureLeadRequest, mv1::CaptureLeadResponse>(std::move(done));
    capture->req.mutable_contact()->set_email(absl::StrCat("handoff-", run_, "-", n, "@example.org"));
    capture->req.mutable_consent()->set_email(true);
    capture->req.set_request_id(absl::StrCat("handoff-capture-", run_, "-", n));
    leads_->async()->CaptureLead(&capture->ctx, &capture->req, &capture->resp, [this, capture, n](grpc::Status s) {
      if (!s.ok()) {
        capture->done(s);
        delete capture;
        return;
      }
      const std::string lead = capture->resp.lead().name();
      Done done = std::move(capture->done);
      delete capture;
      auto* qualify = NewCall<mv1::QualifyLeadRequest, mv1::QualifyLeadResponse>(nullptr);
      qualify->req.set_name(lead);
      qualify->req.set_reason("benchmark");
      qualify->req.set_request_id(absl::StrCat("handoff-qualify-", run_, "-", n));
      {
        absl::MutexLock lock(&mu_);
        waiting_[lead] = std::move(done);  // before the handoff can possibly arrive
      }
      leads_->async()->QualifyLead(&qualify->ctx, &qualify->req, &qualify->resp, [this, qualify, lead](grpc::Status q) {
        delete qualify;
        if (q.ok()) return;
        Done failed;
        {
          absl::MutexLock lock(&mu_);
          auto it = waiting_.find(lead);
          if (it == waiting_.end()) return;
          failed = std::move(it->second);
          waiting_.erase(it);
        }
        failed(q);
      });
    });
  }

 private:
  std::unique_ptr<mv1::LeadService::Stub> leads_;
  std::unique_ptr<sv1::OpportunityService::Stub> deals_;
  std::unique_ptr<sv1::RepService::Stub> reps_;
  const int64_t run_ = absl::ToUnixMicros(absl::Now());
  std::atomic<int64_t> next_{0};
  grpc::ClientContext watch_ctx_;
  std::unique_ptr<grpc::ClientReader<sv1::WatchDealEventsResponse>> reader_;
  std::thread watcher_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Done> waiting_ ABSL_GUARDED_BY(mu_);
};

// The whole closed loop for one new person: capture, qualify (marketing hands the lead to
// sales), then, once sales' WatchDealEvents shows the opportunity, accept it, log an e-mail
// and close it won; the call completes when marketing's WatchLeadEvents shows the WON
// outcome for the lead (the loop back). Latency: first call to outcome back. Each loop
// runs its calls in order on one of --concurrency (closed) or 64 (open) worker threads.
class PipelineWorkload final : public Workload {
 public:
  PipelineWorkload(std::shared_ptr<grpc::Channel> marketing, std::shared_ptr<grpc::Channel> sales, int threads)
      : leads_(mv1::LeadService::NewStub(marketing)),
        deals_(sv1::OpportunityService::NewStub(sales)),
        reps_(sv1::RepService::NewStub(sales)) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }

  ~PipelineWorkload() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& t : workers_) t.join();
    deal_ctx_.TryCancel();
    lead_ctx_.TryCancel();
    if (deal_watcher_.joinable()) deal_watcher_.join();
    if (lead_watcher_.joinable()) lead_watcher_.join();
  }

  absl::Status Setup() override {
    if (absl::Status s = EnsureReps(*reps_, run_); !s.ok()) return s;
    deal_watcher_ = std::thread([this] {
      sv1::WatchDealEventsRequest req;
      auto reader = deals_->WatchDealEvents(&deal_ctx_, req);
      sv1::WatchDealEventsResponse e;
      while (reader->Read(&e)) {
        if (e.event().type() == sv1::DEAL_EVENT_TYPE_CREATED) Signal(e.event().lead(), e.event().opportunity(), false);
      }
      reader->Finish();
    });
    lead_watcher_ = std::thread([this] {
      mv1::WatchLeadEventsRequest req;
      auto reader = leads_->WatchLeadEvents(&lead_ctx_, req);
      mv1::WatchLeadEventsResponse e;
      while (reader->Read(&e)) {
        if (e.event().type() == mv1::LEAD_EVENT_TYPE_OUTCOME_REPORTED && e.event().outcome() == mv1::OUTCOME_WON) {
          Signal(e.event().lead(), "", true);
        }
      }
      reader->Finish();
    });
    // The watchers start at the beginning of both event logs: one loop before measuring
    // brings them to the end (its events are the newest), so no measured loop waits for
    // them to read old history.
    if (grpc::Status s = Loop(-1); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("warm-up loop: ", s.error_message()));
    }
    return absl::OkStatus();
  }

  void Start(Done done) override {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(done));
  }

 private:
  struct Waiter {
    absl::Notification created;
    std::string opportunity;
    absl::Notification won;
  };

  void Signal(const std::string& lead, const std::string& opportunity, bool won) {
    absl::MutexLock lock(&mu_);
    auto it = waiters_.find(lead);
    if (it == waiters_.end()) return;
    if (won) {
      if (!it->second->won.HasBeenNotified()) it->second->won.Notify();
    } else if (!it->second->created.HasBeenNotified()) {
      it->second->opportunity = opportunity;
      it->second->created.Notify();
    }
  }

  void Work() {
    while (true) {
      Done done;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](PipelineWorkload* w) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->stopping_ || !w->queue_.empty(); },
            this));
        if (queue_.empty()) return;
        done = std::move(queue_.front());
        queue_.pop_front();
      }
      done(Loop(next_.fetch_add(1)));
    }
  }

  template <typename Method, typename Req, typename Resp>
  static grpc::Status Call(Method method, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return method(&ctx, req, resp);
  }

  grpc::Status Loop(int64_t n) {
    const std::string id = absl::StrCat(run_, "-", n);
    mv1::CaptureLeadRequest capture;
    capture.mutable_contact()->set_email(absl::StrCat("pipeline-", id, "@example.org"));
    capture.mutable_consent()->set_email(true);
    capture.set_request_id(absl::StrCat("pipeline-capture-", id));
    mv1::CaptureLeadResponse captured;
    grpc::Status s = Call([&](grpc::ClientContext* c, const auto& q, auto* r) { return leads_->CaptureLead(c, q, r); },
                          capture, &captured);
    if (!s.ok()) return s;
    const std::string lead = captured.lead().name();
    auto waiter = std::make_shared<Waiter>();
    {
      absl::MutexLock lock(&mu_);
      waiters_[lead] = waiter;
    }
    struct Forget {
      PipelineWorkload* w;
      std::string lead;
      ~Forget() {
        absl::MutexLock lock(&w->mu_);
        w->waiters_.erase(lead);
      }
    } forget{this, lead};

    mv1::QualifyLeadRequest qualify;
    qualify.set_name(lead);
    qualify.set_reason("benchmark");
    qualify.set_request_id(absl::StrCat("pipeline-qualify-", id));
    mv1::QualifyLeadResponse qualified;
    s = Call([&](grpc::ClientContext* c, const auto& q, auto* r) { return leads_->QualifyLead(c, q, r); }, qualify,
             &qualified);
    if (!s.ok()) return s;
    if (!waiter->created.WaitForNotificationWithTimeout(absl::Seconds(n < 0 ? 60 : 10))) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no opportunity in sales in time");
    }
    const std::string opp = waiter->opportunity;

    sv1::AcceptOpportunityRequest accept;
    accept.set_name(opp);
    accept.set_request_id(absl::StrCat("pipeline-accept-", id));
    sv1::AcceptOpportunityResponse accepted;
    s = Call([&](grpc::ClientContext* c, const auto& q, auto* r) { return deals_->AcceptOpportunity(c, q, r); },
             accept, &accepted);
    if (!s.ok()) return s;

    sv1::LogActivityRequest activity;
    activity.set_opportunity(opp);
    activity.mutable_activity()->set_type(sv1::ACTIVITY_TYPE_EMAIL);
    activity.mutable_activity()->set_summary("sent the proposal");
    activity.set_request_id(absl::StrCat("pipeline-email-", id));
    sv1::LogActivityResponse logged;
    s = Call([&](grpc::ClientContext* c, const auto& q, auto* r) { return deals_->LogActivity(c, q, r); }, activity,
             &logged);
    if (!s.ok()) return s;

    sv1::CloseWonRequest close;
    close.set_name(opp);
    close.mutable_amount()->set_amount_minor(250000);
    close.mutable_amount()->set_currency_code("EUR");
    close.set_request_id(absl::StrCat("pipeline-won-", id));
    sv1::CloseWonResponse closed;
    s = Call([&](grpc::ClientContext* c, const auto& q, auto* r) { return deals_->CloseWon(c, q, r); }, close, &closed);
    if (!s.ok()) return s;
    if (!waiter->won.WaitForNotificationWithTimeout(absl::Seconds(n < 0 ? 60 : 10))) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no WON outcome back in marketing in time");
    }
    return grpc::Status::OK;
  }

  std::unique_ptr<mv1::LeadService::Stub> leads_;
  std::unique_ptr<sv1::OpportunityService::Stub> deals_;
  std::unique_ptr<sv1::RepService::Stub> reps_;
  const int64_t run_ = absl::ToUnixMicros(absl::Now());
  std::atomic<int64_t> next_{0};
  grpc::ClientContext deal_ctx_;
  grpc::ClientContext lead_ctx_;
  std::thread deal_watcher_;
  std::thread lead_watcher_;
  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Done> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<Waiter>> waiters_ ABSL_GUARDED_BY(mu_);
};

// Latencies and outcomes of the measured calls.
class Recorder {
 public:
  void Add(absl::Duration latency, const grpc::Status& s) {
    absl::MutexLock lock(&mu_);
    if (s.ok()) {
      micros_.push_back(absl::ToInt64Microseconds(latency));
    } else {
      if (errors_ == 0) first_error_ = absl::StrCat(s.error_code(), " ", s.error_message());
      ++errors_;
    }
  }
  std::vector<int64_t> Sorted() {
    absl::MutexLock lock(&mu_);
    std::vector<int64_t> v = micros_;
    std::sort(v.begin(), v.end());
    return v;
  }
  int64_t errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }
  std::string first_error() {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int64_t> micros_ ABSL_GUARDED_BY(mu_);
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// Keeps `concurrency` calls in flight until the time or count is up.
void RunClosedLoop(Workload& w, Recorder& rec, int concurrency, absl::Time until, int64_t count) {
  std::atomic<int64_t> issued{0};
  std::atomic<int> active{concurrency};
  absl::Notification all_done;
  std::function<void()> next = [&] {
    if (absl::Now() >= until || (count > 0 && issued.fetch_add(1) >= count)) {
      if (active.fetch_sub(1) == 1) all_done.Notify();
      return;
    }
    const absl::Time t0 = absl::Now();
    w.Start([&, t0](const grpc::Status& s) {
      rec.Add(absl::Now() - t0, s);
      next();
    });
  };
  for (int i = 0; i < concurrency; ++i) next();
  all_done.WaitForNotification();
}

// Starts calls on a fixed schedule of `rate` per second; latency counts from the
// scheduled time. Calls beyond 20,000 outstanding are counted as errors, not sent.
void RunOpenLoop(Workload& w, Recorder& rec, double rate, absl::Time until, int64_t count) {
  std::atomic<int64_t> outstanding{0};
  const absl::Time start = absl::Now();
  for (int64_t i = 0;; ++i) {
    const absl::Time scheduled = start + absl::Seconds(static_cast<double>(i) / rate);
    if (scheduled >= until || (count > 0 && i >= count)) break;
    const absl::Duration wait = scheduled - absl::Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
    if (outstanding.load() >= 20000) {
      rec.Add(absl::ZeroDuration(), grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "client backlog full"));
      continue;
    }
    ++outstanding;
    w.Start([&, scheduled](const grpc::Status& s) {
      rec.Add(absl::Now() - scheduled, s);
      --outstanding;
    });
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (outstanding.load() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
}

long PeakRssKib(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[i]) / 1000.0;
}

// A channel to `target`, balancing round_robin over every address it names (an
// "ipv4:h:p1,h:p2" list of replicas); its own subchannels, so runs never share connections.
std::shared_ptr<grpc::Channel> Channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

int Main() {
  const std::string workload = absl::GetFlag(FLAGS_workload);
  auto channel = Channel(absl::GetFlag(FLAGS_target));
  std::unique_ptr<Workload> w;
  if (workload == "echo") {
    w = std::make_unique<EchoWorkload>(channel);
  } else if (workload == "capture") {
    w = std::make_unique<CaptureWorkload>(channel, absl::GetFlag(FLAGS_duplicate_ratio));
  } else if (workload == "get_lead" || workload == "list_leads" || workload == "touch") {
    const auto kind = workload == "get_lead"     ? LeadSetWorkload::Kind::kGet
                      : workload == "list_leads" ? LeadSetWorkload::Kind::kList
                                                 : LeadSetWorkload::Kind::kTouch;
    w = std::make_unique<LeadSetWorkload>(channel, kind, absl::GetFlag(FLAGS_sample), absl::GetFlag(FLAGS_setup_leads));
  } else if (workload == "campaign_report" || workload == "funnel" || workload == "pipeline_report") {
    const auto kind = workload == "campaign_report" ? ReportWorkload::Kind::kCampaign
                      : workload == "funnel"        ? ReportWorkload::Kind::kFunnel
                                                    : ReportWorkload::Kind::kPipeline;
    w = std::make_unique<ReportWorkload>(channel, kind);
  } else if (workload == "pipeline") {
    w = std::make_unique<PipelineWorkload>(
        channel, Channel(absl::GetFlag(FLAGS_sales_target)),
        absl::GetFlag(FLAGS_rate) > 0 ? 64 : absl::GetFlag(FLAGS_concurrency));
  } else if (workload == "handoff") {
    if (absl::GetFlag(FLAGS_rate) <= 0) {
      std::fprintf(stderr, "handoff-bench: --workload=handoff needs --rate (open loop)\n");
      return 2;
    }
    w = std::make_unique<HandoffWorkload>(
        channel, Channel(absl::GetFlag(FLAGS_sales_target)));
  } else {
    std::fprintf(stderr,
                 "handoff-bench: --workload=%s is not one of echo, capture, touch, get_lead, list_leads, handoff, "
                 "pipeline, campaign_report, funnel, pipeline_report\n",
                 workload.c_str());
    return 2;
  }
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "handoff-bench: cannot connect to %s\n", absl::GetFlag(FLAGS_target).c_str());
    return 1;
  }
  if (absl::Status s = w->Setup(); !s.ok()) {
    std::fprintf(stderr, "handoff-bench: %s\n", s.ToString().c_str());
    return 1;
  }
  if (const std::string cmd = absl::GetFlag(FLAGS_before_measure); !cmd.empty()) {
    if (const int rc = std::system(cmd.c_str()); rc != 0) {
      std::fprintf(stderr, "handoff-bench: --before_measure command failed (%d): %s\n", rc, cmd.c_str());
      return 1;
    }
  }
  Recorder rec;
  const double rate = absl::GetFlag(FLAGS_rate);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const int64_t count = absl::GetFlag(FLAGS_count);
  const absl::Time start = absl::Now();
  const absl::Time until = count > 0 ? absl::InfiniteFuture() : start + absl::GetFlag(FLAGS_duration);
  if (rate > 0) {
    RunOpenLoop(*w, rec, rate, until, count);
  } else {
    RunClosedLoop(*w, rec, concurrency, until, count);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  w.reset();  // stops any watcher before the recorder is read (and destroyed)
  const std::vector<int64_t> lat = rec.Sorted();
  const double throughput = static_cast<double>(lat.size()) / seconds;
  std::vector<std::string> rss_json;
  std::vector<std::string> rss_text;
  for (const std::string& pid : absl::GetFlag(FLAGS_rss_pids)) {
    const long kib = PeakRssKib(pid);
    rss_json.push_back(absl::StrCat("\"", pid, "\": ", kib));
    rss_text.push_back(absl::StrCat(kib / 1024, "MiB"));
  }
  const std::string label = absl::GetFlag(FLAGS_label).empty() ? workload : absl::GetFlag(FLAGS_label);
  const std::string mode = rate > 0 ? absl::StrCat("open ", rate, "/s") : absl::StrCat("closed x", concurrency);
  std::printf("%-22s %-16s calls=%-8zu errors=%-5lld %9.0f/s  p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f ms  peak-rss=%s\n",
              label.c_str(), mode.c_str(), lat.size(), static_cast<long long>(rec.errors()), throughput,
              Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99), Percentile(lat, 99.9),
              rss_text.empty() ? "-" : absl::StrJoin(rss_text, ",").c_str());
  if (rec.errors() > 0) std::fprintf(stderr, "handoff-bench: first error: %s\n", rec.first_error().c_str());
  if (const std::string out = absl::GetFlag(FLAGS_json_out); !out.empty()) {
    std::ofstream json(out, std::ios::app);
    json << absl::StrCat("{\"label\": \"", label, "\", \"workload\": \"", workload, "\", \"mode\": \"",
                         rate > 0 ? "open" : "closed", "\", \"concurrency\": ", concurrency, ", \"rate\": ", rate,
                         ", \"calls\": ", lat.size(), ", \"errors\": ", rec.errors(), ", \"seconds\": ", seconds,
                         ", \"throughput\": ", throughput, ", \"p50_ms\": ", Percentile(lat, 50),
                         ", \"p90_ms\": ", Percentile(lat, 90), ", \"p99_ms\": ", Percentile(lat, 99),
                         ", \"p999_ms\": ", Percentile(lat, 99.9), ", \"peak_rss_kib\": {",
                         absl::StrJoin(rss_json, ", "), "}}\n");
  }
  return 0;
}

}  // namespace
}  // namespace handoff::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Handoff load generator: one workload against a running server.");
  absl::ParseCommandLine(argc, argv);
  return handoff::bench::Main();
}
