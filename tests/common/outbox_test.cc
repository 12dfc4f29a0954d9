#include "common/outbox.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/sql/outbox_store.h"
#include "common/sql/unit_of_work.h"
#include "common/sqlite/database.h"
#include "gtest/gtest.h"
#include "marketing-service/storage/sql_marketing_store.h"

namespace handoff {
namespace {

// The request log, outbox and events tables, as a service has them.
std::vector<sql::Migration> UnitOfWorkMigrations() { return marketing::SqlMarketingStore::SqliteMigrations(); }

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("outbox-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    std::filesystem::remove(path_);
    db_ = *sqlite::Database::Open(path_, UnitOfWorkMigrations());
    store_ = std::make_unique<SqlOutboxStore>(*db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  void Enqueue(const std::string& id, const std::string& key) {
    sqlite::Transaction tx(*db_);
    OutboxMessage m;
    m.message_id = id;
    m.topic = "t";
    m.key = key;
    m.payload = std::string("\0bin", 4);
    m.create_time = m.next_attempt_time = clock_.Now();
    ASSERT_TRUE(sql::Enqueue(tx, m).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }

  FakeClock clock_{absl::FromUnixSeconds(1'000'000)};
  std::string path_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<SqlOutboxStore> store_;
};

TEST_F(OutboxTest, DeliversInOrderAndAFailureHoldsBackOnlyItsKey) {
  Enqueue("a1", "lead-a");
  Enqueue("b1", "lead-b");
  Enqueue("a2", "lead-a");
  std::vector<std::string> delivered;  // keys go out in parallel: guarded by mu
  absl::Mutex mu;
  std::atomic<bool> fail_a{true};
  OutboxDispatcher d(*store_, [&](const OutboxMessage& m) {
    EXPECT_EQ(m.payload, std::string("\0bin", 4));
    if (m.key == "lead-a" && fail_a) return absl::UnavailableError("down");
    absl::MutexLock lock(&mu);
    delivered.push_back(m.message_id);
    return absl::OkStatus();
  }, clock_, {});
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>({"b1"}));
  // a1 waits for its back-off; a2 must not overtake it.
  fail_a = false;
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>({"b1"}));
  clock_.Advance(absl::Seconds(1));
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>({"b1", "a1", "a2"}));
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 0);
}

TEST_F(OutboxTest, DeliversSeveralKeysAtOnceEachInOrder) {
  for (int n = 1; n <= 3; ++n) {
    for (int k = 0; k < 8; ++k) Enqueue(absl::StrCat("k", k, "-", n), absl::StrCat("key-", k));
  }
  absl::Mutex mu;
  std::map<std::string, std::vector<std::string>> by_key;
  int in_flight = 0, most_in_flight = 0;
  OutboxDispatcher d(*store_, [&](const OutboxMessage& m) {
    {
      absl::MutexLock lock(&mu);
      most_in_flight = std::max(most_in_flight, ++in_flight);
    }
    absl::SleepFor(absl::Milliseconds(20));
    absl::MutexLock lock(&mu);
    --in_flight;
    by_key[m.key].push_back(m.message_id);
    return absl::OkStatus();
  }, clock_, {});
  d.DeliverDue();
  ASSERT_EQ(by_key.size(), 8u);
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(by_key[absl::StrCat("key-", k)],
              std::vector<std::string>({absl::StrCat("k", k, "-1"), absl::StrCat("k", k, "-2"),
                                        absl::StrCat("k", k, "-3")}));
  }
  EXPECT_GT(most_in_flight, 1) << "keys were delivered one at a time";
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 0);
}

TEST_F(OutboxTest, RetryableFailureBacksOffExponentially) {
  Enqueue("a1", "k");
  int attempts = 0;
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    ++attempts;
    return absl::UnavailableError("down");
  }, clock_, {absl::Milliseconds(100), absl::Seconds(30), absl::Seconds(1), 100});
  d.DeliverDue();
  EXPECT_EQ(attempts, 1);
  const absl::Time first_retry = *(*store_->NextDue());
  EXPECT_GE(first_retry - clock_.Now(), absl::Milliseconds(50));
  EXPECT_LE(first_retry - clock_.Now(), absl::Milliseconds(150));
  clock_.Advance(absl::Milliseconds(150));
  d.DeliverDue();
  EXPECT_EQ(attempts, 2);
  const absl::Time second_retry = *(*store_->NextDue());
  EXPECT_GE(second_retry - clock_.Now(), absl::Milliseconds(100));  // 200 ms * [0.5, 1.5)
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 1);
}

TEST_F(OutboxTest, PermanentFailureIsParkedAndNotRetried) {
  Enqueue("a1", "k");
  int attempts = 0;
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    ++attempts;
    return absl::InvalidArgumentError("bad");
  }, clock_, {});
  d.DeliverDue();
  clock_.Advance(absl::Hours(1));
  d.DeliverDue();
  EXPECT_EQ(attempts, 1);
  const OutboxBacklog b = *store_->Backlog(clock_.Now());
  EXPECT_EQ(b.pending, 0);
  EXPECT_EQ(b.parked, 1);
}

TEST_F(OutboxTest, RefusalsPastTheBudgetParkAndLaterMessagesOfTheKeyGoOn) {
  Enqueue("poison", "k");
  Enqueue("next", "k");
  std::vector<std::string> delivered;
  std::vector<std::string> parked;
  OutboxDispatcher::Options options;
  options.max_refusals = 3;
  options.on_park = [&](const OutboxMessage& m, absl::string_view) { parked.push_back(m.message_id); };
  OutboxDispatcher d(*store_, [&](const OutboxMessage& m) {
    if (m.message_id == "poison") return absl::FailedPreconditionError("never true");
    delivered.push_back(m.message_id);
    return absl::OkStatus();
  }, clock_, options);
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(parked.empty()) << round;
    d.DeliverDue();
    clock_.Advance(absl::Minutes(1));
  }
  EXPECT_EQ(parked, std::vector<std::string>{"poison"});
  const Page<OutboxMessage> page = *store_->ListParked(0, 10);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].key, "k");
  EXPECT_NE(page.items[0].last_error.find("refused 3 times"), std::string::npos) << page.items[0].last_error;
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>{"next"});
}

TEST_F(OutboxTest, TransportFailuresSpendOnlyTheAgeBudgetWhichRequeueRestarts) {
  Enqueue("a1", "k");
  OutboxDispatcher::Options options;
  options.max_refusals = 2;
  options.max_age = absl::Hours(1);
  bool up = false;
  int sent = 0;
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    if (!up) return absl::UnavailableError("peer down");
    ++sent;
    return absl::OkStatus();
  }, clock_, options);
  for (int round = 0; round < 50; ++round) {  // many attempts within the hour: not parked
    d.DeliverDue();
    clock_.Advance(absl::Seconds(60));
  }
  EXPECT_EQ(store_->Backlog(clock_.Now())->parked, 0);
  clock_.Advance(absl::Minutes(15));
  d.DeliverDue();  // past the hour
  EXPECT_EQ(store_->Backlog(clock_.Now())->parked, 1);
  ASSERT_EQ(*store_->Requeue({}, clock_.Now()), 1);
  d.DeliverDue();  // still down, but the requeue gave it a fresh hour
  EXPECT_EQ(store_->Backlog(clock_.Now())->parked, 0);
  up = true;
  clock_.Advance(absl::Minutes(1));
  d.DeliverDue();
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 0);
}

TEST_F(OutboxTest, MessagesSurviveReopeningTheDatabase) {
  Enqueue("a1", "k");
  store_.reset();
  db_ = *sqlite::Database::Open(path_, UnitOfWorkMigrations());
  store_ = std::make_unique<SqlOutboxStore>(*db_);
  std::vector<std::string> delivered;
  OutboxDispatcher d(*store_, [&](const OutboxMessage& m) {
    delivered.push_back(m.message_id);
    return absl::OkStatus();
  }, clock_, {});
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>({"a1"}));
}

TEST_F(OutboxTest, BacklogReportsDepthAndOldestAge) {
  Enqueue("a1", "k");
  clock_.Advance(absl::Seconds(10));
  Enqueue("a2", "k");
  const OutboxBacklog b = *store_->Backlog(clock_.Now());
  EXPECT_EQ(b.pending, 2);
  EXPECT_EQ(b.oldest_age, absl::Seconds(10));
}

TEST_F(OutboxTest, ParkedMessagesAreListedAndRequeuedForDelivery) {
  for (const char* id : {"a1", "b1", "c1"}) Enqueue(id, std::string("lead-") + id);
  std::atomic<bool> refuse{true};
  absl::Mutex mu;
  std::vector<std::string> delivered;  // keys go out in parallel: guarded by mu
  OutboxDispatcher d(*store_, [&](const OutboxMessage& m) {
    if (refuse) return absl::NotFoundError("leads/x not found");
    absl::MutexLock lock(&mu);
    delivered.push_back(m.message_id);
    return absl::OkStatus();
  }, clock_, {});
  d.DeliverDue();
  Page<OutboxMessage> page = *store_->ListParked(0, 2);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].message_id, "a1");
  EXPECT_EQ(page.items[0].key, "lead-a1");
  EXPECT_EQ(page.items[0].attempts, 1);
  EXPECT_NE(page.items[0].last_error.find("NOT_FOUND"), std::string::npos);
  ASSERT_TRUE(page.next_cursor.has_value());
  page = *store_->ListParked(*page.next_cursor, 2);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_FALSE(page.next_cursor.has_value());
  const int64_t c1 = page.items[0].sequence;

  // One by sequence (twice: the second finds nothing parked), then all the rest.
  refuse = false;
  EXPECT_EQ(*store_->Requeue({c1}, clock_.Now()), 1);
  EXPECT_EQ(*store_->Requeue({c1, 999}, clock_.Now()), 0);
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>({"c1"}));
  EXPECT_EQ(store_->Backlog(clock_.Now())->parked, 2);
  EXPECT_EQ(*store_->Requeue({}, clock_.Now()), 2);
  d.DeliverDue();
  ASSERT_EQ(delivered.size(), 3u);
  std::sort(delivered.begin() + 1, delivered.end());  // a1 and b1 went out together
  EXPECT_EQ(delivered, std::vector<std::string>({"c1", "a1", "b1"}));
  EXPECT_EQ(store_->Backlog(clock_.Now())->parked, 0);
}

TEST_F(OutboxTest, RequestLogForgetsOnlyAnswersOlderThanTheCutoff) {
  {
    sqlite::Transaction tx(*db_);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(sql::SaveRequest(tx, {"old-" + std::to_string(i), "M", "f", "r",
                                           clock_.Now() - absl::Hours(30)}).ok());
    }
    ASSERT_TRUE(sql::SaveRequest(tx, {"fresh", "M", "f", "r", clock_.Now() - absl::Hours(1)}).ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  const absl::Time cutoff = clock_.Now() - absl::Hours(24);
  EXPECT_EQ(*sql::PruneRequestLog(*db_, cutoff, 3), 3);  // batches of at most `limit`
  EXPECT_EQ(*sql::PruneRequestLog(*db_, cutoff, 3), 2);
  EXPECT_EQ(*sql::PruneRequestLog(*db_, cutoff, 3), 0);
  sqlite::Transaction tx(*db_);
  EXPECT_TRUE(sql::FindRequest(tx, "fresh")->has_value());
  EXPECT_FALSE(sql::FindRequest(tx, "old-0")->has_value());
}

}  // namespace
}  // namespace handoff
