#include "sales-service/domain/opportunity_workflow.h"

#include <vector>

#include "common/ids.h"
#include "common/sqlite/database.h"
#include "gtest/gtest.h"
#include "sales-service/domain/pipeline_report.h"
#include "sales-service/storage/sql_sales_store.h"
#include "tests/temp_path.h"

namespace handoff::sales {
namespace {

class RecordingMarketingGateway : public MarketingGateway {
 public:
  absl::Status QueueOutcome(UnitOfWork&, const OutcomeNotice& n) override {
    outcomes.push_back(n);
    return absl::OkStatus();
  }
  std::vector<OutcomeNotice> outcomes;
};

class RecordingDealEventLog : public DealEventLog {
 public:
  absl::Status Record(UnitOfWork&, DealEventType type, const Opportunity&) override {
    types.push_back(type);
    return absl::OkStatus();
  }
  std::vector<DealEventType> types;
};

class OpportunityWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = *SqlSalesStore::OpenSqlite(db_.path()); }

  template <typename T, typename Fn>
  absl::StatusOr<T> InTx(Fn fn) {
    absl::StatusOr<T> out = absl::UnknownError("not run");
    absl::Status s = store_->Run([&](SalesTx& tx) {
      out = fn(tx);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  Rep AddRep(const std::string& name, int capacity = 5) {
    return *InTx<Rep>([&](SalesTx& tx) {
      return flow_.CreateRep(tx, {name, name + "@example.com", {}, capacity, RepStatus::kActive});
    });
  }

  absl::StatusOr<HandoffResult> Handoff(const std::string& lead, Consent consent = {}) {
    HandoffInput in;
    in.lead = lead;
    in.contact.email = "p@example.com";
    in.consent = consent;
    return InTx<HandoffResult>([&](SalesTx& tx) { return flow_.Handoff(tx, in); });
  }

  // A handoff accepted by its rep.
  Opportunity Accepted(Consent consent = {}) {
    const HandoffResult h = *Handoff("leads/l" + std::to_string(++leads_), consent);
    return *InTx<Opportunity>([&](SalesTx& tx) { return flow_.Accept(tx, h.opportunity.id, ""); });
  }

  absl::StatusOr<ServiceLevelReport> Levels(SlaKind kind = SlaKind::kUnspecified) {
    return InTx<ServiceLevelReport>([&](SalesTx& tx) { return flow_.ServiceLevels(tx, kind, 50); });
  }

  absl::StatusOr<ServiceLevelSweep> Sweep(const OpportunityWorkflow& flow) {
    return InTx<ServiceLevelSweep>([&](SalesTx& tx) { return flow.CheckServiceLevels(tx, 100); });
  }

  testing::TempDbPath db_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  RecordingMarketingGateway marketing_;
  RecordingDealEventLog events_;
  OpportunityWorkflow flow_{clock_, PipelineConfig{}, marketing_, events_};
  std::unique_ptr<SqlSalesStore> store_;
  int leads_ = 0;
};

TEST_F(OpportunityWorkflowTest, SecondHandoffOfALeadWithAnOpenDealReturnsTheOpenOne) {
  AddRep("anna");
  const HandoffResult a = *Handoff("leads/x");
  const HandoffResult b = *Handoff("leads/x");
  EXPECT_FALSE(a.already_open);
  EXPECT_TRUE(b.already_open);
  EXPECT_EQ(a.opportunity.id, b.opportunity.id);
}

TEST_F(OpportunityWorkflowTest, AcceptNeedsARepAndReportsToMarketing) {
  const HandoffResult h = *Handoff("leads/x");
  EXPECT_EQ(h.opportunity.unassigned_reason, "no reps exist");
  absl::Status s = InTx<Opportunity>([&](SalesTx& tx) { return flow_.Accept(tx, h.opportunity.id, ""); }).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(marketing_.outcomes.empty());
  const Rep rep = AddRep("anna");
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) { return flow_.Assign(tx, h.opportunity.id, rep.id, ""); }).ok());
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) { return flow_.Accept(tx, h.opportunity.id, ""); }).ok());
  ASSERT_EQ(marketing_.outcomes.size(), 1u);
  EXPECT_EQ(marketing_.outcomes[0].outcome, Outcome::kAccepted);
  EXPECT_EQ(marketing_.outcomes[0].lead, "leads/x");
}

TEST_F(OpportunityWorkflowTest, AnActingRepMayChangeOnlyOpportunitiesAssignedToIt) {
  const HandoffResult unassigned = *Handoff("leads/u");
  const Rep anna = AddRep("anna");
  const Rep ben = AddRep("ben");
  const HandoffResult h = *Handoff("leads/x");
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) { return flow_.Assign(tx, h.opportunity.id, anna.id, ""); }).ok());
  auto check = [&](const std::string& id, const std::string& actor) {
    return store_->Run([&](SalesTx& tx) { return flow_.CheckActor(tx, id, actor); });
  };
  EXPECT_TRUE(check(h.opportunity.id, "").ok());  // a system acting for nobody
  EXPECT_TRUE(check(h.opportunity.id, "reps/" + anna.id).ok());
  const absl::Status other = check(h.opportunity.id, "reps/" + ben.id);
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(other.message().find("is assigned to reps/" + anna.id), absl::string_view::npos) << other;
  EXPECT_EQ(check(unassigned.opportunity.id, "reps/" + anna.id).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(check("nope", "reps/" + anna.id).code(), absl::StatusCode::kNotFound);
}

TEST_F(OpportunityWorkflowTest, RejectNeedsAReasonAndTextForOther) {
  AddRep("anna");
  const HandoffResult h = *Handoff("leads/x");
  auto reject = [&](RejectReason r, const std::string& text) {
    return InTx<Opportunity>([&](SalesTx& tx) { return flow_.Reject(tx, h.opportunity.id, r, text, ""); });
  };
  EXPECT_EQ(reject(RejectReason::kUnspecified, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reject(RejectReason::kOther, "").status().code(), absl::StatusCode::kInvalidArgument);
  const Opportunity o = *reject(RejectReason::kOther, "student project");
  EXPECT_EQ(o.acceptance, Acceptance::kRejected);
  ASSERT_EQ(marketing_.outcomes.size(), 1u);
  EXPECT_EQ(marketing_.outcomes[0].reason, "other: student project");
  // The lead can be handed off again later: the rejected deal is not open.
  EXPECT_FALSE(Handoff("leads/x")->already_open);
}

TEST_F(OpportunityWorkflowTest, ActivitiesOnAnOptedOutChannelAreRefused) {
  AddRep("anna");
  Consent email_only;
  email_only.email = true;
  const Opportunity o = Accepted(email_only);
  Activity call;
  call.type = ActivityType::kCall;
  call.call_outcome = CallOutcome::kNoAnswer;
  absl::Status s = InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, call, ""); }).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("consent.phone"), absl::string_view::npos);
  Activity mail;
  mail.type = ActivityType::kEmail;
  EXPECT_TRUE(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, mail, ""); }).ok());
  ASSERT_TRUE(InTx<int>([&](SalesTx& tx) { return flow_.UpdateConsent(tx, o.lead, Consent{false, false, false, false, true}); }).ok());
  s = InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, mail, ""); }).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("do_not_contact"), absl::string_view::npos);
  Activity note;
  note.type = ActivityType::kNote;
  EXPECT_TRUE(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, note, ""); }).ok());
}

TEST_F(OpportunityWorkflowTest, ActivityRequiresCallOutcomeAndMeetingStatus) {
  AddRep("anna");
  const Opportunity o = Accepted(Consent{true, true});
  Activity call;
  call.type = ActivityType::kCall;
  EXPECT_EQ(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, call, ""); }).status().code(),
            absl::StatusCode::kInvalidArgument);
  Activity meeting;
  meeting.type = ActivityType::kMeeting;
  EXPECT_EQ(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, meeting, ""); }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OpportunityWorkflowTest, CloseWonNeedsAnAmountAndClosedDealsStayClosed) {
  AddRep("anna");
  const Opportunity o = Accepted();
  auto won = [&](Money m) {
    return InTx<Opportunity>([&](SalesTx& tx) { return flow_.CloseWon(tx, o.id, m, absl::InfinitePast(), ""); });
  };
  EXPECT_EQ(won(Money{0, "EUR"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(won(Money{100, ""}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(won(Money{100, "EUR"})->stage, Stage::kClosedWon);
  EXPECT_EQ(won(Money{100, "EUR"}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(InTx<Opportunity>([&](SalesTx& tx) {
              return flow_.Advance(tx, o.id, Stage::kNegotiation, std::nullopt, "");
            }).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(marketing_.outcomes.size(), 2u);  // accepted, won
  EXPECT_EQ(events_.types, std::vector<DealEventType>({DealEventType::kCreated, DealEventType::kAccepted,
                                                       DealEventType::kWon}));
  EXPECT_EQ(marketing_.outcomes[1].outcome, Outcome::kWon);
  EXPECT_EQ(marketing_.outcomes[1].amount.amount_minor, 100);
}

TEST_F(OpportunityWorkflowTest, ReachingQualifiedOrProposalIsReportedToMarketingOnce) {
  AddRep("anna");
  const Opportunity a = Accepted();
  auto advance = [&](const std::string& id, Stage to) {
    return InTx<Opportunity>([&](SalesTx& tx) { return flow_.Advance(tx, id, to, std::nullopt, ""); });
  };
  ASSERT_TRUE(advance(a.id, Stage::kContacted).ok());
  ASSERT_TRUE(advance(a.id, Stage::kQualified).ok());
  ASSERT_TRUE(advance(a.id, Stage::kProposal).ok());
  ASSERT_TRUE(advance(a.id, Stage::kNegotiation).ok());
  const Opportunity b = Accepted();
  ASSERT_TRUE(advance(b.id, Stage::kNegotiation).ok());  // a jump reports only the furthest
  std::vector<Outcome> sent;
  for (const OutcomeNotice& n : marketing_.outcomes) sent.push_back(n.outcome);
  EXPECT_EQ(sent, std::vector<Outcome>({Outcome::kAccepted, Outcome::kSalesQualified, Outcome::kOpportunity,
                                        Outcome::kAccepted, Outcome::kOpportunity}));
}

TEST_F(OpportunityWorkflowTest, StaleEtagIsAbortedAndChangesNothing) {
  AddRep("anna");
  const Opportunity o = Accepted();
  const std::string stale = EtagOf(o.version - 1);
  absl::Status s = InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.Advance(tx, o.id, Stage::kQualified, std::nullopt, stale);
  }).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(InTx<Opportunity>([&](SalesTx& tx) { return tx.GetOpportunity(o.id); })->stage, Stage::kNew);
  EXPECT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.Advance(tx, o.id, Stage::kQualified, std::nullopt, EtagOf(o.version));
  }).ok());
}

TEST_F(OpportunityWorkflowTest, UpsellOnlyFromAWonDealAndLinkedToIt) {
  AddRep("anna");
  const Opportunity o = Accepted();
  EXPECT_EQ(InTx<Opportunity>([&](SalesTx& tx) { return flow_.CreateUpsell(tx, o.id, std::nullopt); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseWon(tx, o.id, Money{100, "EUR"}, absl::InfinitePast(), "");
  }).ok());
  const Opportunity up = *InTx<Opportunity>([&](SalesTx& tx) { return flow_.CreateUpsell(tx, o.id, std::nullopt); });
  EXPECT_EQ(up.kind, OpportunityKind::kUpsell);
  EXPECT_EQ(up.parent_opportunity_id, o.id);
  EXPECT_EQ(up.rep_id, o.rep_id);
  EXPECT_EQ(up.acceptance, Acceptance::kAccepted);
}

TEST_F(OpportunityWorkflowTest, PendingHandoffsPastTheAcceptSlaAreBreachesAndUnassignedOnesShowAtOnce) {
  const HandoffResult h = *Handoff("leads/x");
  ServiceLevelReport r = *Levels();
  EXPECT_TRUE(r.breaches.empty());
  ASSERT_EQ(r.unassigned.size(), 1u);  // waiting without a rep shows before any deadline
  EXPECT_EQ(r.unassigned[0].unassigned_reason, "no reps exist");
  clock_.Advance(absl::Hours(23));
  EXPECT_TRUE(Levels()->breaches.empty());
  clock_.Advance(absl::Hours(2));
  r = *Levels();
  ASSERT_EQ(r.breaches.size(), 1u);
  EXPECT_EQ(r.breaches[0].opportunity.id, h.opportunity.id);
  EXPECT_EQ(r.breaches[0].kind, SlaKind::kAccept);
  EXPECT_EQ(r.breaches[0].overdue, absl::Hours(1));
  EXPECT_EQ(r.breaches[0].due, h.opportunity.create_time + absl::Hours(24));
  EXPECT_EQ(r.breaches[0].opportunity.unassigned_reason, "no reps exist");
  EXPECT_TRUE(Levels(SlaKind::kFirstTouch)->breaches.empty());
}

TEST_F(OpportunityWorkflowTest, FirstTouchSlaIsMetByContactNotByANote) {
  AddRep("anna");
  const Opportunity o = Accepted(Consent{true, true});
  EXPECT_EQ(flow_.FirstTouchDue(o), o.accept_time + absl::Hours(24));
  Activity note;
  note.type = ActivityType::kNote;
  ASSERT_TRUE(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, note, ""); }).ok());
  clock_.Advance(absl::Hours(26));
  ServiceLevelReport r = *Levels();
  ASSERT_EQ(r.breaches.size(), 1u);
  EXPECT_EQ(r.breaches[0].kind, SlaKind::kFirstTouch);
  EXPECT_EQ(r.breaches[0].overdue, absl::Hours(2));
  Activity call;
  call.type = ActivityType::kCall;
  call.call_outcome = CallOutcome::kVoicemail;
  ASSERT_TRUE(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, call, ""); }).ok());
  EXPECT_TRUE(Levels()->breaches.empty());
  const Opportunity after = *InTx<Opportunity>([&](SalesTx& tx) { return tx.GetOpportunity(o.id); });
  EXPECT_EQ(after.first_touch_time, clock_.Now());
  EXPECT_EQ(flow_.FirstTouchDue(after), absl::InfinitePast());
}

TEST_F(OpportunityWorkflowTest, EachMissedDeadlineIsAnnouncedOnce) {
  AddRep("anna");
  const HandoffResult pending = *Handoff("leads/p");
  const Opportunity accepted = Accepted();
  clock_.Advance(absl::Hours(25));
  events_.types.clear();
  ServiceLevelSweep sweep = *Sweep(flow_);
  EXPECT_EQ(sweep.accept_breaches, 1);
  EXPECT_EQ(sweep.first_touch_breaches, 1);
  EXPECT_EQ(sweep.reassigned, 0);  // not configured
  sweep = *Sweep(flow_);
  EXPECT_EQ(sweep.accept_breaches + sweep.first_touch_breaches, 0);
  EXPECT_EQ(events_.types, std::vector<DealEventType>({DealEventType::kAcceptSlaBreached,
                                                       DealEventType::kFirstTouchSlaBreached}));
  // Announcing is bookkeeping: an etag read before it still works.
  EXPECT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.Accept(tx, pending.opportunity.id, EtagOf(pending.opportunity.version));
  }).ok());
  // Accepting ends that breach; the other still owes its first touch.
  const ServiceLevelReport r = *Levels();
  ASSERT_EQ(r.breaches.size(), 1u);
  EXPECT_EQ(r.breaches[0].opportunity.id, accepted.id);
}

TEST_F(OpportunityWorkflowTest, AnAcceptBreachMovesToTheNextRepWhenConfigured) {
  PipelineConfig config;
  config.reassign_on_accept_breach = true;
  OpportunityWorkflow flow(clock_, config, marketing_, events_);
  const Rep anna = AddRep("anna");
  const Rep bob = AddRep("bob");
  HandoffInput in;
  in.lead = "leads/r";
  in.contact.email = "r@example.com";
  const HandoffResult h = *InTx<HandoffResult>([&](SalesTx& tx) { return flow.Handoff(tx, in); });
  // Whoever got it first, it must move to the other one and back.
  const std::string first = h.opportunity.rep_id;
  const std::string other = first == anna.id ? bob.id : anna.id;
  ASSERT_TRUE(first == anna.id || first == bob.id);
  clock_.Advance(absl::Hours(24) + absl::Minutes(1));
  events_.types.clear();
  const ServiceLevelSweep sweep = *Sweep(flow);
  EXPECT_EQ(sweep.accept_breaches, 1);
  EXPECT_EQ(sweep.reassigned, 1);
  EXPECT_EQ(events_.types, std::vector<DealEventType>({DealEventType::kAcceptSlaBreached,
                                                       DealEventType::kAssigned}));
  const Opportunity moved = *InTx<Opportunity>([&](SalesTx& tx) { return tx.GetOpportunity(h.opportunity.id); });
  EXPECT_EQ(moved.rep_id, other);
  EXPECT_EQ(flow.AcceptDue(moved), clock_.Now() + absl::Hours(24));  // a full window for bob
  const TimelinePage t = *InTx<TimelinePage>([&](SalesTx& tx) { return tx.ListTimeline(moved.id, {}, 50); });
  ASSERT_EQ(t.entries.back().kind, TimelineEntry::Kind::kAssignment);
  EXPECT_EQ(t.entries.back().assignment.rep_id, other);
  EXPECT_EQ(t.entries.back().assignment.reason, "accept SLA missed by reps/" + first + ": reassigned");
  // The second rep misses it too: back to the first, never to the one who just missed.
  clock_.Advance(absl::Hours(25));
  EXPECT_EQ(Sweep(flow)->reassigned, 1);
  EXPECT_EQ(InTx<Opportunity>([&](SalesTx& tx) { return tx.GetOpportunity(h.opportunity.id); })->rep_id, first);
}

TEST_F(OpportunityWorkflowTest, WithNobodyElseFreeABreachStaysWithItsRep) {
  PipelineConfig config;
  config.reassign_on_accept_breach = true;
  OpportunityWorkflow flow(clock_, config, marketing_, events_);
  const Rep anna = AddRep("anna");
  const HandoffResult h = *Handoff("leads/s");
  clock_.Advance(absl::Hours(25));
  const ServiceLevelSweep sweep = *Sweep(flow);
  EXPECT_EQ(sweep.accept_breaches, 1);
  EXPECT_EQ(sweep.reassigned, 0);
  const Opportunity o = *InTx<Opportunity>([&](SalesTx& tx) { return tx.GetOpportunity(h.opportunity.id); });
  EXPECT_EQ(o.rep_id, anna.id);
  EXPECT_TRUE(o.unassigned_reason.empty());
  EXPECT_EQ(Sweep(flow)->accept_breaches, 0);  // announced once
}

TEST_F(OpportunityWorkflowTest, AWaitingHandoffIsAssignedAsSoonAsARepIsFree) {
  const HandoffResult h = *Handoff("leads/w");
  ASSERT_TRUE(h.opportunity.rep_id.empty());
  EXPECT_EQ(Sweep(flow_)->assigned, 0);
  clock_.Advance(absl::Hours(30));
  const Rep anna = AddRep("anna");
  const ServiceLevelSweep sweep = *Sweep(flow_);
  EXPECT_EQ(sweep.assigned, 1);
  const Opportunity o = *InTx<Opportunity>([&](SalesTx& tx) { return tx.GetOpportunity(h.opportunity.id); });
  EXPECT_EQ(o.rep_id, anna.id);
  EXPECT_EQ(flow_.AcceptDue(o), clock_.Now() + absl::Hours(24));
  EXPECT_TRUE(Levels()->unassigned.empty());
}

TEST_F(OpportunityWorkflowTest, OnlyALostDealIsReopenedWithAReasonAndMarketingHearsOfIt) {
  AddRep("anna");
  const Opportunity o = Accepted();
  auto reopen = [&](Stage to, const std::string& text) {
    return InTx<Opportunity>([&](SalesTx& tx) { return flow_.Reopen(tx, o.id, to, text, ""); });
  };
  EXPECT_EQ(reopen(Stage::kProposal, "budget found").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseLost(tx, o.id, LossReason::kCompetitor, "", "Acme", absl::InfinitePast(), "");
  }).ok());
  EXPECT_EQ(reopen(Stage::kProposal, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reopen(Stage::kClosedWon, "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reopen(Stage::kUnspecified, "x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reopen(Stage::kProposal, std::string(1001, 'x')).status().code(), absl::StatusCode::kInvalidArgument);
  marketing_.outcomes.clear();
  const Opportunity back = *reopen(Stage::kProposal, "budget found");
  EXPECT_EQ(back.stage, Stage::kProposal);
  EXPECT_TRUE(back.is_open());
  EXPECT_EQ(back.loss_reason, LossReason::kUnspecified);
  EXPECT_TRUE(back.competitor.empty());
  EXPECT_EQ(back.close_time, absl::InfinitePast());
  EXPECT_EQ(back.reopen_count, 1);
  std::vector<Outcome> sent;
  for (const OutcomeNotice& n : marketing_.outcomes) sent.push_back(n.outcome);
  EXPECT_EQ(sent, std::vector<Outcome>({Outcome::kReopened, Outcome::kOpportunity}));
  EXPECT_EQ(marketing_.outcomes[0].reason, "budget found");
  // Won deals are final.
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseWon(tx, o.id, Money{100, "EUR"}, absl::InfinitePast(), "");
  }).ok());
  EXPECT_EQ(reopen(Stage::kNew, "again").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(OpportunityWorkflowTest, AReopenNeverMakesASecondOpenDealForALead) {
  AddRep("anna");
  const Opportunity o = Accepted();
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseLost(tx, o.id, LossReason::kTiming, "", "", absl::InfinitePast(), "");
  }).ok());
  const HandoffResult again = *Handoff(o.lead);  // marketing qualified the person again
  ASSERT_FALSE(again.already_open);
  const absl::Status s = InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.Reopen(tx, o.id, Stage::kNew, "they called back", "");
  }).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find(again.opportunity.id), absl::string_view::npos);
}

TEST_F(OpportunityWorkflowTest, TimelineKeepsStagesWithTimeInStageActivitiesAndAssignmentsInTimeOrder) {
  const Rep anna = AddRep("anna");
  const absl::Time t0 = clock_.Now();
  const Opportunity o = Accepted(Consent{true, true});
  auto advance = [&](Stage to) {
    ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) { return flow_.Advance(tx, o.id, to, std::nullopt, ""); }).ok());
  };
  clock_.Advance(absl::Hours(1));
  advance(Stage::kContacted);
  clock_.Advance(absl::Hours(2));
  advance(Stage::kQualified);
  // Logged now, happened half an hour after the handoff: it sorts by when it happened.
  Activity call;
  call.type = ActivityType::kCall;
  call.call_outcome = CallOutcome::kConnected;
  call.summary = "intro call";
  call.time = t0 + absl::Minutes(30);
  ASSERT_TRUE(InTx<Activity>([&](SalesTx& tx) { return flow_.LogActivity(tx, o.id, call, ""); }).ok());
  clock_.Advance(absl::Hours(3));
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseWon(tx, o.id, Money{500, "EUR"}, absl::InfinitePast(), "");
  }).ok());

  std::vector<TimelineEntry> all;
  TimelineCursor cursor;
  for (int pages = 0;; ++pages) {  // pages of two to check the keyset across equal times
    ASSERT_LT(pages, 10);
    const TimelinePage page = *InTx<TimelinePage>([&](SalesTx& tx) { return tx.ListTimeline(o.id, cursor, 2); });
    all.insert(all.end(), page.entries.begin(), page.entries.end());
    if (!page.next) break;
    cursor = *page.next;
  }
  using K = TimelineEntry::Kind;
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0].kind, K::kStageChange);  // created at t0
  EXPECT_EQ(all[0].stage_change.to, Stage::kNew);
  EXPECT_EQ(all[0].stage_change.from, Stage::kUnspecified);
  EXPECT_EQ(all[1].kind, K::kAssignment);  // also at t0, recorded after
  EXPECT_EQ(all[1].assignment.rep_id, anna.id);
  EXPECT_EQ(all[2].kind, K::kActivity);
  EXPECT_EQ(all[2].time, t0 + absl::Minutes(30));
  EXPECT_EQ(all[2].activity.summary, "intro call");
  EXPECT_EQ(all[3].stage_change.to, Stage::kContacted);
  EXPECT_EQ(all[3].stage_change.time_in_from, absl::Hours(1));
  EXPECT_EQ(all[4].stage_change.to, Stage::kQualified);
  EXPECT_EQ(all[4].stage_change.time_in_from, absl::Hours(2));
  EXPECT_EQ(all[5].stage_change.to, Stage::kClosedWon);
  EXPECT_EQ(all[5].stage_change.time_in_from, absl::Hours(3));
  EXPECT_EQ(all[5].stage_change.rep_id, anna.id);
  EXPECT_EQ(all[5].time, t0 + absl::Hours(6));
}

TEST_F(OpportunityWorkflowTest, UpdateSetsForecastFieldsOfOpenDealsOnly) {
  AddRep("anna");
  const Opportunity o = Accepted();
  auto update = [&](const std::string& id, const ForecastPatch& p) {
    return InTx<Opportunity>([&](SalesTx& tx) { return flow_.Update(tx, id, p, ""); });
  };
  EXPECT_EQ(update(o.id, {}).status().code(), absl::StatusCode::kInvalidArgument);
  ForecastPatch bad;
  bad.amount = std::optional<Money>(Money{-5, "EUR"});
  EXPECT_EQ(update(o.id, bad).status().code(), absl::StatusCode::kInvalidArgument);
  ForecastPatch p;
  p.amount = std::optional<Money>(Money{7000, "EUR"});
  p.expected_close = clock_.Now() + absl::Hours(24 * 30);
  p.committed = true;
  const Opportunity u = *update(o.id, p);
  EXPECT_EQ(u.amount.amount_minor, 7000);
  EXPECT_EQ(u.expected_close_time, clock_.Now() + absl::Hours(24 * 30));
  EXPECT_TRUE(u.committed);
  EXPECT_EQ(u.version, o.version + 1);
  EXPECT_EQ(events_.types.back(), DealEventType::kUpdated);
  ForecastPatch clear;
  clear.expected_close = absl::InfinitePast();
  EXPECT_EQ(update(o.id, clear)->expected_close_time, absl::InfinitePast());
  EXPECT_EQ(update("nope", p).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseLost(tx, o.id, LossReason::kPrice, "", "", absl::InfinitePast(), "");
  }).ok());
  EXPECT_EQ(update(o.id, p).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StageProbabilities, ParseSevenPercentagesOrSayWhatIsWrong) {
  const auto p = ParseStageProbabilities("5,15,30,50,75,100,0", "--stage_probabilities");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)[static_cast<int>(Stage::kNew)], 5);
  EXPECT_EQ((*p)[static_cast<int>(Stage::kNegotiation)], 75);
  for (const char* bad : {"10,20,40,60,80,100", "10,20,40,60,80,100,0,0", "10,20,40,60,80,101,0",
                          "10,20,x,60,80,100,0", "10,20,-1,60,80,100,0", ""}) {
    const auto r = ParseStageProbabilities(bad, "--stage_probabilities");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("--stage_probabilities"), absl::string_view::npos);
  }
  const absl::Status s = ParseStageProbabilities("10,20,40,60,80,100,200", "f").status();
  EXPECT_NE(s.message().find("CLOSED_LOST"), absl::string_view::npos);
}

class ReportTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::UnixEpoch()};
  RecordingMarketingGateway g_;
  RecordingDealEventLog events_;
  OpportunityWorkflow flow_{clock_, PipelineConfig{}, g_, events_};
};

TEST_F(ReportTest, PipelineOverallAndByRepMatchHandComputedFigures) {
  const int64_t day = 86'400'000'000;
  const std::vector<PipelineRow> rows = {
      {"a", Stage::kProposal, 2, 10000, 0},            // 60 %
      {"b", Stage::kNegotiation, 1, 3333, 0},          // 80 %
      {"a", Stage::kClosedWon, 2, 6001, 10 * day},     // cycles 4 d + 6 d
      {"b", Stage::kClosedWon, 1, 3000, 3 * day},
      {"b", Stage::kClosedLost, 1, 500, 0},
      {"", Stage::kNew, 4, 0, 0},                      // unassigned: overall only
  };
  const PipelineReport r = BuildPipelineReport(rows, {"a", "b", "c"}, flow_).value();
  const PipelineFigures& all = r.overall;
  EXPECT_EQ(all.stages[static_cast<int>(Stage::kNew)].count, 4);
  EXPECT_EQ(all.stages[static_cast<int>(Stage::kProposal)].weighted_minor, 6000);
  EXPECT_EQ(all.stages[static_cast<int>(Stage::kNegotiation)].weighted_minor, 2666);  // 3333 * 0.8 down
  EXPECT_EQ(all.stages[static_cast<int>(Stage::kClosedLost)].weighted_minor, 0);
  EXPECT_EQ(all.win_rate_basis_points, 7500);              // 3 won / 4 closed
  EXPECT_EQ(all.average_deal_minor, 3000);                 // 9001 / 3 down
  EXPECT_EQ(all.average_sales_cycle, absl::Hours(24 * 13) / 3);  // 13 days / 3 = 4 d 8 h
  ASSERT_EQ(r.by_rep.size(), 3u);
  EXPECT_EQ(r.by_rep[0].first, "a");
  EXPECT_EQ(r.by_rep[0].second.win_rate_basis_points, 10000);
  EXPECT_EQ(r.by_rep[0].second.average_deal_minor, 3000);  // 6001 / 2 down
  EXPECT_EQ(r.by_rep[0].second.average_sales_cycle, absl::Hours(24 * 5));
  EXPECT_EQ(r.by_rep[1].second.win_rate_basis_points, 5000);
  EXPECT_EQ(r.by_rep[1].second.stages[static_cast<int>(Stage::kNegotiation)].weighted_minor, 2666);
  EXPECT_EQ(r.by_rep[1].second.average_sales_cycle, absl::Hours(24 * 3));
  EXPECT_EQ(r.by_rep[2].second.stages[static_cast<int>(Stage::kNew)].count, 0);  // a rep with nothing
  EXPECT_EQ(r.by_rep[2].second.average_sales_cycle, absl::ZeroDuration());
}

TEST_F(ReportTest, ForecastAddsWonWeightedAndCommittedByRep) {
  const std::vector<ForecastRow> rows = {
      {"a", Stage::kClosedWon, 1, 5000, 0},
      {"a", Stage::kProposal, 2, 10000, 4000},   // 60 % of 10000 = 6000
      {"b", Stage::kQualified, 1, 999, 999},     // 40 % of 999 = 399
      {"b", Stage::kNew, 1, 1000, 0},            // 10 % = 100
  };
  const ForecastReport r = BuildForecast(rows, {"a", "b"}, flow_).value();
  EXPECT_EQ(r.overall.won_minor, 5000);
  EXPECT_EQ(r.overall.won_count, 1);
  EXPECT_EQ(r.overall.open_count, 4);
  EXPECT_EQ(r.overall.pipeline_minor, 11999);
  EXPECT_EQ(r.overall.weighted_minor, 5000 + 6000 + 399 + 100);
  EXPECT_EQ(r.overall.committed_minor, 5000 + 4000 + 999);
  EXPECT_EQ(r.by_rep[0].second.weighted_minor, 11000);
  EXPECT_EQ(r.by_rep[0].second.committed_minor, 9000);
  EXPECT_EQ(r.by_rep[1].second.won_minor, 0);
  EXPECT_EQ(r.by_rep[1].second.weighted_minor, 499);
  EXPECT_EQ(r.by_rep[1].second.committed_minor, 999);
}

TEST_F(OpportunityWorkflowTest, StoreFeedsTheForecastOnlyWithDealsOfThePeriodAndCurrency) {
  const Rep anna = AddRep("anna");
  const Opportunity early = Accepted();  // closes before the period
  clock_.Advance(absl::Hours(2));
  const absl::Time start = clock_.Now();
  const absl::Time end = start + absl::Hours(24 * 30);
  auto plan = [&](const Opportunity& o, Money amount, absl::Time close, bool committed) {
    ForecastPatch p;
    p.amount = std::optional<Money>(amount);
    p.expected_close = close;
    p.committed = committed;
    ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) { return flow_.Update(tx, o.id, p, ""); }).ok());
  };
  plan(Accepted(), Money{1000, "EUR"}, start + absl::Hours(24), true);   // in, committed, NEW
  plan(Accepted(), Money{2000, "EUR"}, end, false);                      // end is exclusive
  plan(Accepted(), Money{4000, "USD"}, start + absl::Hours(48), true);   // counted, not summed
  const Opportunity won = Accepted();
  clock_.Advance(absl::Hours(6));  // close times lie in the past, after the deals were made
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseWon(tx, won.id, Money{8000, "EUR"}, start + absl::Hours(5), "");
  }).ok());
  ASSERT_TRUE(InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseWon(tx, early.id, Money{16000, "EUR"}, start - absl::Hours(1), "");
  }).ok());
  const std::vector<ForecastRow> rows = *InTx<std::vector<ForecastRow>>([&](SalesTx& tx) {
    return tx.ForecastRows("", "EUR", start, end);
  });
  const ForecastReport r = BuildForecast(rows, {anna.id}, flow_).value();
  EXPECT_EQ(r.overall.won_minor, 8000);
  EXPECT_EQ(r.overall.won_count, 1);
  EXPECT_EQ(r.overall.open_count, 2);
  EXPECT_EQ(r.overall.pipeline_minor, 1000);
  EXPECT_EQ(r.overall.weighted_minor, 8000 + 100);
  EXPECT_EQ(r.overall.committed_minor, 8000 + 1000);
  EXPECT_EQ(r.by_rep[0].second.committed_minor, 9000);
}

TEST_F(OpportunityWorkflowTest, CloseTimeBeforeTheDealExistedOrInTheFutureIsRefused) {
  AddRep("anna");
  const Opportunity o = Accepted();
  for (absl::Time bad : {o.create_time - absl::Seconds(1), clock_.Now() + absl::Hours(1)}) {
    absl::StatusOr<Opportunity> won = InTx<Opportunity>(
        [&](SalesTx& tx) { return flow_.CloseWon(tx, o.id, Money{100, "EUR"}, bad, ""); });
    EXPECT_EQ(won.status().code(), absl::StatusCode::kInvalidArgument) << won.status();
    EXPECT_NE(won.status().message().find("close_time"), absl::string_view::npos);
    absl::StatusOr<Opportunity> lost = InTx<Opportunity>([&](SalesTx& tx) {
      return flow_.CloseLost(tx, o.id, LossReason::kPrice, "", "", bad, "");
    });
    EXPECT_EQ(lost.status().code(), absl::StatusCode::kInvalidArgument) << lost.status();
  }
  // A clock a little ahead counts as now.
  absl::StatusOr<Opportunity> won = InTx<Opportunity>([&](SalesTx& tx) {
    return flow_.CloseWon(tx, o.id, Money{100, "EUR"}, clock_.Now() + absl::Minutes(1), "");
  });
  ASSERT_TRUE(won.ok()) << won.status();
  EXPECT_EQ(won->close_time, clock_.Now());
}

TEST(SalesSchema, UpgradeFromVersionOneKeepsEveryDealAndBuildsItsTimeline) {
  testing::TempDbPath path;
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  auto us = [&](absl::Duration d) { return std::to_string(absl::ToUnixMicros(t0 + d)); };
  {
    std::unique_ptr<sqlite::Database> v1 =
        *sqlite::Database::Open(path.path(), {SqlSalesStore::SqliteMigrations()[0]});
    sqlite::Transaction tx(*v1);
    ASSERT_TRUE(tx.Exec(
        "INSERT INTO reps(id, display_name, email, territories, capacity, status, last_assigned_seq,"
        " create_us, update_us, version) VALUES('r1', 'Anna', 'anna@x.com', '', 5, 1, 1, 0, 0, 1);"
        "INSERT INTO opportunities(id, lead, email, phone, given_name, family_name, company, title,"
        " country_code, consent_email, consent_phone, consent_sms, consent_mail, do_not_contact,"
        " mkt_score, mkt_campaigns, mkt_touch_count, kind, parent_id, rep_id, unassigned_reason,"
        " acceptance, reject_reason, stage, amount_minor, currency, loss_reason, reason_text,"
        " competitor, handoff_us, accept_us, close_us, create_us, update_us, version, is_open)"
        " VALUES('o1', 'leads/l1', 'p@x.com', '', '', '', '', '', 'DE', 1, 1, 0, 0, 0, 60, '', 2, 1,"
        " '', 'r1', '', 2, 0, 4, 9000, 'EUR', 0, '', '', " + us(absl::ZeroDuration()) + ", " +
        us(absl::Hours(1)) + ", NULL, " + us(absl::ZeroDuration()) + ", " + us(absl::Hours(5)) + ", 4, 1);"
        "INSERT INTO assignments(opportunity_id, rep_id, time_us, reason) VALUES('o1', 'r1', " +
        us(absl::ZeroDuration()) + ", 'automatic assignment');"
        "INSERT INTO activities(id, opportunity_id, type, call_outcome, meeting_status, summary,"
        " next_step, next_step_due_us, time_us, rep_id) VALUES('a1', 'o1', 6, 0, 0, 'note', '', NULL, " +
        us(absl::Hours(2)) + ", 'r1'), ('a2', 'o1', 1, 1, 0, 'call', '', NULL, " + us(absl::Hours(3)) + ", 'r1');")
                    .ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  std::unique_ptr<SqlSalesStore> store = *SqlSalesStore::OpenSqlite(path.path());
  EXPECT_EQ(store->database().schema_version(), static_cast<int>(SqlSalesStore::SqliteMigrations().size()));
  Opportunity o;
  TimelinePage page;
  ASSERT_TRUE(store->Run([&](SalesTx& tx) -> absl::Status {
    absl::StatusOr<Opportunity> got = tx.GetOpportunity("o1");
    if (!got.ok()) return got.status();
    o = *got;
    absl::StatusOr<TimelinePage> t = tx.ListTimeline("o1", {}, 50);
    if (!t.ok()) return t.status();
    page = *t;
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(o.stage, Stage::kProposal);
  EXPECT_EQ(o.amount.amount_minor, 9000);
  EXPECT_EQ(o.first_touch_time, t0 + absl::Hours(3));  // the call, not the note
  EXPECT_EQ(o.pending_since, t0);
  EXPECT_EQ(o.stage_time, t0 + absl::Hours(5));
  using K = TimelineEntry::Kind;
  std::vector<K> kinds;
  for (const TimelineEntry& e : page.entries) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, std::vector<K>({K::kStageChange, K::kAssignment, K::kActivity, K::kActivity, K::kStageChange}));
  EXPECT_EQ(page.entries[3].activity.summary, "call");
  EXPECT_EQ(page.entries[4].stage_change.to, Stage::kProposal);
  EXPECT_EQ(page.entries[4].stage_change.time_in_from, absl::Hours(5));
}

}  // namespace
}  // namespace handoff::sales
