// The funnel the store keeps with every stage change (and the one the schema upgrade
// builds from existing history) must equal BuildFunnel, the definition, on any history.
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sqlite/database.h"
#include "gtest/gtest.h"
#include "marketing-service/domain/funnel_report.h"
#include "marketing-service/storage/sql_marketing_store.h"
#include "tests/temp_path.h"

namespace handoff::marketing {
namespace {

using S = LifecycleStage;

// Random walks along the lifecycle, with loops (recycled, back to MQL) and repeats.
class FunnelProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = *SqlMarketingStore::OpenSqlite(db_.path()); }

  // Writes `leads` leads whose steps interleave (history ids mix leads), each lead's
  // times strictly increasing.
  void WriteRandomHistory(int leads, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Lead> all(leads);
    std::vector<absl::Time> clock(leads, absl::FromUnixSeconds(1'700'000'000));
    ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
      for (int i = 0; i < leads; ++i) {
        all[i].id = absl::StrCat("lead-", seed, "-", i);
        all[i].contact.email = absl::StrCat("p", seed, "-", i, "@example.org");
        all[i].stage = rng() % 5 == 0 ? S::kSubscriber : S::kLead;
        all[i].create_time = all[i].update_time = clock[i];
        if (absl::Status s = tx.InsertLead(all[i]); !s.ok()) return s;
        if (absl::Status s = tx.AppendStageChange(all[i].id, {all[i].stage, clock[i], "captured"}); !s.ok()) {
          return s;
        }
      }
      for (int step = 0; step < leads * 4; ++step) {
        Lead& l = all[rng() % leads];
        const int k = static_cast<int>(l.stage);
        S next;
        switch (rng() % 4) {
          case 0: next = static_cast<S>(1 + rng() % kLifecycleStageMax); break;  // anywhere
          case 1: next = l.stage; break;                                           // a repeat
          default: next = static_cast<S>(std::min(kLifecycleStageMax, k + 1));    // forward
        }
        const size_t i = static_cast<size_t>(&l - all.data());
        clock[i] += absl::Minutes(1 + static_cast<int64_t>(rng() % 100000));
        l.stage = next;
        if (absl::Status s = tx.AppendStageChange(l.id, {next, clock[i], "walk"}); !s.ok()) return s;
        if (absl::Status s = tx.UpdateLead(l); !s.ok()) return s;
        ++l.version;
      }
      return absl::OkStatus();
    }).ok());
  }

  // The definition, from the whole stored history.
  FunnelReport Expected() {
    std::vector<LeadStageChange> history;
    std::array<int64_t, kLifecycleStageMax + 1> now{};
    sql::Database& db = store_->database();
    EXPECT_TRUE(db.Read([&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<sql::Statement> q =
          tx.Prepare("SELECT lead_id, stage, time_us FROM lead_stage_history ORDER BY lead_id, id");
      if (!q.ok()) return q.status();
      while (*q->Step()) history.push_back({q->Text(0), static_cast<S>(q->Int(1)), q->Time(2)});
      absl::StatusOr<sql::Statement> c = tx.Prepare("SELECT stage, COUNT(*) FROM leads GROUP BY stage");
      if (!c.ok()) return c.status();
      while (*c->Step()) now[c->Int(0)] = c->Int(1);
      return absl::OkStatus();
    }).ok());
    return BuildFunnel(history, now);
  }

  FunnelReport Kept() {
    FunnelReport r;
    const absl::Status s = store_->Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<FunnelReport> read = ReadFunnel(tx);
      if (read.ok()) r = *read;
      return read.status();
    });
    EXPECT_TRUE(s.ok()) << s;
    return r;
  }

  static void ExpectSame(const FunnelReport& want, const FunnelReport& got) {
    for (int s = 1; s <= kLifecycleStageMax; ++s) {
      SCOPED_TRACE(absl::StrCat("stage ", s));
      EXPECT_EQ(got.stages[s].now, want.stages[s].now);
      EXPECT_EQ(got.stages[s].ever_entered, want.stages[s].ever_entered);
      EXPECT_EQ(got.stages[s].median_time, want.stages[s].median_time);
    }
    ASSERT_EQ(got.conversions.size(), want.conversions.size());
    for (size_t i = 0; i < want.conversions.size(); ++i) {
      SCOPED_TRACE(absl::StrCat("conversion ", i));
      EXPECT_EQ(got.conversions[i].from, want.conversions[i].from);
      EXPECT_EQ(got.conversions[i].to, want.conversions[i].to);
      EXPECT_EQ(got.conversions[i].entered, want.conversions[i].entered);
      EXPECT_EQ(got.conversions[i].converted, want.conversions[i].converted);
      EXPECT_EQ(got.conversions[i].rate_basis_points, want.conversions[i].rate_basis_points);
    }
  }

  testing::TempDbPath db_;
  std::unique_ptr<SqlMarketingStore> store_;
};

TEST_F(FunnelProjectionTest, KeptFunnelEqualsTheDefinitionOnRandomHistories) {
  // Three batches into one store: the projection accumulates across transactions.
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    WriteRandomHistory(60, seed);
    const FunnelReport want = Expected();
    EXPECT_GT(want.conversions[0].converted, 0);  // the walk does exercise conversions
    ExpectSame(want, Kept());
  }
}

TEST_F(FunnelProjectionTest, UpgradeBuildsTheFunnelFromExistingHistory) {
  WriteRandomHistory(80, 7);
  const FunnelReport want = Expected();
  // Back to version 5 (undoing 6 to 16): the projections did not exist, only the history.
  store_.reset();
  {
    std::unique_ptr<sqlite::Database> db =
        *sqlite::Database::Open(db_.path(), SqlMarketingStore::SqliteMigrations());
    sqlite::Transaction tx(*db);
    ASSERT_TRUE(tx.Exec("DROP TABLE funnel_stages; DROP TABLE funnel_conversions; DROP TABLE stage_stays;"
                        " DROP TABLE attributed_revenue; DROP TABLE attribution_backfill;"
                        " DROP INDEX leads_by_campaign_time; DROP INDEX touches_by_campaign;"
                        " CREATE INDEX touches_by_campaign ON touches(campaign_id, merged_capture);"
                        " ALTER TABLE outbox DROP COLUMN refusals; ALTER TABLE outbox DROP COLUMN budget_since_us;"
                        " DROP TABLE outbox_claims; DROP INDEX outbox_by_key; DROP TABLE audit_log;"
                        " DROP INDEX leads_by_update; DROP TABLE consent_changes; DROP INDEX campaigns_by_update;"
                        " DROP INDEX leads_by_merged_into; ALTER TABLE leads DROP COLUMN merged_into;"
                        " DROP INDEX leads_by_external_id; ALTER TABLE leads DROP COLUMN external_id;"
                        " DROP INDEX campaigns_by_external_id; ALTER TABLE campaigns DROP COLUMN external_id;"
                        " ALTER TABLE leads DROP COLUMN merge_us; ALTER TABLE outbox DROP COLUMN traceparent;"
                        " DELETE FROM schema_migrations WHERE version >= 6;")
                    .ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  store_ = *SqlMarketingStore::OpenSqlite(db_.path());
  EXPECT_EQ(store_->database().schema_version(), static_cast<int>(SqlMarketingStore::SqliteMigrations().size()));
  ExpectSame(want, Kept());
  // The lead counts behind the handoff_leads gauge agree with the rebuilt funnel.
  int64_t counted = 0;
  ASSERT_TRUE(store_->Read([&](MarketingTx& tx) -> absl::Status {
    absl::StatusOr<std::vector<LeadCount>> c = tx.CountLeads();
    if (!c.ok()) return c.status();
    for (const LeadCount& l : *c) {
      counted += l.leads;
      EXPECT_EQ(l.leads, want.stages[static_cast<int>(l.stage)].now) << static_cast<int>(l.stage);
    }
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(counted, 80);
}

TEST_F(FunnelProjectionTest, EmptyStoreHasAnEmptyFunnel) {
  const FunnelReport r = Kept();
  for (int s = 1; s <= kLifecycleStageMax; ++s) {
    EXPECT_EQ(r.stages[s].now, 0);
    EXPECT_FALSE(r.stages[s].median_time.has_value());
  }
  ASSERT_EQ(r.conversions.size(), 3u);
  EXPECT_EQ(r.conversions[0].rate_basis_points, 0);
}

}  // namespace
}  // namespace handoff::marketing
