// Defects found by trying both services as a new user would (issue 11), each checked
// through the real binaries: the wrong behaviour they had would fail these tests.
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;
using Clock = std::chrono::steady_clock;

// This test process is a client too: like the services' own channels (see
// PollIdleChannelsOften), it notices a server's GOAWAY on an idle connection within 100 ms
// rather than at gRPC's 5 s backup poll, which would otherwise hold the server's exit up.
const bool kPollIdleChannelsOften = [] {
  setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", 0);
  return true;
}();

class DefectsTest : public HandoffSystem {
 protected:
  // A lead with a campaign touch, handed off, accepted by its rep: ready to close.
  struct Deal {
    std::string lead;
    std::string campaign;
    sv1::Opportunity opportunity;
  };
  Deal AcceptedDeal(const std::string& email) {
    Deal d;
    CreateRep("rita", "", 100);
    d.campaign = CreateCampaign(100000).name();
    d.lead = CaptureEmail(email);
    mv1::RecordTouchResponse touched;
    EXPECT_TRUE(Touch(d.lead, d.campaign, mv1::TOUCH_TYPE_EVENT_ATTENDED, "t-" + email, &touched).ok());
    if (GetLead(d.lead).owner() == mv1::OWNER_MARKETING) Qualify(d.lead);
    std::vector<sv1::Opportunity> opps = AwaitOpportunities(d.lead);
    EXPECT_EQ(opps.size(), 1u);
    if (opps.empty()) return d;
    sv1::AcceptOpportunityRequest accept;
    accept.set_name(opps[0].name());
    accept.set_request_id(RequestId());
    sv1::AcceptOpportunityResponse accepted;
    EXPECT_TRUE(opportunities_->AcceptOpportunity(Ctx().get(), accept, &accepted).ok());
    d.opportunity = accepted.opportunity();
    EXPECT_TRUE(Eventually([&] { return GetLead(d.lead).owner() == mv1::OWNER_SALES; }));
    return d;
  }

  grpc::Status CloseWon(const std::string& opportunity, int64_t amount, sv1::CloseWonResponse* resp) {
    sv1::CloseWonRequest won;
    won.set_name(opportunity);
    won.mutable_amount()->set_amount_minor(amount);
    won.mutable_amount()->set_currency_code("EUR");
    won.set_request_id(RequestId());
    return opportunities_->CloseWon(Ctx().get(), won, resp);
  }

  int CampaignCount() {
    mv1::ListCampaignsResponse resp;
    EXPECT_TRUE(campaigns_->ListCampaigns(Ctx().get(), {}, &resp).ok());
    return resp.campaigns_size();
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus MarketingHealth() {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (!marketing_health_->Check(ctx.get(), req, &resp).ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    return resp.status();
  }

  // Sends raw bytes as the request of `method` on `port`; returns the status.
  static grpc::Status RawCall(int port, const std::string& method, const std::string& bytes) {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(&ctx, method, request, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    cq.Next(&tag, &ok);
    return status;
  }
};

// 1. A deal amount near INT64_MAX once looped marketing's attribution for ever inside its
// write transaction. Amounts are bounded, and the largest allowed one is attributed.
TEST_F(DefectsTest, HugeDealAmountsAreRefusedAndTheLargestAllowedOneIsAttributed) {
  const Deal d = AcceptedDeal("big.spender@example.com");
  ASSERT_FALSE(d.opportunity.name().empty());
  sv1::CloseWonResponse resp;
  for (int64_t bad : {std::numeric_limits<int64_t>::max(), int64_t{5'000'000'000'000'000'000},
                      int64_t{1'000'000'000'000'001}}) {
    const grpc::Status s = CloseWon(d.opportunity.name(), bad, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(s.error_message().find("amount.amount_minor"), std::string::npos) << s.error_message();
  }
  // Marketing refuses such an outcome from anyone, too.
  mv1::ReportOutcomeRequest outcome;
  outcome.set_lead(d.lead);
  outcome.set_opportunity(d.opportunity.name());
  outcome.set_outcome(mv1::OUTCOME_WON);
  outcome.mutable_amount()->set_amount_minor(std::numeric_limits<int64_t>::max());
  outcome.mutable_amount()->set_currency_code("EUR");
  outcome.set_request_id(RequestId());
  mv1::ReportOutcomeResponse reported;
  const grpc::Status refused = leads_->ReportOutcome(Ctx().get(), outcome, &reported);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_EQ(GetLead(d.lead).owner(), mv1::OWNER_SALES);  // nothing was written

  constexpr int64_t kMax = 1'000'000'000'000'000;
  ASSERT_TRUE(CloseWon(d.opportunity.name(), kMax, &resp).ok());
  ASSERT_TRUE(Eventually([&] { return GetLead(d.lead).lifecycle_stage() == mv1::LIFECYCLE_STAGE_CUSTOMER; }));
  EXPECT_EQ(GetLead(d.lead).won_revenue().amount_minor(), kMax);
  for (int model = 1; model <= 5; ++model) {
    mv1::GetCampaignPerformanceRequest req;
    req.set_campaign(d.campaign);
    req.set_model(static_cast<mv1::AttributionModel>(model));
    mv1::GetCampaignPerformanceResponse perf;
    const grpc::Status s = marketing_reports_->GetCampaignPerformance(Ctx().get(), req, &perf);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The writer is free: marketing still takes captures at once.
  EXPECT_FALSE(CaptureEmail("after.the.big.deal@example.com").empty());
}

// 2. Health used a read connection, so a wedged write path still said SERVING. Another
// process holding the database's write lock must turn health NOT_SERVING and make calls
// fail within the time bound, and both must recover when the lock goes.
class StuckWriterTest : public DefectsTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override { return {"--write_timeout=1s"}; }
};

TEST_F(StuckWriterTest, AnotherProcessHoldingTheWriteLockTurnsHealthNotServingUntilItLetsGo) {
  ASSERT_EQ(MarketingHealth(), grpc::health::v1::HealthCheckResponse::SERVING);
  const std::string db = dir_.path() + "/marketing.db";
  const std::string locked = dir_.path() + "/locked";
  const pid_t holder = fork();
  if (holder == 0) {
    const std::string script = "import sqlite3, time\n"
                               "c = sqlite3.connect('" + db + "', isolation_level=None)\n"
                               "c.execute('BEGIN IMMEDIATE')\n"
                               "open('" + locked + "', 'w').close()\n"
                               "time.sleep(60)\n";
    execl("/usr/bin/python3", "python3", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(locked); }, std::chrono::seconds(10)));
  // A write fails within the bound (plus the wait for the lock), with a retryable status.
  mv1::CaptureLeadRequest req;
  req.mutable_contact()->set_email("blocked@example.com");
  req.set_request_id(RequestId());
  mv1::CaptureLeadResponse resp;
  const auto start = Clock::now();
  const grpc::Status s = leads_->CaptureLead(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(3500));
  EXPECT_TRUE(Eventually([&] { return MarketingHealth() == grpc::health::v1::HealthCheckResponse::NOT_SERVING; },
                         std::chrono::seconds(10)));
  kill(holder, SIGKILL);
  int status = 0;
  waitpid(holder, &status, 0);
  EXPECT_TRUE(Eventually([&] { return MarketingHealth() == grpc::health::v1::HealthCheckResponse::SERVING; },
                         std::chrono::seconds(10)));
  const grpc::Status again = leads_->CaptureLead(Ctx().get(), req, &resp);
  EXPECT_TRUE(again.ok()) << again.error_message();
}

// 3. gRPC's default SO_REUSEPORT let a second instance bind the same port and answer
// half the calls from another database.
TEST_F(DefectsTest, ASecondInstanceOnABusyPortFailsToStartWithAClearMessage) {
  ServiceProcess second(HANDOFF_MARKETING_BINARY,
                        {"--listen=127.0.0.1:" + std::to_string(marketing_port_),
                         "--database=sqlite:" + dir_.path() + "/other.db", "--sales_address=127.0.0.1:1"},
                        dir_.path() + "/second.log");
  EXPECT_FALSE(second.Start());
  EXPECT_EQ(second.exit_code(), 1) << second.Log();
  EXPECT_NE(second.Log().find("address is in use"), std::string::npos) << second.Log();
}

// The stream timers have floors (a heartbeat or a poll of the event log more often would
// be load, not freshness): below them start-up stops naming the flag and its floor.
TEST_F(DefectsTest, WatchTimersBelowTheirFloorStopStartUp) {
  for (const auto& [flag, message] : std::vector<std::pair<std::string, std::string>>{
           {"--watch_poll=5ms", "--watch_poll=5ms must be at least 10ms"},
           {"--watch_heartbeat=500ms", "--watch_heartbeat=500ms must be at least 1s"}}) {
    ServiceProcess refused(HANDOFF_MARKETING_BINARY,
                           {"--listen=127.0.0.1:0", "--database=sqlite:" + dir_.path() + "/floors.db",
                            "--sales_address=127.0.0.1:1", flag},
                           dir_.path() + "/floors.log");
    EXPECT_FALSE(refused.Start()) << flag;
    EXPECT_EQ(refused.exit_code(), 1) << refused.Log();
    EXPECT_NE(refused.Log().find(message), std::string::npos) << refused.Log();
  }
}

// 4. A message that can never be delivered is parked once its retry budget is spent,
// with its lead as key, counted in /metrics, and sent again on request.
class RetryBudgetTest : public DefectsTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override {
    return {"--delivery_max_age=1s", "--metrics_listen=127.0.0.1:" + std::to_string(metrics_port_)};
  }
  std::vector<std::string> ExtraSalesFlags() const override { return {"--delivery_max_refusals=3"}; }

  // GET /metrics of marketing.
  std::string Metrics() const { return HttpGet(metrics_port_, "/metrics"); }

  // Waits until `delivery` lists exactly one parked message, into `parked`.
  bool AwaitOneParked(ops::v1::DeliveryService::Stub& delivery, ops::v1::ListParkedMessagesResponse* parked) {
    return Eventually([&] {
      parked->Clear();
      return delivery.ListParkedMessages(Ctx().get(), {}, parked).ok() && parked->messages_size() == 1;
    });
  }

  const int metrics_port_ = FreeLoopbackPort();
};

TEST_F(RetryBudgetTest, AHandoffPastItsAgeIsParkedUnderItsLeadAndRetriedOnRequest) {
  sales_->Stop();  // sales unreachable: transport failures, then the age budget runs out
  const std::string lead = CaptureEmail("parked@example.com");
  Qualify(lead);
  ops::v1::ListParkedMessagesResponse parked;
  ASSERT_TRUE(AwaitOneParked(*marketing_delivery_, &parked)) << marketing_->Log();
  EXPECT_EQ(parked.messages(0).key(), lead);
  EXPECT_EQ(parked.messages(0).topic(), "sales.HandoffLead");
  EXPECT_NE(parked.messages(0).last_error().find("undelivered after"), std::string::npos)
      << parked.messages(0).last_error();
  EXPECT_NE(marketing_->Log().find("parked"), std::string::npos);
  // Operators are told the peer is unreachable, by name and address, with the backlog.
  const std::string sales_at = "sales-service at 127.0.0.1:" + std::to_string(sales_port_);
  EXPECT_NE(marketing_->Log().find("WARN outbox: cannot reach " + sales_at + " (UNAVAILABLE"), std::string::npos)
      << marketing_->Log();
  EXPECT_NE(marketing_->Log().find("backlog: 1 pending"), std::string::npos) << marketing_->Log();
  EXPECT_NE(Metrics().find("handoff_outbox_parked_total 1"), std::string::npos) << Metrics();
  // The gauge is counted when /metrics is scraped (at most once a second).
  EXPECT_TRUE(Eventually([&] { return Metrics().find("handoff_outbox_parked 1") != std::string::npos; }))
      << Metrics();

  ASSERT_TRUE(sales_->Start()) << sales_->Log();
  ops::v1::RetryParkedMessagesRequest retry;
  retry.set_all(true);
  ops::v1::RetryParkedMessagesResponse retried;
  ASSERT_TRUE(marketing_delivery_->RetryParkedMessages(Ctx().get(), retry, &retried).ok());
  EXPECT_EQ(AwaitOpportunities(lead).size(), 1u);
  EXPECT_TRUE(Eventually([&] {
    return marketing_->Log().find("INFO outbox: " + sales_at + " reachable again after") != std::string::npos;
  })) << marketing_->Log();
}

TEST_F(RetryBudgetTest, AnOutcomeMarketingKeepsRefusingIsParkedAfterItsRefusalBudget) {
  // Sales holds a deal for a lead marketing never handed off (a caller of HandoffLead
  // that is not marketing): marketing refuses its ACCEPTED outcome for ever.
  CreateRep("rita", "", 100);
  const std::string lead = CaptureEmail("never.handed@example.com");
  sv1::HandoffLeadRequest handoff;
  handoff.set_lead(lead);
  handoff.mutable_contact()->set_email("never.handed@example.com");
  handoff.set_request_id(RequestId());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(sales_port_), grpc::InsecureChannelCredentials());
  auto handoffs = sv1::HandoffService::NewStub(channel);
  sv1::HandoffLeadResponse handed;
  ASSERT_TRUE(handoffs->HandoffLead(Ctx().get(), handoff, &handed).ok());
  sv1::AcceptOpportunityRequest accept;
  accept.set_name(handed.opportunity().name());
  accept.set_request_id(RequestId());
  sv1::AcceptOpportunityResponse accepted;
  ASSERT_TRUE(opportunities_->AcceptOpportunity(Ctx().get(), accept, &accepted).ok());
  ops::v1::ListParkedMessagesResponse parked;
  ASSERT_TRUE(AwaitOneParked(*sales_delivery_, &parked)) << sales_->Log();
  EXPECT_EQ(parked.messages(0).key(), lead);
  EXPECT_EQ(parked.messages(0).attempts(), 3);
  EXPECT_NE(parked.messages(0).last_error().find("refused 3 times"), std::string::npos)
      << parked.messages(0).last_error();
  EXPECT_NE(parked.messages(0).last_error().find("FAILED_PRECONDITION"), std::string::npos);
}

// A server sends GOAWAY once a connection is --max_connection_age old, so clients
// reconnect (and re-resolve, reaching replicas added since); one without it keeps the
// connection.
class MaxConnectionAgeTest : public DefectsTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override { return {"--max_connection_age=1s"}; }
};

TEST_F(MaxConnectionAgeTest, AnOldConnectionIsClosedAndTheClientReconnects) {
  // Channels of their own (no shared subchannels), idle after one call.
  const auto open = [](int port) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args);
  };
  auto aged = open(marketing_port_);
  auto kept = open(sales_port_);
  mv1::ListCampaignsResponse campaigns;
  ASSERT_TRUE(mv1::CampaignService::NewStub(aged)->ListCampaigns(Ctx().get(), {}, &campaigns).ok());
  sv1::ListRepsResponse reps;
  ASSERT_TRUE(sv1::RepService::NewStub(kept)->ListReps(Ctx().get(), {}, &reps).ok());
  ASSERT_EQ(aged->GetState(false), GRPC_CHANNEL_READY);
  ASSERT_EQ(kept->GetState(false), GRPC_CHANNEL_READY);
  // Marketing ends its connection after about a second (+-10 %, plus the grace for calls in
  // flight); sales, at the default of 5 minutes, keeps it.
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(4);
  EXPECT_TRUE(aged->WaitForStateChange(GRPC_CHANNEL_READY, deadline)) << "marketing kept a 4 s old connection";
  EXPECT_FALSE(kept->WaitForStateChange(GRPC_CHANNEL_READY, deadline)) << "sales closed a young connection";
  // The client simply connects again.
  EXPECT_TRUE(mv1::CampaignService::NewStub(aged)->ListCampaigns(Ctx().get(), {}, &campaigns).ok());
}

// 5. Erased people could be qualified, re-consented and e-mailed again.
TEST_F(DefectsTest, AnErasedLeadTakesNoQualificationConsentOrTouches) {
  const std::string campaign = CreateCampaign(1000).name();
  mv1::CaptureLeadRequest capture;
  capture.mutable_contact()->set_email("forget.me@example.com");
  capture.mutable_consent()->set_email(true);
  capture.set_request_id(RequestId());
  const std::string lead = Capture(capture);
  EXPECT_FALSE(GetLead(lead).has_erase_time());  // unset until erased
  mv1::EraseContactRequest erase;
  erase.set_lead(lead);
  erase.set_request_id(RequestId());
  mv1::EraseContactResponse erased;
  ASSERT_TRUE(leads_->EraseContact(Ctx().get(), erase, &erased).ok());
  const mv1::Lead before = GetLead(lead);
  ASSERT_TRUE(before.erased());
  EXPECT_TRUE(before.has_erase_time());

  mv1::QualifyLeadRequest qualify;
  qualify.set_name(lead);
  qualify.set_request_id(RequestId());
  mv1::QualifyLeadResponse qualified;
  EXPECT_EQ(leads_->QualifyLead(Ctx().get(), qualify, &qualified).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  mv1::UpdateConsentRequest consent;
  consent.set_lead(lead);
  consent.mutable_consent()->set_email(true);
  consent.set_request_id(RequestId());
  mv1::UpdateConsentResponse consented;
  const grpc::Status c = leads_->UpdateConsent(Ctx().get(), consent, &consented);
  EXPECT_EQ(c.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(c.error_message().find("erased"), std::string::npos) << c.error_message();
  for (mv1::TouchType type : {mv1::TOUCH_TYPE_EMAIL_SENT, mv1::TOUCH_TYPE_EVENT_ATTENDED}) {
    mv1::RecordTouchResponse touched;
    EXPECT_EQ(Touch(lead, campaign, type, "erased-" + std::to_string(type), &touched).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  const mv1::Lead after = GetLead(lead);
  EXPECT_EQ(after.lifecycle_stage(), before.lifecycle_stage());
  EXPECT_EQ(after.owner(), mv1::OWNER_MARKETING);
  EXPECT_EQ(after.touch_count(), before.touch_count());
  EXPECT_TRUE(after.consent().do_not_contact());
  EXPECT_TRUE(OpportunitiesOf(lead).empty());
}

// 6. Inputs that were stored although they are invalid; each is refused and writes nothing.
TEST_F(DefectsTest, OutOfRangeTimesBadCurrenciesBlankTextAndBadAddressesAreRefused) {
  const int campaigns_before = CampaignCount();
  auto create = [&](auto change) {
    mv1::CreateCampaignRequest req;
    req.mutable_campaign()->set_display_name("Valid name");
    req.mutable_campaign()->set_channel(mv1::CHANNEL_WEBINAR);
    req.mutable_campaign()->mutable_budget()->set_amount_minor(100);
    req.mutable_campaign()->mutable_budget()->set_currency_code("EUR");
    req.set_request_id(RequestId());
    change(req);
    mv1::CreateCampaignResponse resp;
    return campaigns_->CreateCampaign(Ctx().get(), req, &resp);
  };
  struct Case {
    const char* field;
    std::function<void(mv1::CreateCampaignRequest&)> change;
  };
  const std::vector<Case> cases = {
      {"campaign.start_time", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->mutable_start_time()->set_seconds(253402300800); }},
      {"campaign.end_time", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->mutable_end_time()->set_seconds(-62135596801); }},
      {"campaign.start_time", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->mutable_start_time()->set_nanos(-1); }},
      {"campaign.start_time", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->mutable_start_time()->set_nanos(1000000000); }},
      {"campaign.budget.currency_code", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->mutable_budget()->set_currency_code("QQQ"); }},
      {"campaign.display_name", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->set_display_name("   "); }},
      {"campaign.budget.amount_minor", [](mv1::CreateCampaignRequest& r) { r.mutable_campaign()->mutable_budget()->set_amount_minor(int64_t{1} << 62); }},
  };
  for (const Case& c : cases) {
    const grpc::Status s = create(c.change);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_NE(s.error_message().find(c.field), std::string::npos) << c.field << ": " << s.error_message();
  }
  EXPECT_EQ(CampaignCount(), campaigns_before);

  // A blank over-budget reason is no reason.
  const std::string campaign = CreateCampaign(100).name();
  mv1::RecordSpendRequest spend;
  spend.set_campaign(campaign);
  spend.mutable_amount()->set_amount_minor(500);
  spend.mutable_amount()->set_currency_code("EUR");
  spend.set_allow_over_budget(true);
  spend.set_over_budget_reason("   ");
  spend.set_request_id(RequestId());
  mv1::RecordSpendResponse spent;
  const grpc::Status blank = campaigns_->RecordSpend(Ctx().get(), spend, &spent);
  EXPECT_EQ(blank.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(blank.error_message().find("over_budget_reason"), std::string::npos);

  // Captures: a time outside the Timestamp range, malformed e-mails.
  mv1::ListLeadsResponse none;
  for (const std::string email : {"a@example..com", "a@-example.com", "a@example.com"}) {
    mv1::CaptureLeadRequest capture;
    capture.mutable_contact()->set_email(email);
    if (email == "a@example.com") capture.mutable_capture_time()->set_seconds(253402300800);
    capture.set_request_id(RequestId());
    mv1::CaptureLeadResponse resp;
    const grpc::Status s = leads_->CaptureLead(Ctx().get(), capture, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << email;
  }
  ASSERT_TRUE(leads_->ListLeads(Ctx().get(), {}, &none).ok());
  EXPECT_EQ(none.leads_size(), 0);

  // Sales: HandoffLead with a malformed e-mail, a lead filter not of the form leads/{id}.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(sales_port_), grpc::InsecureChannelCredentials());
  auto handoffs = sv1::HandoffService::NewStub(channel);
  sv1::HandoffLeadRequest handoff;
  handoff.set_lead("leads/abc123");
  handoff.mutable_contact()->set_email("a@example..com");
  handoff.set_request_id(RequestId());
  sv1::HandoffLeadResponse handed;
  const grpc::Status h = handoffs->HandoffLead(Ctx().get(), handoff, &handed);
  EXPECT_EQ(h.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(h.error_message().find("contact.email"), std::string::npos) << h.error_message();
  EXPECT_TRUE(OpportunitiesOf("leads/abc123").empty());
  sv1::ListOpportunitiesRequest by_lead;
  by_lead.set_lead("x");
  sv1::ListOpportunitiesResponse listed;
  EXPECT_EQ(opportunities_->ListOpportunities(Ctx().get(), by_lead, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(DefectsTest, CloseTimesBeforeTheDealOrInTheFutureAreRefused) {
  const Deal d = AcceptedDeal("timely@example.com");
  ASSERT_FALSE(d.opportunity.name().empty());
  for (int64_t seconds : {d.opportunity.create_time().seconds() - 3600,
                          static_cast<int64_t>(std::time(nullptr)) + 24 * 3600}) {
    sv1::CloseWonRequest won;
    won.set_name(d.opportunity.name());
    won.mutable_amount()->set_amount_minor(100);
    won.mutable_amount()->set_currency_code("EUR");
    won.mutable_close_time()->set_seconds(seconds);
    won.set_request_id(RequestId());
    sv1::CloseWonResponse resp;
    const grpc::Status s = opportunities_->CloseWon(Ctx().get(), won, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << seconds;
    EXPECT_NE(s.error_message().find("close_time"), std::string::npos) << s.error_message();
  }
  EXPECT_EQ(OpportunitiesOf(d.lead).at(0).stage(), sv1::STAGE_NEW);
}

// 7. A 1 MB e-mail was echoed whole; default clients then reported RESOURCE_EXHAUSTED.
TEST_F(DefectsTest, AHugeBadValueGetsAShortInvalidArgument) {
  mv1::CaptureLeadRequest capture;
  capture.mutable_contact()->set_email(std::string(1'000'000, 'a') + "@");
  capture.set_request_id(RequestId());
  mv1::CaptureLeadResponse resp;
  const grpc::Status s = leads_->CaptureLead(Ctx().get(), capture, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(s.error_message().size(), 300u);
  EXPECT_NE(s.error_message().find("contact.email"), std::string::npos);
}

// 8. Unparsable requests were answered UNIMPLEMENTED with no message.
TEST_F(DefectsTest, UnparsableRequestsAreInvalidArgumentSayingSo) {
  // A string field holding invalid UTF-8, and a length that runs past the end.
  auto bad_utf8 = [](int field) { return std::string(1, static_cast<char>(field << 3 | 2)) + "\x03\xff\xfe\xfd"; };
  auto truncated = [](int field) { return std::string(1, static_cast<char>(field << 3 | 2)) + "\x10" "ab"; };
  struct Method {
    int port;
    std::string name;
    int string_field;  // a string field of its request
  };
  for (const Method& m : {Method{marketing_port_, "/handoff.marketing.v1.LeadService/GetLead", 1},
                          Method{marketing_port_, "/handoff.marketing.v1.CampaignService/RecordSpend", 1},
                          Method{sales_port_, "/handoff.sales.v1.OpportunityService/GetOpportunity", 1},
                          Method{sales_port_, "/handoff.ops.v1.DeliveryService/ListParkedMessages", 2}}) {
    for (const std::string& bytes : {bad_utf8(m.string_field), truncated(m.string_field)}) {
      const grpc::Status s = RawCall(m.port, m.name, bytes);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << m.name;
      EXPECT_NE(s.error_message().find("could not be parsed"), std::string::npos) << m.name << ": " << s.error_message();
    }
  }
  EXPECT_EQ(CampaignCount(), 0);
}

// An ImportLeads row that cannot be parsed ended the import with OK and nothing counted.
TEST_F(DefectsTest, AnUnparsableImportRowIsRejectedAndTheRowsAfterItAreImported) {
  auto row = [](const std::string& email) {
    mv1::ImportLeadsRequest r;
    r.mutable_row()->mutable_contact()->set_email(email);
    return r.SerializeAsString();
  };
  const std::vector<std::string> rows = {row("first@example.com"), std::string("\x0a\x03\xff\xfe\xfd", 5),
                                         row("third@example.com")};
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(marketing_port_), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto await = [&] {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok;
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&ctx, "/handoff.marketing.v1.LeadService/ImportLeads", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(await());
  for (const std::string& bytes : rows) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    ASSERT_TRUE(await());
  }
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(await());
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  ASSERT_TRUE(await());
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  await();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  mv1::ImportLeadsResponse resp;
  ASSERT_TRUE(resp.ParseFromString(bytes));
  EXPECT_EQ(resp.created_count(), 2);
  EXPECT_EQ(resp.rejected_count(), 1);
  ASSERT_EQ(resp.rejections_size(), 1);
  EXPECT_EQ(resp.rejections(0).row(), 1);
  EXPECT_NE(resp.rejections(0).error().find("could not be parsed"), std::string::npos) << resp.rejections(0).error();
}

// 9. Page tokens were accepted by any list and with other filters.
TEST_F(DefectsTest, APageTokenWorksOnlyForItsListAndFilters) {
  for (int i = 0; i < 3; ++i) CaptureEmail("page" + std::to_string(i) + "@example.com");
  mv1::ListLeadsRequest first;
  first.set_page_size(1);
  first.set_owner(mv1::OWNER_MARKETING);
  mv1::ListLeadsResponse page;
  ASSERT_TRUE(leads_->ListLeads(Ctx().get(), first, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  const std::string token = page.next_page_token();

  mv1::ListLeadsRequest same = first;
  same.set_page_token(token);
  same.set_page_size(5);  // the page size may change
  mv1::ListLeadsResponse rest;
  ASSERT_TRUE(leads_->ListLeads(Ctx().get(), same, &rest).ok());
  EXPECT_EQ(rest.leads_size(), 2);

  mv1::ListLeadsRequest other_filter = same;
  other_filter.set_owner(mv1::OWNER_SALES);
  EXPECT_EQ(leads_->ListLeads(Ctx().get(), other_filter, &rest).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  mv1::ListCampaignsRequest campaigns;
  campaigns.set_page_token(token);
  mv1::ListCampaignsResponse listed;
  EXPECT_EQ(campaigns_->ListCampaigns(Ctx().get(), campaigns, &listed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  sv1::ListRepsRequest reps;
  reps.set_page_token(token);
  sv1::ListRepsResponse rep_list;
  EXPECT_EQ(reps_->ListReps(Ctx().get(), reps, &rep_list).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// 10. --help printed "No flags matched"; --version named Abseil's build, not ours.
TEST(ServiceBinaries, HelpListsTheirOwnFlagsAndVersionNamesTheBuild) {
  for (const std::string binary : {HANDOFF_MARKETING_BINARY, HANDOFF_SALES_BINARY}) {
    auto run = [&](const std::string& flag) {
      std::string out;
      FILE* p = popen((binary + " " + flag + " 2>&1").c_str(), "r");
      std::array<char, 4096> buf;
      for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
      pclose(p);
      return out;
    };
    const std::string help = run("--help");
    EXPECT_EQ(help.find("No flags matched"), std::string::npos) << help;
    for (const char* flag : {"--listen", "--database", "--write_timeout", "--database_pool_size", "--database_password_file", "--delivery_max_refusals", "default:"}) {
      EXPECT_NE(help.find(flag), std::string::npos) << binary << " --help lacks " << flag;
    }
    const std::string version = run("--version");
    EXPECT_NE(version.find("-service 1.0.0 ("), std::string::npos) << version;
    EXPECT_EQ(version.find("NDEBUG"), std::string::npos) << version;
  }
}

// 11. SIGTERM waited out the grace period while a Watch stream was open.
TEST_F(DefectsTest, SigtermEndsWatchStreamsAtOnceWithUnavailable) {
  CaptureEmail("watched@example.com");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  mv1::WatchLeadEventsRequest req;
  auto watcher = mv1::LeadService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(marketing_port_), grpc::InsecureChannelCredentials()));
  std::unique_ptr<grpc::ClientReader<mv1::WatchLeadEventsResponse>> stream = watcher->WatchLeadEvents(&ctx, req);
  mv1::WatchLeadEventsResponse event;
  ASSERT_TRUE(stream->Read(&event));  // the stream is open and delivering
  // Keep reading, as a subscriber does (a sync client's channel is polled only while it
  // is in a call, so an idle one would learn of the end only from gRPC's 5 s backup poll).
  std::thread reader([&] {
    while (stream->Read(&event)) {
    }
  });
  const auto start = Clock::now();
  EXPECT_EQ(marketing_->Stop(), 0);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  reader.join();
  const grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(s.error_message().find("shutting down"), std::string::npos) << s.error_message();
}

TEST_F(DefectsTest, SigtermWithConnectedPeersExitsWellUnderASecond) {
  const Deal d = AcceptedDeal("both.ways@example.com");  // each service has called the other
  ASSERT_FALSE(d.opportunity.name().empty());
  for (ServiceProcess* service : {sales_.get(), marketing_.get()}) {
    const auto start = Clock::now();
    EXPECT_EQ(service->Stop(), 0);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  }
}

class DrainTest : public DefectsTest {
 protected:
  std::vector<std::string> ExtraMarketingFlags() const override { return {"--shutdown_drain=2s"}; }
};

TEST_F(DrainTest, DuringTheDrainHealthIsNotServingAndCallsAreStillAnswered) {
  const std::string lead = CaptureEmail("drained@example.com");
  const auto start = Clock::now();
  ASSERT_EQ(kill(marketing_->pid(), SIGTERM), 0);
  EXPECT_TRUE(Eventually([&] { return MarketingHealth() == grpc::health::v1::HealthCheckResponse::NOT_SERVING; },
                         std::chrono::seconds(2)));
  mv1::GetLeadRequest get;
  get.set_name(lead);
  mv1::GetLeadResponse got;
  EXPECT_TRUE(leads_->GetLead(Ctx().get(), get, &got).ok());  // still serving
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(marketing_->Stop(), 0);  // exits once the drain is over
  EXPECT_GE(Clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace handoff::testing
