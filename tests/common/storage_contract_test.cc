// The storage contract both backends keep: what the stores and the outbox promise their
// callers, run unchanged on SQLite (handoff_unit_tests) and on PostgreSQL
// (handoff_postgres_unit_tests, built with HANDOFF_TEST_POSTGRES: a server of its own per
// test process).

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/sql/outbox_store.h"
#include "common/sql/unit_of_work.h"
#include "gtest/gtest.h"
#include "marketing-service/storage/sql_marketing_store.h"
#include "sales-service/storage/sql_sales_store.h"
#include "tests/temp_path.h"
#ifdef HANDOFF_TEST_POSTGRES
#include "common/postgres/database.h"
#include "tests/postgres_server.h"
#endif

namespace handoff {
namespace {

using marketing::Campaign;
using marketing::MarketingTx;
using marketing::SqlMarketingStore;

class StorageContract : public ::testing::Test {
 protected:
#ifdef HANDOFF_TEST_POSTGRES
  static void SetUpTestSuite() {
    server_ = new testing::PostgresServer();
    ASSERT_TRUE(server_->Start()) << server_->Log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // A new, empty database of the server.
  std::string NewUrl(const std::string& service) {
    const std::string name = service + std::to_string(++databases_);
    EXPECT_TRUE(server_->CreateDatabase(name));
    return server_->Url(name);
  }
  static DatabaseOptions Options() {
    DatabaseOptions o;
    o.password = testing::PostgresServer::kPassword;
    return o;
  }
  static inline testing::PostgresServer* server_ = nullptr;
  static inline int databases_ = 0;
#else
  std::string NewUrl(const std::string& service) { return "sqlite:" + path_.path() + "-" + service; }
  static DatabaseOptions Options() { return DatabaseOptions(); }
  testing::TempDbPath path_;
#endif

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SqlMarketingStore>> store = SqlMarketingStore::Open(NewUrl("marketing"), Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  static Campaign NewCampaign(const std::string& id) {
    Campaign c;
    c.id = id;
    c.display_name = "Campaign " + id;
    c.channel = marketing::Channel::kEmail;
    c.state = marketing::CampaignState::kActive;
    c.budget = Money{1'000'000, "EUR"};
    c.create_time = c.update_time = absl::FromUnixSeconds(1'800'000'000);
    return c;
  }

  absl::StatusOr<Campaign> GetCampaign(const std::string& id) {
    absl::StatusOr<Campaign> out = absl::UnknownError("not read");
    absl::Status s = store_->Read([&](MarketingTx& tx) {
      out = tx.GetCampaign(id);
      return out.status();
    });
    if (!s.ok()) return s;
    return out;
  }

  std::unique_ptr<SqlMarketingStore> store_;
};

TEST_F(StorageContract, AFailedTransactionLeavesNothingAndAUniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("c1")); }).ok());
  const absl::Status s = store_->Run([](MarketingTx& tx) -> absl::Status {
    if (absl::Status s = tx.InsertCampaign(NewCampaign("c2")); !s.ok()) return s;
    return tx.InsertCampaign(NewCampaign("c1"));  // the id is taken
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_TRUE(GetCampaign("c1").ok());
  EXPECT_EQ(GetCampaign("c2").status().code(), absl::StatusCode::kNotFound) << "c2 outlived its rolled-back transaction";
  // The store is usable after the failure.
  EXPECT_TRUE(store_->Run([](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("c3")); }).ok());
}

TEST_F(StorageContract, ARequestIdIsStoredWithTheChangeAndFoundAgain) {
  const RequestRecord r{"req-1", "M/Method", "f00", std::string("\0\x01\xff bytes", 9), absl::FromUnixSeconds(1)};
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.SaveRequest(r); }).ok());
  EXPECT_EQ(store_->Run([&](MarketingTx& tx) { return tx.SaveRequest(r); }).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->Read([&](MarketingTx& tx) -> absl::Status {
    absl::StatusOr<std::optional<RequestRecord>> found = tx.FindRequest("req-1");
    EXPECT_TRUE(found.ok() && found->has_value());
    if (found.ok() && found->has_value()) {
      EXPECT_EQ((*found)->response, r.response);  // binary bytes round-trip
      EXPECT_EQ((*found)->fingerprint, "f00");
    }
    return absl::OkStatus();
  }).ok());
  // Erasure forgets answers holding the erased bytes.
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) { return tx.ForgetResponsesContaining({"\xff by"}); }).ok());
  ASSERT_TRUE(store_->Read([&](MarketingTx& tx) -> absl::Status {
    EXPECT_FALSE(tx.FindRequest("req-1")->has_value());
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(*sql::PruneRequestLog(store_->database(), absl::FromUnixSeconds(2), 10), 0);
}

TEST_F(StorageContract, TheOutboxKeepsOrderPerKeyAndRecordsEveryFate) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    for (const char* id : {"a1", "b1", "a2"}) {
      OutboxMessage m;
      m.message_id = id;
      m.topic = "handoff";
      m.key = std::string(1, id[0]);
      m.payload = std::string("\0payload", 8);
      m.create_time = m.next_attempt_time = t0;
      if (absl::Status s = tx.Enqueue(m); !s.ok()) return s;
    }
    return absl::OkStatus();
  }).ok());
  SqlOutboxStore outbox(store_->database());
  std::vector<OutboxMessage> due = *outbox.Due(t0, 10);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].message_id, "a1");
  EXPECT_EQ(due[1].message_id, "b1");
  EXPECT_EQ(due[2].message_id, "a2");
  EXPECT_EQ(due[0].payload, std::string("\0payload", 8));
  // a1 waits: a2 is held back behind it; b1 is delivered.
  ASSERT_TRUE(outbox.Reschedule(due[0].sequence, t0 + absl::Seconds(10), 1, 0, "UNAVAILABLE").ok());
  ASSERT_TRUE(outbox.MarkDelivered(due[1].sequence).ok());
  due = *outbox.Due(t0 + absl::Seconds(1), 10);
  EXPECT_TRUE(due.empty());
  EXPECT_EQ(**outbox.NextDue(), t0);  // a2 is due, though held back behind a1
  due = *outbox.Due(t0 + absl::Seconds(10), 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].last_error, "UNAVAILABLE");
  ASSERT_TRUE(outbox.Park(due[0].sequence, "refused for good").ok());
  OutboxBacklog b = *outbox.Backlog(t0 + absl::Seconds(20));
  EXPECT_EQ(b.pending, 1);
  EXPECT_EQ(b.parked, 1);
  EXPECT_EQ(b.oldest_age, absl::Seconds(20));
  Page<OutboxMessage> parked = *outbox.ListParked(0, 10);
  ASSERT_EQ(parked.items.size(), 1u);
  EXPECT_EQ(parked.items[0].message_id, "a1");
  EXPECT_EQ(*outbox.Requeue({}, t0 + absl::Seconds(30)), 1);
  EXPECT_EQ(outbox.Backlog(t0 + absl::Seconds(30))->parked, 0);
}

// Writers on several threads append events while a reader follows them: the reader sees
// every event once, numbered 1, 2, 3, ... without a gap, whatever the commit order.
TEST_F(StorageContract, EventsAreReadInOrderWithoutGapsWhileWritersRace) {
  constexpr int kWriters = 4;
  constexpr int kEach = 40;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const absl::Status s = store_->Run([&](MarketingTx& tx) {
          return tx.AppendEvent(EventRecord{0, "T", "w" + std::to_string(w) + "/" + std::to_string(i), "p",
                                            absl::FromUnixSeconds(1)});
        });
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  std::thread closer([&] {
    for (std::thread& t : writers) t.join();
    done = true;
  });
  int64_t after = 0;
  int seen = 0;
  while (true) {
    const bool last = done;
    absl::StatusOr<std::vector<EventRecord>> events = store_->ReadEvents(after, 7);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const EventRecord& e : *events) {
      ASSERT_EQ(e.sequence, after + 1) << "a gap or a repeat after " << after;
      after = e.sequence;
      ++seen;
    }
    if (last && events->empty()) break;
  }
  closer.join();
  EXPECT_EQ(seen, kWriters * kEach);
}

// Read-modify-write of one row from several threads loses no update.
TEST_F(StorageContract, ConcurrentUpdatesOfOneRowLoseNothing) {
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("hot")); }).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const absl::Status s = store_->Run([](MarketingTx& tx) -> absl::Status {
          absl::StatusOr<Campaign> c = tx.GetCampaign("hot");
          if (!c.ok()) return c.status();
          c->spent_minor += 1;
          return tx.UpdateCampaign(*c);
        });
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(GetCampaign("hot")->spent_minor, 100);
}

#ifdef HANDOFF_TEST_POSTGRES
// Two processes' worth of stores (two pools, as two replicas have) updating one row at
// once: SERIALIZABLE catches every conflict, the store runs the losing transaction again,
// and no update is lost; past the bound a call is ABORTED, never a wrong figure.
TEST_F(StorageContract, ConflictsBetweenTwoPoolsAreRetriedAndLoseNothing) {
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("shared")); }).ok());
  const std::string url = server_->Url("marketing" + std::to_string(databases_));
  std::unique_ptr<SqlMarketingStore> other = *SqlMarketingStore::Open(url, Options());
  std::atomic<int> applied{0}, aborted{0};
  std::vector<std::thread> threads;
  for (SqlMarketingStore* s : {store_.get(), other.get()}) {
    threads.emplace_back([&, s] {
      for (int i = 0; i < 50; ++i) {
        const absl::Status r = s->Run([](MarketingTx& tx) -> absl::Status {
          absl::StatusOr<Campaign> c = tx.GetCampaign("shared");
          if (!c.ok()) return c.status();
          absl::SleepFor(absl::Milliseconds(2));  // both pools hold a read of the row
          c->spent_minor += 1;
          return tx.UpdateCampaign(*c);
        });
        if (r.ok()) {
          ++applied;
        } else {
          EXPECT_EQ(r.code(), absl::StatusCode::kAborted) << r;
          ++aborted;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(GetCampaign("shared")->spent_minor, applied.load()) << aborted << " aborted";
  EXPECT_GT(applied.load(), 90);
  const auto retries = [](SqlMarketingStore& s) {
    return static_cast<postgres::Database&>(s.database()).retries();
  };
  EXPECT_GT(retries(*store_) + retries(*other), 0) << "the two pools never conflicted: the test proves nothing";
  std::printf("[contract] two pools, 2 x 50 updates of one row: %d applied, %d aborted, %lld runs again\n", applied.load(),
              aborted.load(), static_cast<long long>(retries(*store_) + retries(*other)));
}
#endif

// A read transaction sees one state: a write committed while it runs is not seen by it.
TEST_F(StorageContract, AReadSeesOneSnapshot) {
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("snap")); }).ok());
  // (The read transaction's own outcome is not part of the contract once a write in it
  // failed: SQLite ends it normally, PostgreSQL reports the aborted transaction.)
  (void)store_->Read([&](MarketingTx& tx) -> absl::Status {
    EXPECT_EQ(tx.GetCampaign("snap")->spent_minor, 0);
    std::thread writer([&] {
      EXPECT_TRUE(store_->Run([](MarketingTx& w) -> absl::Status {
        Campaign c = *w.GetCampaign("snap");
        c.spent_minor = 5;
        return w.UpdateCampaign(c);
      }).ok());
    });
    writer.join();
    EXPECT_EQ(tx.GetCampaign("snap")->spent_minor, 0);
    // Writing in a read transaction fails.
    EXPECT_FALSE(tx.InsertCampaign(NewCampaign("nope")).ok());
    return absl::OkStatus();
  });
  EXPECT_EQ(GetCampaign("snap")->spent_minor, 5);
  EXPECT_EQ(GetCampaign("nope").status().code(), absl::StatusCode::kNotFound);
}

// A sum past 64 bits is OUT_OF_RANGE, not a wrapped figure.
TEST_F(StorageContract, ASumPast64BitsIsOutOfRange) {
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) -> absl::Status {
    if (absl::Status s = tx.InsertCampaign(NewCampaign("big")); !s.ok()) return s;
    for (int i = 0; i < 3; ++i) {
      marketing::SpendEntry e;
      e.campaign_id = "big";
      e.amount_minor = 4'000'000'000'000'000'000;
      e.note = "n";
      e.time = absl::FromUnixSeconds(1'800'000'000);
      if (absl::Status s = tx.InsertSpend(e); !s.ok()) return s;
    }
    return absl::OkStatus();
  }).ok());
  const absl::Status s = store_->Read([](MarketingTx& tx) {
    return tx.SpendBetween("big", absl::InfinitePast(), absl::InfiniteFuture()).status();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
}

// Sales' store on the same backend: the rotation counter counts, and the database itself
// keeps one open new-business opportunity per lead.
TEST_F(StorageContract, SalesCountsItsRotationAndMigratesToTheNewestSchema) {
  absl::StatusOr<std::unique_ptr<sales::SqlSalesStore>> sales = sales::SqlSalesStore::Open(NewUrl("sales"), Options());
  ASSERT_TRUE(sales.ok()) << sales.status();
  std::vector<int64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*sales)->Run([&](sales::SalesTx& tx) -> absl::Status {
      absl::StatusOr<int64_t> n = tx.NextAssignmentSeq();
      if (n.ok()) seqs.push_back(*n);
      return n.status();
    }).ok());
  }
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2, 3}));
  const std::vector<sql::Migration> migrations = store_->database().dialect() == sql::Dialect::kSqlite
                                                     ? SqlMarketingStore::SqliteMigrations()
                                                     : SqlMarketingStore::PostgresMigrations();
  EXPECT_EQ(store_->database().schema_version(), migrations.back().version);
}

}  // namespace
}  // namespace handoff
