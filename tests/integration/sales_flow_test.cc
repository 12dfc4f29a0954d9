// Sales through the real binaries: marketing hands off -> sales assigns fairly across reps
// (territory first) -> accept / reject -> activities under consent -> stages, forecast
// fields, close won / lost, reopen, upsell -> outcomes back in marketing -> pipeline and
// forecast reports overall and by rep, checked against figures worked out by hand. And
// the service levels: breach events, reassignment, waiting handoffs picked up.
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;
using google::protobuf::util::TimeUtil;

class SalesFlowTest : public HandoffSystem {
 protected:
  // Custom probabilities, so the weighted figures prove the flag is used.
  std::vector<std::string> ExtraSalesFlags() const override {
    return {"--stage_probabilities=5,15,30,50,75,100,0"};
  }

  // A lead captured with e-mail consent only and handed to sales; returns its opportunity.
  sv1::Opportunity HandOff(const std::string& email, const std::string& country = "") {
    mv1::CaptureLeadRequest req;
    req.mutable_contact()->set_email(email);
    req.mutable_contact()->set_country_code(country);
    req.mutable_consent()->set_email(true);
    req.set_request_id(RequestId());
    const std::string lead = Capture(req);
    Qualify(lead);
    const std::vector<sv1::Opportunity> opps = AwaitOpportunities(lead);
    EXPECT_EQ(opps.size(), 1u) << lead;
    return opps.empty() ? sv1::Opportunity() : opps[0];
  }

  sv1::Opportunity Get(const std::string& name) {
    sv1::GetOpportunityRequest req;
    req.set_name(name);
    sv1::GetOpportunityResponse resp;
    EXPECT_TRUE(opportunities_->GetOpportunity(Ctx().get(), req, &resp).ok());
    return resp.opportunity();
  }

  sv1::Opportunity Accept(const std::string& name) {
    sv1::AcceptOpportunityRequest req;
    req.set_name(name);
    req.set_request_id(RequestId());
    sv1::AcceptOpportunityResponse resp;
    const grpc::Status s = opportunities_->AcceptOpportunity(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.opportunity();
  }

  grpc::Status Log(const std::string& name, sv1::ActivityType type) {
    sv1::LogActivityRequest req;
    req.set_opportunity(name);
    req.mutable_activity()->set_type(type);
    if (type == sv1::ACTIVITY_TYPE_CALL) req.mutable_activity()->set_call_outcome(sv1::CALL_OUTCOME_CONNECTED);
    if (type == sv1::ACTIVITY_TYPE_MEETING) req.mutable_activity()->set_meeting_status(sv1::MEETING_STATUS_HELD);
    req.mutable_activity()->set_summary("talked budget");
    req.mutable_activity()->set_next_step("send proposal");
    *req.mutable_activity()->mutable_next_step_due_time() = TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(48);
    req.set_request_id(RequestId());
    sv1::LogActivityResponse resp;
    return opportunities_->LogActivity(Ctx().get(), req, &resp);
  }

  sv1::Opportunity Advance(const std::string& name, sv1::Stage stage, int64_t amount_minor) {
    sv1::AdvanceStageRequest req;
    req.set_name(name);
    req.set_stage(stage);
    req.mutable_amount()->set_amount_minor(amount_minor);
    req.mutable_amount()->set_currency_code("EUR");
    req.set_request_id(RequestId());
    sv1::AdvanceStageResponse resp;
    const grpc::Status s = opportunities_->AdvanceStage(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.opportunity();
  }

  // Sets the expected close in `days` days and the commitment.
  grpc::Status Plan(const std::string& name, int days, bool committed, const std::string& etag,
                    sv1::Opportunity* out) {
    sv1::UpdateOpportunityRequest req;
    req.mutable_opportunity()->set_name(name);
    *req.mutable_opportunity()->mutable_expected_close_time() =
        TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(24 * days);
    req.mutable_opportunity()->set_committed(committed);
    req.mutable_update_mask()->add_paths("expected_close_time");
    req.mutable_update_mask()->add_paths("committed");
    req.set_etag(etag);
    req.set_request_id(RequestId());
    sv1::UpdateOpportunityResponse resp;
    const grpc::Status s = opportunities_->UpdateOpportunity(Ctx().get(), req, &resp);
    *out = resp.opportunity();
    return s;
  }

  sv1::Opportunity Won(const std::string& name, int64_t amount_minor) {
    sv1::CloseWonRequest req;
    req.set_name(name);
    req.mutable_amount()->set_amount_minor(amount_minor);
    req.mutable_amount()->set_currency_code("EUR");
    req.set_request_id(RequestId());
    sv1::CloseWonResponse resp;
    const grpc::Status s = opportunities_->CloseWon(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.opportunity();
  }

  sv1::Opportunity Lost(const std::string& name, sv1::LossReason reason, const std::string& competitor) {
    sv1::CloseLostRequest req;
    req.set_name(name);
    req.set_reason(reason);
    req.set_competitor(competitor);
    req.set_request_id(RequestId());
    sv1::CloseLostResponse resp;
    const grpc::Status s = opportunities_->CloseLost(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.opportunity();
  }

  std::vector<sv1::TimelineEntry> Timeline(const std::string& name) {
    std::vector<sv1::TimelineEntry> all;
    sv1::ListTimelineRequest req;
    req.set_name(name);
    req.set_page_size(3);
    for (int page = 0; page < 20; ++page) {
      sv1::ListTimelineResponse resp;
      const grpc::Status s = opportunities_->ListTimeline(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      all.insert(all.end(), resp.entries().begin(), resp.entries().end());
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return all;
  }

  mv1::LifecycleStage StageOf(const std::string& lead) { return GetLead(lead).lifecycle_stage(); }
};

TEST_F(SalesFlowTest, MarketingHandsOffSalesAssignsWorksClosesAndTheFiguresAddUp) {
  const sv1::Rep anna = CreateRep("anna", "DE", 10);
  const sv1::Rep bob = CreateRep("bob", "", 10);
  const sv1::Rep cleo = CreateRep("cleo", "", 10);

  // Territory first: a German lead goes to anna.
  const sv1::Opportunity a = HandOff("a@example.de", "DE");
  EXPECT_EQ(a.rep(), anna.name());
  EXPECT_EQ(a.acceptance(), sv1::ACCEPTANCE_PENDING);
  EXPECT_TRUE(a.has_accept_due_time());
  // The rep starts informed: what marketing knew, including a summary of the touches.
  EXPECT_EQ(a.marketing_context().touch_count(), 1);  // the capture
  ASSERT_EQ(a.marketing_context().touches_by_type_size(), 1);
  EXPECT_EQ(a.marketing_context().touches_by_type(0).count(), 1);
  EXPECT_EQ(a.marketing_context().touches_by_type(0).touch_type().rfind("TOUCH_TYPE_", 0), 0u);
  EXPECT_TRUE(a.marketing_context().has_first_touch_time());
  EXPECT_EQ(a.marketing_context().first_touch_time(), a.marketing_context().last_touch_time());
  EXPECT_EQ(a.contact().email(), "a@example.de");
  // Then fair rotation: six more leads, two each, whoever was created first.
  std::vector<sv1::Opportunity> opps;
  std::map<std::string, int> per_rep;
  for (int i = 0; i < 6; ++i) {
    opps.push_back(HandOff("p" + std::to_string(i) + "@example.org"));
    ++per_rep[opps.back().rep()];
  }
  EXPECT_EQ(per_rep[anna.name()], 2);
  EXPECT_EQ(per_rep[bob.name()], 2);
  EXPECT_EQ(per_rep[cleo.name()], 2);
  const sv1::Opportunity& b = opps[0];
  const sv1::Opportunity& c = opps[1];
  const sv1::Opportunity& d = opps[2];
  const sv1::Opportunity& e = opps[3];
  const sv1::Opportunity& r = opps[4];
  const sv1::Opportunity& pending = opps[5];

  // Reject one: marketing gets it back for nurture.
  {
    sv1::RejectOpportunityRequest req;
    req.set_name(r.name());
    req.set_reason(sv1::REJECT_REASON_BAD_TIMING);
    req.set_request_id(RequestId());
    sv1::RejectOpportunityResponse resp;
    ASSERT_TRUE(opportunities_->RejectOpportunity(Ctx().get(), req, &resp).ok());
  }
  for (const sv1::Opportunity* o : {&a, &b, &c, &d, &e}) {
    const sv1::Opportunity accepted = Accept(o->name());
    EXPECT_TRUE(accepted.has_first_touch_due_time());
  }

  // Engagement under consent: e-mail yes, phone no, a meeting yes.
  ASSERT_TRUE(Log(a.name(), sv1::ACTIVITY_TYPE_EMAIL).ok());
  const grpc::Status call = Log(a.name(), sv1::ACTIVITY_TYPE_CALL);
  EXPECT_EQ(call.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(call.error_message().find("consent.phone"), std::string::npos);
  ASSERT_TRUE(Log(a.name(), sv1::ACTIVITY_TYPE_MEETING).ok());
  const sv1::Opportunity touched = Get(a.name());
  EXPECT_TRUE(touched.has_first_touch_time());
  EXPECT_FALSE(touched.has_first_touch_due_time());

  // Pipeline: d at PROPOSAL 2000 committed, b at NEGOTIATION 4000 not committed, both
  // expected within the month; a won 10000; e lost; c lost, reopened, then won 3000.
  Advance(a.name(), sv1::STAGE_PROPOSAL, 10000);
  Won(a.name(), 10000);
  sv1::Opportunity planned;
  const sv1::Opportunity d_at_proposal = Advance(d.name(), sv1::STAGE_PROPOSAL, 2000);
  ASSERT_TRUE(Plan(d.name(), 10, true, d_at_proposal.etag(), &planned).ok());
  EXPECT_TRUE(planned.committed());
  // A second writer holding the old etag is refused and changes nothing.
  EXPECT_EQ(Plan(d.name(), 40, false, d_at_proposal.etag(), &planned).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_TRUE(Get(d.name()).committed());
  Advance(b.name(), sv1::STAGE_NEGOTIATION, 4000);
  ASSERT_TRUE(Plan(b.name(), 5, false, "", &planned).ok());
  Lost(e.name(), sv1::LOSS_REASON_NO_DECISION, "");
  Advance(c.name(), sv1::STAGE_QUALIFIED, 3000);
  const sv1::Opportunity c_lost = Lost(c.name(), sv1::LOSS_REASON_COMPETITOR, "Acme");
  EXPECT_EQ(c_lost.competitor(), "Acme");
  ASSERT_TRUE(Eventually([&] { return StageOf(c.lead()) == mv1::LIFECYCLE_STAGE_RECYCLED; }));
  {
    sv1::ReopenOpportunityRequest req;
    req.set_name(c.name());
    req.set_stage(sv1::STAGE_QUALIFIED);
    req.set_reason_text("budget approved after all");
    req.set_request_id(RequestId());
    sv1::ReopenOpportunityResponse resp;
    const grpc::Status s = opportunities_->ReopenOpportunity(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.opportunity().stage(), sv1::STAGE_QUALIFIED);
    EXPECT_EQ(resp.opportunity().reopen_count(), 1);
    EXPECT_FALSE(resp.opportunity().has_close_time());
    // Without an explicit reopen a closed deal does not move.
    sv1::AdvanceStageRequest adv;
    adv.set_name(e.name());
    adv.set_stage(sv1::STAGE_NEGOTIATION);
    adv.set_request_id(RequestId());
    sv1::AdvanceStageResponse adv_resp;
    EXPECT_EQ(opportunities_->AdvanceStage(Ctx().get(), adv, &adv_resp).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  // Marketing hears of the reopen: the lead is sales' again, and qualified.
  ASSERT_TRUE(Eventually([&] { return StageOf(c.lead()) == mv1::LIFECYCLE_STAGE_SALES_QUALIFIED; }));
  EXPECT_EQ(GetLead(c.lead()).owner(), mv1::OWNER_SALES);
  Won(c.name(), 3000);

  // The outcomes are back in marketing.
  ASSERT_TRUE(Eventually([&] { return StageOf(c.lead()) == mv1::LIFECYCLE_STAGE_CUSTOMER; }));
  ASSERT_TRUE(Eventually([&] { return StageOf(a.lead()) == mv1::LIFECYCLE_STAGE_CUSTOMER; }));
  EXPECT_EQ(StageOf(r.lead()), mv1::LIFECYCLE_STAGE_RECYCLED);
  ASSERT_TRUE(Eventually([&] { return StageOf(e.lead()) == mv1::LIFECYCLE_STAGE_RECYCLED; }));
  EXPECT_EQ(GetLead(e.lead()).last_outcome(), mv1::OUTCOME_LOST);

  // The timeline of c: every stage with the reason of the close and the reopen.
  std::vector<std::pair<sv1::Stage, std::string>> moves;
  int assignments = 0;
  for (const sv1::TimelineEntry& t : Timeline(c.name())) {
    if (t.has_stage_change()) moves.emplace_back(t.stage_change().to_stage(), t.stage_change().reason());
    if (t.has_assignment()) ++assignments;
  }
  const std::vector<std::pair<sv1::Stage, std::string>> expected_moves = {
      {sv1::STAGE_NEW, "handed off by marketing"},
      {sv1::STAGE_QUALIFIED, ""},
      {sv1::STAGE_CLOSED_LOST, "lost: competitor (Acme)"},
      {sv1::STAGE_QUALIFIED, "reopened: budget approved after all"},
      {sv1::STAGE_CLOSED_WON, "won"}};
  EXPECT_EQ(moves, expected_moves);
  EXPECT_EQ(assignments, 1);
  // a's timeline holds its two activities among the stages.
  int activities = 0;
  for (const sv1::TimelineEntry& t : Timeline(a.name())) activities += t.has_activity() ? 1 : 0;
  EXPECT_EQ(activities, 2);

  // Reassignment by hand, kept in the history.
  const std::string other = pending.rep() == cleo.name() ? bob.name() : cleo.name();
  {
    sv1::AssignOpportunityRequest req;
    req.set_name(pending.name());
    req.set_rep(other);
    req.set_request_id(RequestId());
    sv1::AssignOpportunityResponse resp;
    ASSERT_TRUE(opportunities_->AssignOpportunity(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.opportunity().rep(), other);
  }
  std::vector<std::string> reps_in_history;
  for (const sv1::TimelineEntry& t : Timeline(pending.name())) {
    if (t.has_assignment()) reps_in_history.push_back(t.assignment().rep());
  }
  EXPECT_EQ(reps_in_history, std::vector<std::string>({pending.rep(), other}));

  // Upsell on a won customer: new, accepted, same rep, linked.
  {
    sv1::CreateUpsellRequest req;
    req.set_opportunity(a.name());
    req.set_request_id(RequestId());
    sv1::CreateUpsellResponse resp;
    ASSERT_TRUE(opportunities_->CreateUpsell(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.opportunity().kind(), sv1::OPPORTUNITY_KIND_UPSELL);
    EXPECT_EQ(resp.opportunity().parent_opportunity(), a.name());
    EXPECT_EQ(resp.opportunity().rep(), anna.name());
  }

  // Pipeline, by hand (probabilities 5/15/30/50/75/100/0):
  //   NEW: pending + the upsell = 2, no amounts; PROPOSAL: d 2000 -> 1000;
  //   NEGOTIATION: b 4000 -> 3000; WON: a 10000 + c 3000; LOST: e; r rejected, left out.
  //   Win rate 2 / 3 = 6666 bp; average deal 13000 / 2 = 6500.
  sv1::GetPipelineReportRequest pipe_req;
  pipe_req.set_currency_code("EUR");
  sv1::GetPipelineReportResponse pipe;
  ASSERT_TRUE(pipeline_->GetPipelineReport(Ctx().get(), pipe_req, &pipe).ok());
  const sv1::PipelineFigures& all = pipe.overall();
  ASSERT_EQ(all.stages_size(), 7);
  auto stage = [](const sv1::PipelineFigures& f, sv1::Stage s) { return f.stages(s - 1); };
  EXPECT_EQ(stage(all, sv1::STAGE_NEW).count(), 2);
  EXPECT_EQ(stage(all, sv1::STAGE_PROPOSAL).weighted_amount().amount_minor(), 1000);
  EXPECT_EQ(stage(all, sv1::STAGE_NEGOTIATION).amount().amount_minor(), 4000);
  EXPECT_EQ(stage(all, sv1::STAGE_NEGOTIATION).weighted_amount().amount_minor(), 3000);
  EXPECT_EQ(stage(all, sv1::STAGE_CLOSED_WON).count(), 2);
  EXPECT_EQ(stage(all, sv1::STAGE_CLOSED_WON).amount().amount_minor(), 13000);
  EXPECT_EQ(stage(all, sv1::STAGE_CLOSED_LOST).count(), 1);
  EXPECT_EQ(all.win_rate_basis_points(), 6666);
  EXPECT_EQ(all.average_deal_size().amount_minor(), 6500);
  EXPECT_LT(TimeUtil::DurationToSeconds(all.average_sales_cycle()), 120);
  // By rep: each rep's won amount, win rate and open count from who holds what.
  std::map<std::string, int64_t> won_by_rep, won_count, lost_count;
  won_by_rep[a.rep()] += 10000;
  ++won_count[a.rep()];
  won_by_rep[c.rep()] += 3000;
  ++won_count[c.rep()];
  ++lost_count[e.rep()];
  ASSERT_EQ(pipe.by_rep_size(), 3);
  EXPECT_EQ(pipe.by_rep(0).rep(), anna.name());  // in the order reps were created
  for (const sv1::RepPipeline& rp : pipe.by_rep()) {
    const int64_t closed = won_count[rp.rep()] + lost_count[rp.rep()];
    EXPECT_EQ(stage(rp.figures(), sv1::STAGE_CLOSED_WON).amount().amount_minor(), won_by_rep[rp.rep()]) << rp.rep();
    EXPECT_EQ(rp.figures().win_rate_basis_points(), closed == 0 ? 0 : won_count[rp.rep()] * 10000 / closed)
        << rp.rep();
  }
  // Only one rep: the same figures for that rep alone.
  pipe_req.set_rep(anna.name());
  sv1::GetPipelineReportResponse anna_pipe;
  ASSERT_TRUE(pipeline_->GetPipelineReport(Ctx().get(), pipe_req, &anna_pipe).ok());
  ASSERT_EQ(anna_pipe.by_rep_size(), 1);
  EXPECT_EQ(stage(anna_pipe.overall(), sv1::STAGE_CLOSED_WON).amount().amount_minor(), won_by_rep[anna.name()]);

  // Forecast for the coming month: won 13000; open in period b 4000 (75 %) and d 2000
  // (50 %, committed) -> weighted 13000 + 3000 + 1000 = 17000, committed 13000 + 2000.
  sv1::GetForecastRequest fc_req;
  *fc_req.mutable_start_time() = TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(24);
  *fc_req.mutable_end_time() = TimeUtil::GetCurrentTime() + TimeUtil::HoursToDuration(24 * 30);
  fc_req.set_currency_code("EUR");
  sv1::GetForecastResponse fc;
  ASSERT_TRUE(pipeline_->GetForecast(Ctx().get(), fc_req, &fc).ok());
  EXPECT_EQ(fc.overall().won().amount_minor(), 13000);
  EXPECT_EQ(fc.overall().won_count(), 2);
  EXPECT_EQ(fc.overall().open_count(), 2);
  EXPECT_EQ(fc.overall().pipeline().amount_minor(), 6000);
  EXPECT_EQ(fc.overall().weighted().amount_minor(), 17000);
  EXPECT_EQ(fc.overall().committed().amount_minor(), 15000);
  int64_t committed_sum = 0;
  for (const sv1::RepForecast& rf : fc.by_rep()) committed_sum += rf.figures().committed().amount_minor();
  EXPECT_EQ(committed_sum, 15000);  // every deal here has a rep

  // Bad input is refused with the field named and changes nothing.
  std::swap(*fc_req.mutable_start_time(), *fc_req.mutable_end_time());
  const grpc::Status bad_period = pipeline_->GetForecast(Ctx().get(), fc_req, &fc);
  EXPECT_EQ(bad_period.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_period.error_message().find("start_time"), std::string::npos);
  sv1::UpdateOpportunityRequest bad_mask;
  bad_mask.mutable_opportunity()->set_name(b.name());
  bad_mask.mutable_update_mask()->add_paths("stage");
  bad_mask.set_request_id(RequestId());
  sv1::UpdateOpportunityResponse ignored;
  const grpc::Status s = opportunities_->UpdateOpportunity(Ctx().get(), bad_mask, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("update_mask"), std::string::npos);
}

// Field masks (AIP-134): omitted means "the fields set", "*" means all of them; and the
// opportunity's etag goes on the resource, as for campaigns and reps.
TEST_F(SalesFlowTest, UpdatesTakeTheFieldsSetOrStarAndTheResourcesEtag) {
  const sv1::Rep rep = CreateRep("mask", "DE", 5);
  {
    sv1::UpdateRepRequest req;
    req.mutable_rep()->set_name(rep.name());
    req.mutable_rep()->set_capacity(9);  // no mask: only what is set
    req.set_request_id(RequestId());
    sv1::UpdateRepResponse resp;
    const grpc::Status s = reps_->UpdateRep(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.rep().capacity(), 9);
    EXPECT_EQ(resp.rep().display_name(), "mask");
    ASSERT_EQ(resp.rep().territories_size(), 1);
    // "*": every updatable field from the request, so the territories left empty go.
    req.mutable_rep()->set_display_name("Mask Renamed");
    req.mutable_rep()->set_status(sv1::REP_STATUS_ACTIVE);
    req.mutable_update_mask()->add_paths("*");
    req.set_request_id(RequestId());
    ASSERT_TRUE(reps_->UpdateRep(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.rep().display_name(), "Mask Renamed");
    EXPECT_EQ(resp.rep().territories_size(), 0);
    // Nothing set and no mask: nothing to change.
    sv1::UpdateRepRequest empty;
    empty.mutable_rep()->set_name(rep.name());
    empty.set_request_id(RequestId());
    const grpc::Status refused = reps_->UpdateRep(Ctx().get(), empty, &resp);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(refused.error_message().rfind("update_mask", 0), 0u) << refused.error_message();
  }
  const std::string lead = CaptureEmail("mask-deal@example.org");
  Qualify(lead);
  ASSERT_TRUE(Eventually([&] { return !OpportunitiesOf(lead).empty(); }));
  const sv1::Opportunity opp = OpportunitiesOf(lead)[0];
  sv1::UpdateOpportunityRequest req;
  req.mutable_opportunity()->set_name(opp.name());
  req.mutable_opportunity()->set_committed(true);
  req.mutable_opportunity()->set_etag(opp.etag());
  req.set_request_id(RequestId());
  sv1::UpdateOpportunityResponse resp;
  grpc::Status s = opportunities_->UpdateOpportunity(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.opportunity().committed());
  // The same etag again is stale now.
  req.set_request_id(RequestId());
  s = opportunities_->UpdateOpportunity(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  // Two different etags are a mistake.
  req.set_etag("other");
  req.set_request_id(RequestId());
  s = opportunities_->UpdateOpportunity(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
}

// A scheduled meeting becomes HELD with corrected notes; a held one keeps its status.
TEST_F(SalesFlowTest, AScheduledMeetingIsMarkedHeldAndItsNotesCorrected) {
  CreateRep("meg", "", 5);
  const std::string lead = CaptureEmail("meeting@example.org");
  Qualify(lead);
  ASSERT_TRUE(Eventually([&] { return !OpportunitiesOf(lead).empty(); }));
  const std::string opp = OpportunitiesOf(lead)[0].name();
  {
    sv1::AcceptOpportunityRequest req;
    req.set_name(opp);
    req.set_request_id(RequestId());
    sv1::AcceptOpportunityResponse resp;
    ASSERT_TRUE(opportunities_->AcceptOpportunity(Ctx().get(), req, &resp).ok());
  }
  sv1::LogActivityRequest log;
  log.set_opportunity(opp);
  log.mutable_activity()->set_type(sv1::ACTIVITY_TYPE_MEETING);
  log.mutable_activity()->set_meeting_status(sv1::MEETING_STATUS_SCHEDULED);
  log.mutable_activity()->set_summary("demo, tentative");
  log.set_request_id(RequestId());
  sv1::LogActivityResponse logged;
  ASSERT_TRUE(opportunities_->LogActivity(Ctx().get(), log, &logged).ok());
  const std::string name = logged.activity().name();

  sv1::UpdateActivityRequest req;
  req.mutable_activity()->set_name(name);
  req.mutable_activity()->set_meeting_status(sv1::MEETING_STATUS_HELD);
  req.mutable_activity()->set_summary("demo held; they want a proposal");
  req.mutable_activity()->set_etag(logged.activity().etag());
  req.set_request_id(RequestId());
  sv1::UpdateActivityResponse updated;
  grpc::Status s = opportunities_->UpdateActivity(Ctx().get(), req, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.activity().meeting_status(), sv1::MEETING_STATUS_HELD);
  EXPECT_NE(updated.activity().etag(), logged.activity().etag());
  EXPECT_TRUE(updated.activity().has_update_time());
  // The etag read before the correction is stale now: ABORTED, nothing changes.
  req.mutable_activity()->set_summary("overwritten by a stale copy");
  req.set_request_id(RequestId());
  sv1::UpdateActivityResponse stale;
  s = opportunities_->UpdateActivity(Ctx().get(), req, &stale);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  req.mutable_activity()->set_summary("demo held; they want a proposal");
  req.mutable_activity()->clear_etag();
  sv1::GetActivityRequest get;
  get.set_name(name);
  sv1::GetActivityResponse got;
  ASSERT_TRUE(opportunities_->GetActivity(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.activity().summary(), "demo held; they want a proposal");
  EXPECT_EQ(got.activity().meeting_status(), sv1::MEETING_STATUS_HELD);
  EXPECT_EQ(got.activity().type(), sv1::ACTIVITY_TYPE_MEETING);

  // Held stays held; a call outcome does not belong to a meeting; unknown names are named.
  req.mutable_activity()->set_meeting_status(sv1::MEETING_STATUS_SCHEDULED);
  req.mutable_activity()->clear_summary();
  req.set_request_id(RequestId());
  s = opportunities_->UpdateActivity(Ctx().get(), req, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  req.mutable_activity()->clear_meeting_status();
  req.mutable_activity()->set_call_outcome(sv1::CALL_OUTCOME_CONNECTED);
  req.set_request_id(RequestId());
  s = opportunities_->UpdateActivity(Ctx().get(), req, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  get.set_name(opp + "/activities/none");
  EXPECT_EQ(opportunities_->GetActivity(Ctx().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_name("activities/x");
  EXPECT_EQ(opportunities_->GetActivity(Ctx().get(), get, &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Sales' business figures: the open pipeline per stage (count, and amount per currency)
// and the service-level breaches the monitor announces.
class SalesMetricsTest : public HandoffSystem {
 protected:
  std::vector<std::string> ExtraSalesFlags() const override {
    return {"--metrics_listen=127.0.0.1:" + std::to_string(metrics_port_), "--accept_sla=3s",
            "--sla_check_interval=100ms"};
  }

  double Sample(const std::string& series) { return MetricSample(metrics_port_, series); }

  const int metrics_port_ = FreeLoopbackPort();
};

TEST_F(SalesMetricsTest, TheOpenPipelineAndServiceLevelBreachesAreGauged) {
  CreateRep("mia", "", 10);
  std::vector<sv1::Opportunity> opps;
  for (const char* email : {"quick@example.org", "slow@example.org"}) {
    const std::string lead = CaptureEmail(email);
    Qualify(lead);
    std::vector<sv1::Opportunity> got = AwaitOpportunities(lead);
    ASSERT_EQ(got.size(), 1u);
    opps.push_back(got[0]);
  }
  // The first is accepted at once and priced; the second waits past the accept SLA.
  sv1::AcceptOpportunityRequest accept;
  accept.set_name(opps[0].name());
  accept.set_request_id(RequestId());
  sv1::AcceptOpportunityResponse accepted;
  ASSERT_TRUE(opportunities_->AcceptOpportunity(Ctx().get(), accept, &accepted).ok());
  sv1::UpdateOpportunityRequest price;
  price.mutable_opportunity()->set_name(opps[0].name());
  price.mutable_opportunity()->mutable_amount()->set_amount_minor(500000);
  price.mutable_opportunity()->mutable_amount()->set_currency_code("EUR");
  price.mutable_update_mask()->add_paths("amount");
  price.set_request_id(RequestId());
  sv1::UpdateOpportunityResponse priced;
  const grpc::Status s = opportunities_->UpdateOpportunity(Ctx().get(), price, &priced);
  ASSERT_TRUE(s.ok()) << s.error_message();

  EXPECT_TRUE(Eventually([&] {
    return Sample("handoff_pipeline_open_opportunities{stage=\"STAGE_NEW\"}") == 2 &&
           Sample("handoff_pipeline_open_amount_minor{currency=\"EUR\",stage=\"STAGE_NEW\"}") == 500000;
  })) << HttpGet(metrics_port_, "/metrics");
  EXPECT_EQ(Sample("handoff_pipeline_open_opportunities{stage=\"STAGE_NEGOTIATION\"}"), 0);
  EXPECT_EQ(Sample("handoff_pipeline_open_opportunities{stage=\"STAGE_CLOSED_WON\"}"), -1);  // not open

  // Only the waiting one breaches, once however many monitor passes see it.
  ASSERT_TRUE(Eventually([&] { return Sample("handoff_sla_breaches_total{kind=\"accept\"}") == 1; }))
      << HttpGet(metrics_port_, "/metrics");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Sample("handoff_sla_breaches_total{kind=\"accept\"}"), 1);
  EXPECT_EQ(Sample("handoff_sla_breaches_total{kind=\"first_touch\"}"), 0);

  // A rejected handoff leaves the pipeline.
  sv1::RejectOpportunityRequest reject;
  reject.set_name(opps[1].name());
  reject.set_reason(sv1::REJECT_REASON_BAD_TIMING);
  reject.set_request_id(RequestId());
  sv1::RejectOpportunityResponse rejected;
  ASSERT_TRUE(opportunities_->RejectOpportunity(Ctx().get(), reject, &rejected).ok());
  EXPECT_TRUE(Eventually([&] { return Sample("handoff_pipeline_open_opportunities{stage=\"STAGE_NEW\"}") == 1; }));
}

class SalesServiceLevelTest : public HandoffSystem {
 protected:
  std::vector<std::string> ExtraSalesFlags() const override {
    return {"--accept_sla=1s", "--first_touch_sla=1s", "--reassign_on_accept_breach",
            "--sla_check_interval=100ms"};
  }

  // Reads deal events from the start until `want` are all seen (in order) or 10 s pass.
  bool SeeEvents(const std::string& opportunity, std::vector<sv1::DealEventType> want) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    sv1::WatchDealEventsRequest req;
    auto reader = opportunities_->WatchDealEvents(&ctx, req);
    sv1::WatchDealEventsResponse resp;
    size_t next = 0;
    while (next < want.size() && reader->Read(&resp)) {
      if (resp.event().opportunity() == opportunity && resp.event().type() == want[next]) ++next;
    }
    ctx.TryCancel();
    reader->Finish();
    return next == want.size();
  }

  sv1::ListSlaBreachesResponse Breaches(sv1::SlaKind kind) {
    sv1::ListSlaBreachesRequest req;
    req.set_kind(kind);
    sv1::ListSlaBreachesResponse resp;
    EXPECT_TRUE(pipeline_->ListSlaBreaches(Ctx().get(), req, &resp).ok());
    return resp;
  }

  static bool Lists(const sv1::ListSlaBreachesResponse& r, const std::string& opportunity) {
    for (const sv1::SlaBreach& b : r.breaches()) {
      if (b.opportunity() == opportunity) return true;
    }
    return false;
  }

  void SetStatus(const sv1::Rep& rep, sv1::RepStatus status) {
    sv1::UpdateRepRequest req;
    req.mutable_rep()->set_name(rep.name());
    req.mutable_rep()->set_status(status);
    req.mutable_update_mask()->add_paths("status");
    req.set_request_id(RequestId());
    sv1::UpdateRepResponse resp;
    const grpc::Status s = reps_->UpdateRep(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
};

// ListSlaBreaches pages like every list: each breach once, most overdue first.
TEST_F(SalesServiceLevelTest, BreachesArePagedMostOverdueFirst) {
  CreateRep("paula", "", 10);
  std::vector<std::string> leads;
  for (int i = 0; i < 3; ++i) {
    leads.push_back(CaptureEmail("paged" + std::to_string(i) + "@example.org"));
    Qualify(leads.back());
    ASSERT_FALSE(AwaitOpportunities(leads.back()).empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // All three miss the 1 s accept deadline.
  ASSERT_TRUE(Eventually([&] { return Breaches(sv1::SLA_KIND_ACCEPT).breaches_size() >= 3; }));
  sv1::ListSlaBreachesRequest req;
  req.set_kind(sv1::SLA_KIND_ACCEPT);
  req.set_page_size(1);
  std::vector<sv1::SlaBreach> seen;
  int pages = 0;
  do {
    sv1::ListSlaBreachesResponse resp;
    const grpc::Status s = pipeline_->ListSlaBreaches(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    seen.insert(seen.end(), resp.breaches().begin(), resp.breaches().end());
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(pages, 3);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].opportunity(), AwaitOpportunities(leads[i])[0].name()) << i;
    if (i > 0) {
      EXPECT_LE(TimeUtil::TimestampToMicroseconds(seen[i - 1].due_time()),
                TimeUtil::TimestampToMicroseconds(seen[i].due_time()));
    }
  }
  // A token is bound to its kind.
  sv1::ListSlaBreachesRequest first;
  first.set_kind(sv1::SLA_KIND_ACCEPT);
  first.set_page_size(1);
  sv1::ListSlaBreachesResponse page;
  ASSERT_TRUE(pipeline_->ListSlaBreaches(Ctx().get(), first, &page).ok());
  first.set_page_token(page.next_page_token());
  first.set_kind(sv1::SLA_KIND_FIRST_TOUCH);
  EXPECT_EQ(pipeline_->ListSlaBreaches(Ctx().get(), first, &page).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SalesServiceLevelTest, MissedDeadlinesAreEmittedListedAndReassigned) {
  const sv1::Rep x = CreateRep("xena", "", 10);
  const sv1::Rep y = CreateRep("yuri", "", 10);
  mv1::CaptureLeadRequest capture;
  capture.mutable_contact()->set_email("late@example.org");
  capture.mutable_consent()->set_email(true);
  capture.set_request_id(RequestId());
  const std::string lead = Capture(capture);
  Qualify(lead);
  const std::vector<sv1::Opportunity> opps = AwaitOpportunities(lead);
  ASSERT_EQ(opps.size(), 1u);
  const sv1::Opportunity first = opps[0];
  ASSERT_FALSE(first.rep().empty());

  // Nobody accepts within 1 s: a breach event, then the other rep gets it.
  ASSERT_TRUE(SeeEvents(first.name(), {sv1::DEAL_EVENT_TYPE_CREATED, sv1::DEAL_EVENT_TYPE_ACCEPT_SLA_BREACHED,
                                       sv1::DEAL_EVENT_TYPE_ASSIGNED}));
  std::vector<std::string> history;
  sv1::ListTimelineRequest tl;
  tl.set_name(first.name());
  sv1::ListTimelineResponse tl_resp;
  ASSERT_TRUE(opportunities_->ListTimeline(Ctx().get(), tl, &tl_resp).ok());
  for (const sv1::TimelineEntry& t : tl_resp.entries()) {
    if (t.has_assignment()) history.push_back(t.assignment().rep());
  }
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[0], first.rep());
  EXPECT_NE(history[1], first.rep());  // never back to the rep who missed it

  // Accept it; with no contact within 1 s the first-touch deadline is missed.
  sv1::AcceptOpportunityRequest accept;
  accept.set_name(first.name());
  accept.set_request_id(RequestId());
  sv1::AcceptOpportunityResponse accepted;
  ASSERT_TRUE(opportunities_->AcceptOpportunity(Ctx().get(), accept, &accepted).ok());
  ASSERT_TRUE(SeeEvents(first.name(), {sv1::DEAL_EVENT_TYPE_ACCEPTED, sv1::DEAL_EVENT_TYPE_FIRST_TOUCH_SLA_BREACHED}));
  const sv1::ListSlaBreachesResponse late = Breaches(sv1::SLA_KIND_FIRST_TOUCH);
  ASSERT_TRUE(Lists(late, first.name()));
  EXPECT_EQ(late.breaches(0).kind(), sv1::SLA_KIND_FIRST_TOUCH);
  EXPECT_GT(TimeUtil::DurationToMilliseconds(late.breaches(0).overdue()), 0);
  EXPECT_FALSE(Lists(Breaches(sv1::SLA_KIND_ACCEPT), first.name()));  // accepted: that one is over
  // The first e-mail is the first touch: off the list.
  sv1::LogActivityRequest log;
  log.set_opportunity(first.name());
  log.mutable_activity()->set_type(sv1::ACTIVITY_TYPE_EMAIL);
  log.set_request_id(RequestId());
  sv1::LogActivityResponse logged;
  ASSERT_TRUE(opportunities_->LogActivity(Ctx().get(), log, &logged).ok());
  EXPECT_FALSE(Lists(Breaches(sv1::SLA_KIND_UNSPECIFIED), first.name()));

  // With every rep away a handoff waits, listed with its reason at once, and is picked
  // up as soon as a rep is back.
  SetStatus(x, sv1::REP_STATUS_AWAY);
  SetStatus(y, sv1::REP_STATUS_AWAY);
  const std::string waiting_lead = CaptureEmail("waiting@example.org");
  Qualify(waiting_lead);
  const std::vector<sv1::Opportunity> waiting = AwaitOpportunities(waiting_lead);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_TRUE(waiting[0].rep().empty());
  const sv1::ListSlaBreachesResponse report = Breaches(sv1::SLA_KIND_UNSPECIFIED);
  ASSERT_EQ(report.unassigned_size(), 1);
  EXPECT_EQ(report.unassigned(0).opportunity(), waiting[0].name());
  EXPECT_EQ(report.unassigned(0).reason(), "no active rep with free capacity");
  SetStatus(y, sv1::REP_STATUS_ACTIVE);
  EXPECT_TRUE(Eventually([&] { return OpportunitiesOf(waiting_lead).at(0).rep() == y.name(); }));
}

TEST_F(SalesServiceLevelTest, ABadFlagStopsStartUpWithTheReason) {
  for (const std::string flag : {"--stage_probabilities=10,20", "--request_retention=1h",
                                 "--first_touch_sla=0s", "--delivery_max_refusals=0",
                                 "--delivery_max_age=0s", "--delivery_lease=5s", "--write_timeout=0s",
                                 "--shutdown_grace=0s"}) {
    ServiceProcess bad(HANDOFF_SALES_BINARY,
                       {"--listen=127.0.0.1:0", "--database=sqlite:" + dir_.path() + "/bad.db", flag},
                       dir_.path() + "/bad.log");
    EXPECT_FALSE(bad.Start()) << flag;
    EXPECT_NE(bad.Log().find(flag.substr(0, flag.find('='))), std::string::npos) << bad.Log();
  }
}

}  // namespace
}  // namespace handoff::testing
