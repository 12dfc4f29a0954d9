#include "sales-service/domain/opportunity_workflow.h"

#include <vector>

#include "common/ids.h"
#include "gtest/gtest.h"
#include "sales-service/domain/pipeline_report.h"
#include "sales-service/storage/sqlite_sales_store.h"
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
  void SetUp() override { store_ = *SqliteSalesStore::Open(db_.path()); }

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

  testing::TempDbPath db_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  RecordingMarketingGateway marketing_;
  RecordingDealEventLog events_;
  OpportunityWorkflow flow_{clock_, PipelineConfig{}, marketing_, events_};
  std::unique_ptr<SqliteSalesStore> store_;
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

TEST_F(OpportunityWorkflowTest, PendingHandoffsPastTheAcceptSlaAreBreaches) {
  const HandoffResult h = *Handoff("leads/x");
  clock_.Advance(absl::Hours(23));
  EXPECT_TRUE(InTx<std::vector<SlaBreach>>([&](SalesTx& tx) {
    return flow_.AcceptSlaBreaches(tx, absl::Hours(24), 50);
  })->empty());
  clock_.Advance(absl::Hours(2));
  const std::vector<SlaBreach> b = *InTx<std::vector<SlaBreach>>([&](SalesTx& tx) {
    return flow_.AcceptSlaBreaches(tx, absl::Hours(24), 50);
  });
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].opportunity.id, h.opportunity.id);
  EXPECT_EQ(b[0].overdue, absl::Hours(1));
  EXPECT_EQ(b[0].opportunity.unassigned_reason, "no reps exist");
}

TEST(BuildPipelineReport, MatchesHandComputedFigures) {
  FakeClock clock(absl::UnixEpoch());
  RecordingMarketingGateway g;
  RecordingDealEventLog events;
  OpportunityWorkflow flow(clock, PipelineConfig{}, g, events);
  std::vector<StageTotals> totals(kStageMax + 1);
  totals[static_cast<int>(Stage::kProposal)] = {2, 10000};    // 60 %
  totals[static_cast<int>(Stage::kClosedWon)] = {3, 9001};
  totals[static_cast<int>(Stage::kClosedLost)] = {1, 500};
  const PipelineReport r = BuildPipelineReport(totals, flow);
  EXPECT_EQ(r.stages[static_cast<int>(Stage::kProposal)].weighted_minor, 6000);
  EXPECT_EQ(r.stages[static_cast<int>(Stage::kClosedLost)].weighted_minor, 0);
  EXPECT_EQ(r.win_rate_basis_points, 7500);  // 3 / 4
  EXPECT_EQ(r.average_deal_minor, 3000);     // 9001 / 3 rounded down
}

}  // namespace
}  // namespace handoff::sales
