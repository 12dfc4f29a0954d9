#include "marketing-service/domain/lead_workflow.h"

#include <vector>

#include "common/error_details.h"
#include "common/ids.h"
#include "gtest/gtest.h"
#include "marketing-service/domain/campaign_workflow.h"
#include "marketing-service/storage/sql_marketing_store.h"
#include "tests/temp_path.h"

namespace handoff::marketing {
namespace {

// Records what would be sent to sales; writes nothing, like a real gateway would within
// the same transaction.
class RecordingSalesGateway : public SalesGateway {
 public:
  absl::Status QueueHandoff(UnitOfWork&, const HandoffNotice& n) override {
    handoffs.push_back(n);
    return absl::OkStatus();
  }
  absl::Status QueueConsentChange(UnitOfWork&, const Lead& lead) override {
    consent_changes.push_back(lead.id);
    return absl::OkStatus();
  }
  absl::Status QueueContactChange(UnitOfWork&, const Lead& lead) override {
    contact_changes.push_back(lead.contact);
    return absl::OkStatus();
  }
  absl::Status QueueErasure(UnitOfWork&, const Lead& lead) override {
    erasures.push_back(lead.id);
    return absl::OkStatus();
  }
  std::vector<HandoffNotice> handoffs;
  std::vector<Contact> contact_changes;
  std::vector<std::string> consent_changes;
  std::vector<std::string> erasures;
};

class RecordingLeadEventLog : public LeadEventLog {
 public:
  absl::Status Record(UnitOfWork&, LeadEventType type, const Lead&) override {
    types.push_back(type);
    return absl::OkStatus();
  }
  std::vector<LeadEventType> types;
};

class LeadWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *SqlMarketingStore::OpenSqlite(db_.path());
    ASSERT_TRUE(store_->Run([&](MarketingTx& tx) {
      Campaign c;
      c.display_name = "Newsletter";
      c.channel = Channel::kEmail;
      c.budget = Money{1000, "EUR"};
      absl::StatusOr<Campaign> created = CampaignWorkflow(clock_).Create(tx, c);
      if (created.ok()) campaign_ = created->id;
      return created.status();
    }).ok());
  }

  template <typename T, typename Fn>
  absl::StatusOr<T> InTx(Fn fn) {
    absl::StatusOr<T> out = absl::UnknownError("not run");
    absl::Status s = store_->Run([&](MarketingTx& tx) {
      out = fn(tx);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<CaptureResult> Capture(const std::string& email, const std::string& phone = "") {
    CaptureInput in;
    in.contact.email = email;
    in.contact.phone = phone;
    in.campaign_id = campaign_;
    in.capture_id = "cap-" + std::to_string(++captures_);
    return InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); });
  }

  absl::StatusOr<TouchResult> Touch(const std::string& lead, TouchType type, const std::string& id) {
    return InTx<TouchResult>([&](MarketingTx& tx) {
      return leads_.RecordTouch(tx, {lead, campaign_, type, id, absl::InfinitePast()});
    });
  }

  absl::StatusOr<MergeResult> Merge(const std::string& kept, const std::string& gone) {
    return InTx<MergeResult>([&](MarketingTx& tx) { return leads_.Merge(tx, {kept, gone, "", ""}); });
  }

  absl::StatusOr<Lead> Report(const std::string& lead, Outcome o, Money amount = {}, const std::string& reason = "") {
    return InTx<Lead>([&](MarketingTx& tx) {
      return leads_.ReportOutcome(tx, {lead, "opportunities/o-" + lead, o, reason, amount, absl::InfinitePast()});
    });
  }

  Lead Get(const std::string& id) {
    return *InTx<Lead>([&](MarketingTx& tx) { return tx.GetLead(id); });
  }

  int LeadCount() {
    return static_cast<int>(
        InTx<Page<Lead>>([&](MarketingTx& tx) { return tx.ListLeads({}, 0, 500); })->items.size());
  }

  testing::TempDbPath db_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  RecordingSalesGateway sales_;
  RecordingLeadEventLog events_;
  LeadWorkflow leads_{clock_, ScoringPolicy::Default(), sales_, events_};
  std::unique_ptr<SqlMarketingStore> store_;
  std::string campaign_;
  int captures_ = 0;
};

TEST_F(LeadWorkflowTest, CaptureSameEmailDifferentCaseMergesIntoOneLead) {
  const CaptureResult a = *Capture("Ada@Example.com");
  const CaptureResult b = *Capture("  ada@example.COM");
  EXPECT_FALSE(a.merged);
  EXPECT_TRUE(b.merged);
  EXPECT_EQ(b.matched_on, "email");
  EXPECT_EQ(a.lead.id, b.lead.id);
  EXPECT_EQ(b.lead.merged_capture_count, 1);
  EXPECT_EQ(b.lead.touch_count, 2);
  EXPECT_EQ(LeadCount(), 1);
}

TEST_F(LeadWorkflowTest, CaptureMatchesByPhoneWhenEmailIsUnknown) {
  const CaptureResult a = *Capture("", "+44 20 7946 0958");
  const CaptureResult b = *Capture("new@example.com", "+442079460958");
  EXPECT_TRUE(b.merged);
  EXPECT_EQ(b.matched_on, "phone");
  EXPECT_EQ(b.lead.id, a.lead.id);
  EXPECT_EQ(b.lead.contact.email, "new@example.com");  // gap filled
}

TEST_F(LeadWorkflowTest, UtmCodesMapTheCaptureToTheirCampaign) {
  std::string tagged;
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) {
    Campaign c;
    c.display_name = "Spring";
    c.channel = Channel::kSocial;
    c.budget = Money{1000, "EUR"};
    c.utm = UtmCodes{"linkedin", "social", "spring"};
    absl::StatusOr<Campaign> created = CampaignWorkflow(clock_).Create(tx, c);
    if (created.ok()) tagged = created->id;
    return created.status();
  }).ok());
  CaptureInput in;
  in.contact.email = "utm@example.com";
  in.utm = UtmCodes{"LinkedIn", "social", "Spring"};
  in.capture_id = "u1";
  const CaptureResult r = *InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); });
  EXPECT_EQ(r.campaign_id, tagged);
  EXPECT_EQ(r.lead.source_campaign_id, tagged);
  // Unknown codes do not lose the lead.
  in.contact.email = "other@example.com";
  in.utm.campaign = "nope";
  in.capture_id = "u2";
  const CaptureResult unknown = *InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); });
  EXPECT_EQ(unknown.campaign_id, "");
  EXPECT_EQ(unknown.lead.source_campaign_id, "");
}

TEST_F(LeadWorkflowTest, PolicyUpdatesAreVersionedAndScoreFromThenOn) {
  const std::string id = Capture("ada@example.com")->lead.id;  // 15
  const ScoringPolicy v1 = *InTx<ScoringPolicy>([&](MarketingTx& tx) { return leads_.CurrentPolicy(tx); });
  EXPECT_EQ(v1.version, 1);
  ScoringPolicy lower = ScoringPolicy::Default();
  lower.mql_threshold = 20;
  EXPECT_EQ(InTx<ScoringPolicy>([&](MarketingTx& tx) { return leads_.UpdatePolicy(tx, lower, 7); }).status().code(),
            absl::StatusCode::kAborted);
  const ScoringPolicy v2 = *InTx<ScoringPolicy>([&](MarketingTx& tx) { return leads_.UpdatePolicy(tx, lower, 1); });
  EXPECT_EQ(v2.version, 2);
  // Both versions stay readable.
  EXPECT_EQ(InTx<ScoringPolicy>([&](MarketingTx& tx) { return leads_.Policy(tx, 1); })->mql_threshold, 50);
  EXPECT_EQ(InTx<ScoringPolicy>([&](MarketingTx& tx) { return leads_.Policy(tx, 2); })->mql_threshold, 20);
  EXPECT_EQ(InTx<ScoringPolicy>([&](MarketingTx& tx) { return leads_.Policy(tx, 3); }).status().code(),
            absl::StatusCode::kNotFound);
  // The next touch scores under version 2: 15 + 5 >= 20 makes an MQL.
  const TouchResult t = *Touch(id, TouchType::kAdClick, "a1");
  EXPECT_EQ(t.lead.stage, LifecycleStage::kMql);
  EXPECT_EQ(sales_.handoffs.size(), 1u);
}

TEST_F(LeadWorkflowTest, SubscriberBecomesALeadAtItsFirstBuyingSignal) {
  CaptureInput in;
  in.contact.email = "reader@example.com";
  in.subscribe_only = true;
  in.capture_id = "s1";
  const CaptureResult sub = *InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); });
  EXPECT_EQ(sub.lead.stage, LifecycleStage::kSubscriber);
  in.capture_id = "s2";  // another newsletter sign-up changes nothing
  EXPECT_EQ(InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); })->lead.stage,
            LifecycleStage::kSubscriber);
  const TouchResult t = *Touch(sub.lead.id, TouchType::kContentDownload, "d1");
  EXPECT_EQ(t.lead.stage, LifecycleStage::kLead);
  EXPECT_EQ(std::count(events_.types.begin(), events_.types.end(), LeadEventType::kEngaged), 1);
}

TEST_F(LeadWorkflowTest, DisqualifiedLeadGetsNoOutreachAndNoHandoff) {
  const std::string id = Capture("rival@example.com")->lead.id;
  EXPECT_EQ(InTx<Lead>([&](MarketingTx& tx) { return leads_.Disqualify(tx, id, ""); }).status().code(),
            absl::StatusCode::kInvalidArgument);
  const Lead d = *InTx<Lead>([&](MarketingTx& tx) { return leads_.Disqualify(tx, id, "competitor"); });
  EXPECT_EQ(d.stage, LifecycleStage::kDisqualified);
  EXPECT_EQ(InTx<Lead>([&](MarketingTx& tx) { return leads_.Disqualify(tx, id, "again"); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, id, Consent{true}); }).ok());
  EXPECT_EQ(Touch(id, TouchType::kEmailSent, "e1").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Touch(id, TouchType::kEventAttended, "v1").ok());  // inbound still recorded...
  ASSERT_TRUE(Touch(id, TouchType::kEventAttended, "v2").ok());
  EXPECT_TRUE(sales_.handoffs.empty());  // ...but never handed off
}

TEST_F(LeadWorkflowTest, SalesLeadCannotBeDisqualifiedByMarketing) {
  const std::string id = Capture("busy@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).ok());
  absl::Status s = InTx<Lead>([&](MarketingTx& tx) { return leads_.Disqualify(tx, id, "x"); }).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("RejectOpportunity"), absl::string_view::npos);
}

TEST_F(LeadWorkflowTest, InvalidCaptureWritesNothing) {
  EXPECT_EQ(Capture("broken").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LeadCount(), 0);
}

TEST_F(LeadWorkflowTest, CrossingTheThresholdMakesAnMqlAndQueuesOneHandoff) {
  const std::string id = Capture("ada@example.com")->lead.id;  // 15
  EXPECT_EQ(Touch(id, TouchType::kEventAttended, "e1")->lead.stage, LifecycleStage::kLead);  // 40
  const TouchResult t = *Touch(id, TouchType::kContentDownload, "d1");                       // 50
  EXPECT_EQ(t.lead.score, 50);
  EXPECT_EQ(t.lead.stage, LifecycleStage::kMql);
  EXPECT_EQ(t.lead.owner, Owner::kSalesPending);
  ASSERT_EQ(sales_.handoffs.size(), 1u);
  EXPECT_EQ(sales_.handoffs[0].campaign_ids, std::vector<std::string>({campaign_}));
  EXPECT_EQ(events_.types, std::vector<LeadEventType>({LeadEventType::kCaptured, LeadEventType::kTouched,
                                                       LeadEventType::kTouched, LeadEventType::kHandedOff}));
  ASSERT_TRUE(Touch(id, TouchType::kWebVisit, "w1").ok());
  EXPECT_EQ(sales_.handoffs.size(), 1u);  // no second handoff while with sales
}

TEST_F(LeadWorkflowTest, RepeatedTouchIdIsANoOp) {
  const std::string id = Capture("ada@example.com")->lead.id;
  EXPECT_FALSE(Touch(id, TouchType::kWebVisit, "w1")->duplicate);
  const TouchResult again = *Touch(id, TouchType::kWebVisit, "w1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.lead.touch_count, 2);
  EXPECT_EQ(again.lead.score, 17);
}

TEST_F(LeadWorkflowTest, OutboundEmailNeedsConsentAndIsRefusedWhileSalesOwnsTheLead) {
  const std::string id = Capture("ada@example.com")->lead.id;
  absl::Status s = Touch(id, TouchType::kEmailSent, "s1").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("consent.email"), absl::string_view::npos);
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, id, Consent{true}); }).ok());
  EXPECT_TRUE(Touch(id, TouchType::kEmailSent, "s2").ok());
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).ok());
  s = Touch(id, TouchType::kEmailSent, "s3").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("owned by sales"), absl::string_view::npos);
}

TEST_F(LeadWorkflowTest, EachOutboundChannelNeedsItsOwnConsent) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, id, Consent{true, false, false, true}); }).ok());
  EXPECT_TRUE(Touch(id, TouchType::kEmailSent, "e").ok());
  EXPECT_TRUE(Touch(id, TouchType::kMailSent, "m").ok());
  for (auto [type, consent] : {std::pair{TouchType::kSmsSent, "consent.sms"},
                               std::pair{TouchType::kCallMade, "consent.phone"}}) {
    absl::Status s = Touch(id, type, std::string("x-") + consent).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find(consent), absl::string_view::npos) << s.message();
  }
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) {
    return leads_.UpdateConsent(tx, id, Consent{true, true, true, true, true});
  }).ok());
  absl::Status s = Touch(id, TouchType::kEmailSent, "dnc").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("do_not_contact"), absl::string_view::npos);
  EXPECT_TRUE(Touch(id, TouchType::kWebVisit, "inbound").ok());  // inbound is always recorded
}

TEST_F(LeadWorkflowTest, OutboundCapHoldsAcrossCampaignsAndChannelsWithinTheWindow) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, id, Consent{true, false, false, true}); }).ok());
  ASSERT_TRUE(Touch(id, TouchType::kEmailSent, "1").ok());
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(Touch(id, TouchType::kMailSent, "2").ok());
  clock_.Advance(absl::Hours(24));
  ASSERT_TRUE(Touch(id, TouchType::kEmailSent, "3").ok());
  absl::Status s = Touch(id, TouchType::kEmailSent, "4").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("cap 3"), absl::string_view::npos) << s.message();
  EXPECT_EQ(InTx<Lead>([&](MarketingTx& tx) { return tx.GetLead(id); })->touch_count, 4);  // not recorded
  // A week after the first one, a slot is free again.
  clock_.Advance(absl::Hours(24 * 5) + absl::Seconds(1));
  EXPECT_TRUE(Touch(id, TouchType::kEmailSent, "5").ok());
  EXPECT_FALSE(Touch(id, TouchType::kEmailSent, "6").ok());
}

TEST_F(LeadWorkflowTest, ConsentChangeIsPassedToSalesOnlyOnceSalesKnowsTheLead) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, id, Consent{true}); }).ok());
  EXPECT_TRUE(sales_.consent_changes.empty());
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, "call me"); }).ok());
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, id, Consent{}); }).ok());
  EXPECT_EQ(sales_.consent_changes, std::vector<std::string>({id}));
}

TEST_F(LeadWorkflowTest, UpdateContactChangesOnlyTheNamedFieldsNormalisedAndTellsSalesOnceItKnows) {
  const Lead lead = Capture("grace@example.com", "+49 30 111")->lead;
  ContactPatch patch;
  patch.contact.email = "  Grace.Hopper@Example.COM ";
  patch.contact.company = "ignored: not named";
  patch.fields = {"email"};
  absl::StatusOr<Lead> updated = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, lead.id, patch); });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->contact.email, "grace.hopper@example.com");
  EXPECT_EQ(updated->contact.phone, lead.contact.phone);
  EXPECT_EQ(updated->contact.company, "");
  EXPECT_EQ(updated->version, lead.version + 1);
  EXPECT_EQ(events_.types.back(), LeadEventType::kContactUpdated);
  EXPECT_TRUE(sales_.contact_changes.empty());  // sales never had the lead
  // The new e-mail finds the lead; the old one no longer does.
  EXPECT_EQ(Capture("grace.hopper@example.com")->lead.id, lead.id);

  // A stale etag changes nothing.
  patch.contact.email = "other@example.com";
  patch.etag = EtagOf(lead.version);
  absl::Status stale = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, lead.id, patch); }).status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(stale), "STALE_ETAG");

  // Another lead's e-mail: the two are one person, and nothing changes.
  const Lead other = Capture("ada@example.com")->lead;
  patch.contact.email = "ADA@example.com";
  patch.etag.clear();
  absl::Status taken = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, lead.id, patch); }).status();
  EXPECT_EQ(taken.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(taken), "CONTACT_TAKEN");
  EXPECT_NE(taken.message().find("leads/" + other.id), std::string::npos) << taken;

  // Clearing both e-mail and phone is refused.
  patch.contact = Contact{};
  patch.fields = {"email", "phone"};
  absl::Status empty = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, lead.id, patch); }).status();
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);

  // Once sales has had the lead, the correction is queued for its snapshot.
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, lead.id, "call"); }).ok());
  patch.contact.title = "Rear Admiral";
  patch.fields = {"title"};
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, lead.id, patch); }).ok());
  ASSERT_EQ(sales_.contact_changes.size(), 1u);
  EXPECT_EQ(sales_.contact_changes[0].title, "Rear Admiral");
  EXPECT_EQ(sales_.contact_changes[0].email, "grace.hopper@example.com");
  // The same values again change nothing and send nothing.
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, lead.id, patch); }).ok());
  EXPECT_EQ(sales_.contact_changes.size(), 1u);
}

TEST_F(LeadWorkflowTest, OutcomesMoveTheLeadAndOwnership) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).ok());
  auto report = [&](Outcome o, const std::string& reason, Money amount) {
    return InTx<Lead>([&](MarketingTx& tx) {
      return leads_.ReportOutcome(tx, {id, "opportunities/o1", o, reason, amount, absl::InfinitePast()});
    });
  };
  // WON before accepted is refused and changes nothing.
  EXPECT_EQ(report(Outcome::kWon, "", Money{100, "EUR"}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(report(Outcome::kLost, "", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(report(Outcome::kSalesQualified, "", {}).status().code(), absl::StatusCode::kFailedPrecondition);
  const Lead accepted = *report(Outcome::kAccepted, "", {});
  EXPECT_EQ(accepted.stage, LifecycleStage::kSalesAccepted);
  EXPECT_EQ(accepted.owner, Owner::kSales);
  EXPECT_EQ(report(Outcome::kSalesQualified, "", {})->stage, LifecycleStage::kSalesQualified);
  EXPECT_EQ(report(Outcome::kOpportunity, "", {})->stage, LifecycleStage::kOpportunity);
  EXPECT_EQ(report(Outcome::kWon, "", Money{0, "EUR"}).status().code(), absl::StatusCode::kInvalidArgument);
  const Lead won = *report(Outcome::kWon, "", Money{5000, "EUR"});
  EXPECT_EQ(won.stage, LifecycleStage::kCustomer);
  EXPECT_EQ(won.owner, Owner::kMarketing);
  EXPECT_EQ(won.won_revenue.amount_minor, 5000);
  // A won upsell adds revenue to the customer.
  EXPECT_EQ(report(Outcome::kWon, "", Money{700, "EUR"})->won_revenue.amount_minor, 5700);
  const std::vector<StageChange> history =
      *InTx<std::vector<StageChange>>([&](MarketingTx& tx) { return tx.StageHistory(id); });
  ASSERT_EQ(history.size(), 6u);
  EXPECT_EQ(history[0].stage, LifecycleStage::kLead);
  EXPECT_EQ(history[1].stage, LifecycleStage::kMql);
  EXPECT_EQ(history[2].stage, LifecycleStage::kSalesAccepted);
  EXPECT_EQ(history[3].stage, LifecycleStage::kSalesQualified);
  EXPECT_EQ(history[4].stage, LifecycleStage::kOpportunity);
  EXPECT_EQ(history[5].stage, LifecycleStage::kCustomer);
}

TEST_F(LeadWorkflowTest, RejectionRecyclesTheLeadWithTheReason) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).ok());
  const Lead l = *InTx<Lead>([&](MarketingTx& tx) {
    return leads_.ReportOutcome(tx, {id, "opportunities/o1", Outcome::kRejected, "no budget", {}, absl::InfinitePast()});
  });
  EXPECT_EQ(l.stage, LifecycleStage::kRecycled);
  EXPECT_EQ(l.owner, Owner::kMarketing);
  EXPECT_TRUE(l.ever_rejected);
  EXPECT_EQ(l.last_outcome_reason, "no budget");
  // A recycled lead is not bounced straight back by new touches; QualifyLead brings it back.
  ASSERT_TRUE(Touch(id, TouchType::kEventAttended, "e1").ok());
  ASSERT_TRUE(Touch(id, TouchType::kEventAttended, "e2").ok());
  EXPECT_EQ(sales_.handoffs.size(), 1u);
}

TEST_F(LeadWorkflowTest, AReopenedLostDealTakesTheLeadBackToSales) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).ok());
  auto report = [&](Outcome o, const std::string& reason) {
    return InTx<Lead>([&](MarketingTx& tx) {
      return leads_.ReportOutcome(tx, {id, "opportunities/o1", o, reason, {}, absl::InfinitePast()});
    });
  };
  // Nothing to reopen while marketing has never lost it to sales... nor while sales owns it.
  ASSERT_TRUE(report(Outcome::kAccepted, "").ok());
  EXPECT_EQ(report(Outcome::kReopened, "budget found").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(report(Outcome::kLost, "price")->stage, LifecycleStage::kRecycled);
  const Lead back = *report(Outcome::kReopened, "budget found");
  EXPECT_EQ(back.stage, LifecycleStage::kSalesAccepted);
  EXPECT_EQ(back.owner, Owner::kSales);
  EXPECT_EQ(back.last_outcome, Outcome::kReopened);
  EXPECT_EQ(report(Outcome::kOpportunity, "")->stage, LifecycleStage::kOpportunity);
}

TEST_F(LeadWorkflowTest, EraseRemovesPersonalDataButKeepsTheCounts) {
  CaptureInput in;
  in.contact.email = "ada@example.com";
  in.contact.phone = "+44 20 7946 0958";
  in.contact.given_name = "Ada";
  in.contact.country_code = "GB";
  in.campaign_id = campaign_;
  in.capture_id = "c1";
  const std::string id = InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); })->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, id, ""); }).ok());
  const Lead erased = *InTx<Lead>([&](MarketingTx& tx) { return leads_.Erase(tx, id); });
  EXPECT_TRUE(erased.erased);
  EXPECT_EQ(erased.contact.email, "");
  EXPECT_EQ(erased.contact.phone, "");
  EXPECT_EQ(erased.contact.given_name, "");
  EXPECT_EQ(erased.contact.country_code, "GB");
  EXPECT_TRUE(erased.consent.do_not_contact);
  EXPECT_EQ(sales_.erasures, std::vector<std::string>({id}));  // sales had the lead
  const CampaignCounts counts = *InTx<CampaignCounts>([&](MarketingTx& tx) {
    return tx.CountForCampaign(campaign_, absl::InfinitePast(), absl::InfiniteFuture());
  });
  EXPECT_EQ(counts.leads, 1);
  EXPECT_EQ(counts.mqls, 1);
  // Erasing again changes nothing and tells sales nothing new.
  EXPECT_EQ(InTx<Lead>([&](MarketingTx& tx) { return leads_.Erase(tx, id); })->version, erased.version);
  EXPECT_EQ(sales_.erasures.size(), 1u);
}

TEST_F(LeadWorkflowTest, ErasedPersonComesBackOnlyWithFreshConsent) {
  const std::string id = Capture("ada@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Erase(tx, id); }).ok());
  EXPECT_TRUE(sales_.erasures.empty());  // never handed off: nothing to tell sales
  absl::Status s = Capture("ADA@example.com").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("fresh consent"), absl::string_view::npos);
  EXPECT_EQ(LeadCount(), 1);  // nothing written
  CaptureInput in;
  in.contact.email = "ada@example.com";
  in.consent.email = true;
  in.capture_id = "fresh";
  const CaptureResult back = *InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); });
  EXPECT_FALSE(back.merged);
  EXPECT_NE(back.lead.id, id);
  EXPECT_TRUE(back.lead.consent.email);
}

TEST_F(LeadWorkflowTest, MergeMovesTouchesConsentAndCountsAndLeavesAPointer) {
  const std::string a = Capture("ada@work.example")->lead.id;                     // 15
  const std::string b = Capture("ada@home.example", "+44 20 7946 0958")->lead.id;  // 15
  ASSERT_TRUE(Touch(b, TouchType::kWebVisit, "w1").ok());                          // +2
  // The person's latest word on consent was given on b.
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateConsent(tx, b, Consent{true}); }).ok());
  events_.types.clear();

  const MergeResult r = *Merge(a, b);
  EXPECT_EQ(r.lead.id, a);
  EXPECT_EQ(r.lead.touch_count, 3);
  EXPECT_EQ(r.lead.merged_capture_count, 1);
  EXPECT_EQ(r.lead.score, 32);
  EXPECT_EQ(r.lead.stage, LifecycleStage::kLead);
  EXPECT_EQ(r.lead.contact.email, "ada@work.example");
  EXPECT_EQ(r.lead.contact.phone, "+442079460958");  // a gap filled from b
  EXPECT_TRUE(r.lead.consent.email);
  EXPECT_EQ(r.merged_lead.merged_into, a);
  EXPECT_EQ(r.merged_lead.contact.email, "ada@home.example");  // kept for lookups
  EXPECT_EQ(r.merged_lead.contact.phone, "");                  // a has it now
  EXPECT_EQ(r.merged_lead.touch_count, 0);
  EXPECT_EQ(r.merged_lead.source_campaign_id, "");
  EXPECT_EQ(events_.types, std::vector<LeadEventType>({LeadEventType::kLeadsMerged, LeadEventType::kLeadsMerged}));

  EXPECT_EQ(InTx<Page<marketing::Touch>>([&](MarketingTx& tx) { return tx.ListTouches(a, 0, 10); })->items.size(), 3u);
  EXPECT_TRUE(InTx<Page<marketing::Touch>>([&](MarketingTx& tx) { return tx.ListTouches(b, 0, 10); })->items.empty());
  const Page<ConsentChange> consent =
      *InTx<Page<ConsentChange>>([&](MarketingTx& tx) { return tx.ListConsentChanges(a, 0, 10); });
  ASSERT_EQ(consent.items.size(), 2u);
  EXPECT_EQ(consent.items[0].method, "LeadService/UpdateConsent");  // b's, moved
  EXPECT_EQ(consent.items[1].method, "LeadService/MergeLeads");
  EXPECT_EQ(consent.items[1].provenance.source, "merge:leads/" + b);
  // The campaign had one person: b's capture counts as a merged capture.
  const CampaignCounts counts = *InTx<CampaignCounts>([&](MarketingTx& tx) {
    return tx.CountForCampaign(campaign_, absl::InfinitePast(), absl::InfiniteFuture());
  });
  EXPECT_EQ(counts.leads, 1);
  EXPECT_EQ(counts.merged_captures, 1);
  const FunnelCounts funnel = *InTx<FunnelCounts>([&](MarketingTx& tx) { return tx.GetFunnelCounts(); });
  EXPECT_EQ(funnel.current[static_cast<int>(LifecycleStage::kLead)], 1);

  // b's e-mail still finds the person; b itself takes no more changes.
  EXPECT_EQ(Capture("ada@home.example")->lead.id, a);
  absl::Status touched = Touch(b, TouchType::kWebVisit, "w2").status();
  EXPECT_EQ(touched.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(touched), "LEAD_MERGED");
  EXPECT_NE(touched.message().find("leads/" + a), std::string::npos) << touched;
  EXPECT_EQ(ReasonOf(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, b, ""); }).status()), "LEAD_MERGED");

  // A retry answers the same and writes nothing; the other way round is refused.
  const Lead now_a = Get(a);
  const MergeResult again = *Merge(a, b);
  EXPECT_EQ(again.lead.version, now_a.version);
  EXPECT_EQ(again.merged_lead.version, r.merged_lead.version);
  EXPECT_EQ(ReasonOf(Merge(b, a).status()), "LEAD_MERGED");
  EXPECT_EQ(Merge(a, a).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Merge(a, "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LeadWorkflowTest, MergeRefusesALeadWithSalesAndSendsItsLaterOutcomesAndErasureToTheLeadKept) {
  const std::string a = Capture("a@example.com")->lead.id;
  const std::string b = Capture("b@example.com")->lead.id;
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Qualify(tx, b, ""); }).ok());
  const Lead a_before = Get(a);
  absl::Status pending = Merge(a, b).status();
  EXPECT_EQ(pending.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(pending), "OWNED_BY_SALES");
  EXPECT_EQ(Get(a).version, a_before.version);  // nothing written
  EXPECT_EQ(Get(b).merged_into, "");

  ASSERT_TRUE(Report(b, Outcome::kAccepted).ok());
  ASSERT_TRUE(Report(b, Outcome::kWon, Money{500, "EUR"}).ok());  // b is a customer, back with marketing
  const MergeResult r = *Merge(a, b);
  EXPECT_EQ(r.lead.won_revenue.amount_minor, 500);
  EXPECT_EQ(r.lead.won_count, 1);
  EXPECT_TRUE(r.lead.ever_mql);
  EXPECT_EQ(r.lead.opportunity, "opportunities/o-" + b);
  EXPECT_EQ(r.lead.stage, LifecycleStage::kLead);
  // Sales knows the person as b: the merged contact and consent go there too.
  ASSERT_FALSE(sales_.consent_changes.empty());
  EXPECT_EQ(sales_.consent_changes.back(), b);

  // Sales wins an upsell on b: the revenue is the person's; a keeps its own stage.
  const Lead upsell = *Report(b, Outcome::kWon, Money{300, "EUR"});
  EXPECT_EQ(upsell.id, a);
  EXPECT_EQ(upsell.won_revenue.amount_minor, 800);
  EXPECT_EQ(upsell.won_count, 2);
  EXPECT_EQ(upsell.stage, LifecycleStage::kLead);
  EXPECT_EQ(Get(b).won_count, 0);
  // An outcome that fits a moves it as usual: a is not with sales, so ACCEPTED is refused.
  EXPECT_EQ(ReasonOf(Report(a, Outcome::kAccepted).status()), "OUTCOME_OUT_OF_ORDER");

  // Erasing either erases the person: both leads, and sales is told under both names.
  sales_.erasures.clear();
  const Lead erased = *InTx<Lead>([&](MarketingTx& tx) { return leads_.Erase(tx, b); });
  EXPECT_EQ(erased.id, a);
  EXPECT_TRUE(erased.erased);
  EXPECT_TRUE(Get(b).erased);
  EXPECT_EQ(Get(b).contact.email, "");
  EXPECT_EQ(sales_.erasures, std::vector<std::string>({b, a}));
  EXPECT_EQ(Capture("b@example.com").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LeadWorkflowTest, MergedLeadsValuesMoveToTheLeadKeptAndNoMergeChains) {
  const std::string a = Capture("a@example.com")->lead.id;
  const std::string b = Capture("b@example.com")->lead.id;
  const std::string c = Capture("c@example.com")->lead.id;
  ASSERT_TRUE(Merge(a, b).ok());
  ContactPatch patch;
  patch.contact.email = "b@example.com";
  patch.fields = {"email"};
  // c cannot take the person's e-mail; the error names the lead kept.
  absl::Status taken = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, c, patch); }).status();
  EXPECT_EQ(ReasonOf(taken), "CONTACT_TAKEN");
  EXPECT_NE(taken.message().find("leads/" + a), std::string::npos) << taken;
  // a can: b lets it go.
  absl::StatusOr<Lead> moved = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, a, patch); });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->contact.email, "b@example.com");
  EXPECT_EQ(Get(b).contact.email, "");
  // a merged into c: b now points to c directly.
  ASSERT_TRUE(Merge(c, a).ok());
  EXPECT_EQ(Get(b).merged_into, c);
  EXPECT_EQ(Get(a).merged_into, c);
  EXPECT_EQ(Get(c).touch_count, 3);
  EXPECT_EQ(Get(c).merged_capture_count, 2);
  EXPECT_EQ(Capture("b@example.com")->lead.id, c);
}

TEST_F(LeadWorkflowTest, ExternalIdNamesThePersonInCapturesUpdatesAndUpserts) {
  auto capture = [&](const std::string& email, const std::string& external_id) {
    CaptureInput in;
    in.contact.email = email;
    in.external_id = external_id;
    in.capture_id = "cap-" + std::to_string(++captures_);
    return InTx<CaptureResult>([&](MarketingTx& tx) { return leads_.Capture(tx, in); });
  };
  const CaptureResult a = *capture("a@example.com", "crm-1");
  EXPECT_EQ(a.lead.external_id, "crm-1");
  // The caller's id names the person, whatever the e-mail.
  const CaptureResult again = *capture("a.other@example.com", "crm-1");
  EXPECT_TRUE(again.merged);
  EXPECT_EQ(again.matched_on, "external_id");
  EXPECT_EQ(again.lead.id, a.lead.id);
  EXPECT_EQ(again.lead.contact.email, "a@example.com");
  // A lead found by e-mail without one takes it; one with another id refuses.
  const std::string b = Capture("b@example.com")->lead.id;
  EXPECT_EQ(capture("b@example.com", "crm-2")->lead.external_id, "crm-2");
  const int before = LeadCount();
  absl::Status conflict = capture("b@example.com", "crm-3").status();
  EXPECT_EQ(conflict.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(conflict), "EXTERNAL_ID_CONFLICT");
  EXPECT_EQ(LeadCount(), before);
  EXPECT_EQ(capture("c@example.com", "no spaces please").status().code(), absl::StatusCode::kInvalidArgument);

  ContactPatch take;
  take.external_id = "crm-2";
  absl::Status taken = InTx<Lead>([&](MarketingTx& tx) { return leads_.UpdateContact(tx, a.lead.id, take); }).status();
  EXPECT_EQ(ReasonOf(taken), "EXTERNAL_ID_TAKEN");
  EXPECT_NE(taken.message().find("leads/" + b), std::string::npos) << taken;

  auto upsert = [&](const std::string& key, const std::string& email, const std::string& title) {
    UpsertLeadInput in;
    in.capture.external_id = key;
    in.capture.contact.email = email;
    in.capture.contact.title = title;
    in.capture.capture_id = "up-" + std::to_string(++captures_);
    in.patch.contact.title = title;
    in.patch.fields = {"title"};
    return InTx<UpsertLeadResult>([&](MarketingTx& tx) { return leads_.Upsert(tx, in); });
  };
  const UpsertLeadResult corrected = *upsert("crm-1", "", "CTO");
  EXPECT_FALSE(corrected.created);
  EXPECT_EQ(corrected.lead.id, a.lead.id);
  EXPECT_EQ(corrected.lead.contact.title, "CTO");
  const UpsertLeadResult made = *upsert("crm-9", "new@example.com", "CFO");
  EXPECT_TRUE(made.created);
  EXPECT_EQ(made.lead.external_id, "crm-9");
  EXPECT_EQ(made.lead.contact.title, "CFO");
  EXPECT_EQ(made.lead.touch_count, 1);  // captured
  EXPECT_EQ(ReasonOf(upsert("crm-10", "a@example.com", "VP").status()), "EXTERNAL_ID_CONFLICT");
  EXPECT_EQ(upsert("", "x@example.com", "").status().code(), absl::StatusCode::kInvalidArgument);

  // Merged away, a lead's id still reaches the person; erasure forgets the ids.
  ASSERT_TRUE(Merge(b, a.lead.id).ok());
  EXPECT_EQ(Get(a.lead.id).external_id, "crm-1");  // b has its own
  EXPECT_EQ(upsert("crm-1", "", "CEO")->lead.id, b);
  ASSERT_TRUE(InTx<Lead>([&](MarketingTx& tx) { return leads_.Erase(tx, b); }).ok());
  EXPECT_EQ(Get(a.lead.id).external_id, "");
  EXPECT_EQ(Get(b).external_id, "");
}

}  // namespace
}  // namespace handoff::marketing
