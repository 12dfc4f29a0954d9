#include "marketing-service/domain/campaign_workflow.h"

#include "common/error_details.h"
#include "common/ids.h"
#include "gtest/gtest.h"
#include "marketing-service/domain/campaign_report.h"
#include "marketing-service/storage/sql_marketing_store.h"
#include "tests/temp_path.h"

namespace handoff::marketing {
namespace {

class CampaignWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = *SqlMarketingStore::OpenSqlite(db_.path()); }

  Campaign Draft() {
    Campaign c;
    c.display_name = "Trade show";
    c.channel = Channel::kEvent;
    c.budget = Money{100000, "EUR"};
    return c;
  }

  absl::StatusOr<Campaign> Create(Campaign c) {
    absl::StatusOr<Campaign> out;
    absl::Status s = store_->Run([&](MarketingTx& tx) {
      out = campaigns_.Create(tx, c);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<Campaign> Spend(const SpendRequest& r) {
    absl::StatusOr<Campaign> out;
    absl::Status s = store_->Run([&](MarketingTx& tx) {
      out = campaigns_.RecordSpend(tx, r);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<UpsertResult> Upsert(const Campaign& c, const CampaignPatch& p) {
    absl::StatusOr<UpsertResult> out = absl::UnknownError("not run");
    absl::Status s = store_->Run([&](MarketingTx& tx) {
      out = campaigns_.Upsert(tx, c, p);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  absl::StatusOr<Campaign> Update(const std::string& id, const CampaignPatch& p) {
    absl::StatusOr<Campaign> out;
    absl::Status s = store_->Run([&](MarketingTx& tx) {
      out = campaigns_.Update(tx, id, p);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  Campaign Stored(const std::string& id) {
    Campaign c;
    EXPECT_TRUE(store_->Run([&](MarketingTx& tx) {
      absl::StatusOr<Campaign> got = tx.GetCampaign(id);
      if (got.ok()) c = *got;
      return got.status();
    }).ok());
    return c;
  }

  testing::TempDbPath db_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  CampaignWorkflow campaigns_{clock_};
  std::unique_ptr<SqlMarketingStore> store_;
};

TEST_F(CampaignWorkflowTest, CreateDefaultsToDraftAndRefusesMissingFields) {
  absl::StatusOr<Campaign> c = Create(Draft());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->state, CampaignState::kDraft);
  Campaign no_channel = Draft();
  no_channel.channel = Channel::kUnspecified;
  EXPECT_EQ(Create(no_channel).status().code(), absl::StatusCode::kInvalidArgument);
  Campaign bad_currency = Draft();
  bad_currency.budget.currency = "euro";
  absl::Status s = Create(bad_currency).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("campaign.budget.currency_code"), absl::string_view::npos);
  Campaign completed = Draft();
  completed.state = CampaignState::kCompleted;
  EXPECT_EQ(Create(completed).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CampaignWorkflowTest, SpendIsCappedByBudgetUnlessExplicitlyAllowedWithReason) {
  const Campaign c = *Create(Draft());
  EXPECT_EQ(Spend({c.id, Money{60000, "EUR"}, "booth", "alice", false, ""})->spent_minor, 60000);
  absl::Status over = Spend({c.id, Money{50000, "EUR"}, "", "", false, ""}).status();
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored(c.id).spent_minor, 60000);  // nothing written
  EXPECT_EQ(Spend({c.id, Money{50000, "EUR"}, "", "", true, ""}).status().code(),
            absl::StatusCode::kInvalidArgument);  // reason required
  EXPECT_EQ(Spend({c.id, Money{50000, "EUR"}, "", "", true, "extra hall"})->spent_minor, 110000);
}

TEST_F(CampaignWorkflowTest, SpendRefusesWrongCurrencyAndNonPositiveAmounts) {
  const Campaign c = *Create(Draft());
  EXPECT_EQ(Spend({c.id, Money{100, "USD"}, "", "", false, ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Spend({c.id, Money{0, "EUR"}, "", "", false, ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Spend({"nope", Money{10, "EUR"}, "", "", false, ""}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CampaignWorkflowTest, StateTransitionsAreValidated) {
  const Campaign c = *Create(Draft());
  CampaignPatch to_paused;
  to_paused.state = CampaignState::kPaused;
  EXPECT_EQ(Update(c.id, to_paused).status().code(), absl::StatusCode::kFailedPrecondition);
  CampaignPatch to_active;
  to_active.state = CampaignState::kActive;
  EXPECT_EQ(Update(c.id, to_active)->state, CampaignState::kActive);
  EXPECT_EQ(Update(c.id, to_paused)->state, CampaignState::kPaused);
  CampaignPatch to_draft;
  to_draft.state = CampaignState::kDraft;
  EXPECT_EQ(Update(c.id, to_draft).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CampaignWorkflowTest, StaleEtagIsAbortedAndArchivedIsReadOnly) {
  const Campaign c = *Create(Draft());
  CampaignPatch rename;
  rename.display_name = "Renamed";
  rename.etag = EtagOf(c.version);
  ASSERT_TRUE(Update(c.id, rename).ok());
  EXPECT_EQ(Update(c.id, rename).status().code(), absl::StatusCode::kAborted);  // same etag again
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return campaigns_.Archive(tx, c.id).status(); }).ok());
  CampaignPatch later;
  later.display_name = "Later";
  EXPECT_EQ(Update(c.id, later).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Spend({c.id, Money{10, "EUR"}, "", "", false, ""}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CampaignWorkflowTest, BudgetCannotDropBelowSpend) {
  const Campaign c = *Create(Draft());
  ASSERT_TRUE(Spend({c.id, Money{40000, "EUR"}, "", "", false, ""}).ok());
  CampaignPatch shrink;
  shrink.budget = Money{30000, "EUR"};
  EXPECT_EQ(Update(c.id, shrink).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Stored(c.id).budget.amount_minor, 100000);
}

TEST_F(CampaignWorkflowTest, ParentMustExistAndMayNotMakeACycle) {
  const Campaign programme = *Create(Draft());
  Campaign child = Draft();
  child.parent_id = "missing";
  EXPECT_EQ(Create(child).status().code(), absl::StatusCode::kNotFound);
  child.parent_id = programme.id;
  const Campaign c = *Create(child);
  EXPECT_EQ(c.parent_id, programme.id);
  CampaignPatch loop;
  loop.parent = c.id;  // programme -> child -> programme
  absl::Status s = Update(programme.id, loop).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("cycle"), absl::string_view::npos);
  CampaignPatch self;
  self.parent = programme.id;
  EXPECT_EQ(Update(programme.id, self).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Stored(programme.id).parent_id, "");
}

TEST_F(CampaignWorkflowTest, UtmCodesAreNormalisedAndUnique) {
  Campaign a = Draft();
  a.utm = UtmCodes{" Newsletter", "EMAIL", "Spring-Launch "};
  const Campaign created = *Create(a);
  EXPECT_EQ(created.utm.source, "newsletter");
  EXPECT_EQ(created.utm.campaign, "spring-launch");
  Campaign b = Draft();
  b.utm = UtmCodes{"newsletter", "email", "spring-launch"};
  absl::Status s = Create(b).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("spring-launch"), absl::string_view::npos);
  b.utm.campaign = "autumn";
  EXPECT_TRUE(Create(b).ok());
}

TEST_F(CampaignWorkflowTest, EverySpendEntryIsKeptWithWhoAndWhy) {
  const Campaign c = *Create(Draft());
  ASSERT_TRUE(Spend({c.id, Money{60000, "EUR"}, "booth", "alice", false, ""}).ok());
  ASSERT_TRUE(Spend({c.id, Money{50000, "EUR"}, "hall", "bob", true, "bigger hall"}).ok());
  const Page<SpendEntry> page = *[&]() -> absl::StatusOr<Page<SpendEntry>> {
    absl::StatusOr<Page<SpendEntry>> out;
    absl::Status s = store_->Run([&](MarketingTx& tx) {
      out = tx.ListSpend(c.id, 0, 50);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }();
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].recorded_by, "alice");
  EXPECT_EQ(page.items[0].note, "booth");
  EXPECT_EQ(page.items[1].amount_minor, 50000);
  EXPECT_EQ(page.items[1].over_budget_reason, "bigger hall");
  EXPECT_EQ(page.items[1].time, clock_.Now());
}

TEST(DerivePerformance, MatchesHandComputedRatios) {
  CampaignCounts counts;
  counts.leads = 8;
  counts.won = 3;
  counts.revenue_minor = 90000;
  const CampaignPerformance p = DerivePerformance(counts, Money{40000, "EUR"});
  EXPECT_EQ(p.cost_per_lead.amount_minor, 5000);          // 40000 / 8
  EXPECT_EQ(p.cost_per_acquisition.amount_minor, 13333);  // 40000 / 3, rounded down
  EXPECT_EQ(p.roi_basis_points, 12500);                   // (90000 - 40000) / 40000
  const CampaignPerformance none = DerivePerformance(CampaignCounts{}, Money{0, "EUR"});
  EXPECT_EQ(none.cost_per_lead.amount_minor, 0);
  EXPECT_EQ(none.roi_basis_points, 0);
}

TEST_F(CampaignWorkflowTest, ExternalIdsAreUniqueAndUpsertCreatesOrUpdatesByThem) {
  Campaign c = Draft();
  c.external_id = "ads:123";
  const Campaign first = *Create(c);
  EXPECT_EQ(Stored(first.id).external_id, "ads:123");
  absl::Status taken = Create(c).status();
  EXPECT_EQ(taken.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(taken), "EXTERNAL_ID_TAKEN");
  EXPECT_NE(taken.message().find("campaigns/" + first.id), std::string::npos) << taken;
  c.external_id = "has space";
  EXPECT_EQ(Create(c).status().code(), absl::StatusCode::kInvalidArgument);
  c.external_id = std::string(129, 'x');
  EXPECT_EQ(Create(c).status().code(), absl::StatusCode::kInvalidArgument);

  // Upsert by an id no campaign has: created as Create would.
  c.external_id = "ads:456";
  CampaignPatch rename;
  rename.display_name = "Trade show 2027";
  const UpsertResult made = *Upsert(c, rename);
  EXPECT_TRUE(made.created);
  EXPECT_EQ(made.campaign.display_name, "Trade show");
  // Again: the same campaign, changed as Update would.
  const UpsertResult changed = *Upsert(c, rename);
  EXPECT_FALSE(changed.created);
  EXPECT_EQ(changed.campaign.id, made.campaign.id);
  EXPECT_EQ(changed.campaign.display_name, "Trade show 2027");
  c.external_id.clear();
  EXPECT_EQ(Upsert(c, rename).status().code(), absl::StatusCode::kInvalidArgument);

  // Update moves an external_id only to a free value; empty clears it.
  CampaignPatch move;
  move.external_id = "ads:123";
  EXPECT_EQ(ReasonOf(Update(made.campaign.id, move).status()), "EXTERNAL_ID_TAKEN");
  move.external_id = "";
  EXPECT_EQ(Update(first.id, move)->external_id, "");
  move.external_id = "ads:123";
  EXPECT_EQ(Update(made.campaign.id, move)->external_id, "ads:123");
}

}  // namespace
}  // namespace handoff::marketing
