#include "common/outbox.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/error_details.h"
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
  EXPECT_EQ(d.DeliverDue(), absl::ZeroDuration());  // a probe got through: carry on at once
  EXPECT_EQ(delivered, std::vector<std::string>({"b1", "a1"}));
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

TEST_F(OutboxTest, RetryableRefusalBacksOffExponentially) {
  Enqueue("a1", "k");
  int attempts = 0;
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    ++attempts;
    return absl::FailedPreconditionError("not yet");
  }, clock_, OutboxDispatcher::Options());  // back-off from 100 ms
  const absl::Duration first = d.DeliverDue();  // waits for the retry: 100 ms * [0.5, 1.5)
  EXPECT_EQ(attempts, 1);
  EXPECT_GE(first, absl::Milliseconds(50));
  EXPECT_LT(first, absl::Milliseconds(150));
  clock_.Advance(absl::Milliseconds(40));
  d.DeliverDue();
  EXPECT_EQ(attempts, 1);  // not due yet
  clock_.Advance(absl::Milliseconds(110));
  const absl::Duration second = d.DeliverDue();  // 200 ms * [0.5, 1.5)
  EXPECT_EQ(attempts, 2);
  EXPECT_GE(second, absl::Milliseconds(100));
  EXPECT_LT(second, absl::Milliseconds(300));
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 1);
}

TEST_F(OutboxTest, RetriesAndDeliveriesAreReportedOnceEach) {
  Enqueue("a1", "k");
  int attempts = 0;
  std::vector<std::string> retried, delivered;
  OutboxDispatcher::Options options;
  options.on_retry = [&](const OutboxMessage& m, const absl::Status& s) {
    retried.push_back(m.message_id + ":" + std::string(absl::StatusCodeToString(s.code())));
  };
  options.on_delivered = [&](const OutboxMessage& m, absl::Duration waited) {
    delivered.push_back(m.message_id + ":" + absl::FormatDuration(waited));
  };
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    return ++attempts == 1 ? absl::UnavailableError("down") : absl::OkStatus();
  }, clock_, options);
  d.DeliverDue();
  EXPECT_EQ(retried, std::vector<std::string>({"a1:UNAVAILABLE"}));
  EXPECT_TRUE(delivered.empty());
  clock_.Advance(absl::Seconds(1));
  d.DeliverDue();
  EXPECT_EQ(retried.size(), 1u);
  EXPECT_EQ(delivered, std::vector<std::string>({"a1:1s"}));  // queued one second before
}

// Counts what the dispatcher asks of the store.
class CountingOutboxStore final : public OutboxStore {
 public:
  explicit CountingOutboxStore(OutboxStore& inner) : inner_(inner) {}
  absl::StatusOr<std::vector<OutboxMessage>> Claim(const OutboxClaim& claim) override {
    ++claims;
    return inner_.Claim(claim);
  }
  absl::Status MarkDelivered(int64_t sequence, const OutboxFence& fence) override {
    return inner_.MarkDelivered(sequence, fence);
  }
  absl::Status Reschedule(int64_t sequence, absl::Time next_attempt, int attempts, int refusals,
                          absl::string_view error, const OutboxFence& fence) override {
    ++reschedules;
    return inner_.Reschedule(sequence, next_attempt, attempts, refusals, error, fence);
  }
  absl::Status Park(int64_t sequence, absl::string_view error, const OutboxFence& fence) override {
    return inner_.Park(sequence, error, fence);
  }
  absl::Status Release(const std::vector<std::string>& keys, int64_t token) override {
    return inner_.Release(keys, token);
  }
  absl::StatusOr<OutboxBacklog> Backlog(absl::Time now) override { return inner_.Backlog(now); }
  absl::StatusOr<Page<OutboxMessage>> ListParked(int64_t after, int limit) override {
    return inner_.ListParked(after, limit);
  }
  absl::StatusOr<int64_t> Requeue(const std::vector<int64_t>& sequences, absl::Time now,
                                  const AuditRecord& audit) override {
    return inner_.Requeue(sequences, now, audit);
  }
  int claims = 0;
  int reschedules = 0;

 private:
  OutboxStore& inner_;
};

// While the peer is down, commits wake the dispatcher without it reading the outbox, and
// the peer is probed with one message at growing intervals, whatever the backlog.
TEST_F(OutboxTest, AnUnreachablePeerIsProbedWithOneMessageAndWakeUpsReadNothing) {
  for (int k = 0; k < 5; ++k) Enqueue(absl::StrCat("m", k), absl::StrCat("lead-", k));
  CountingOutboxStore counting(*store_);
  std::atomic<bool> up{false};
  std::atomic<int> sends{0}, delivered{0};
  OutboxDispatcher::Options options;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_probe_interval = absl::Milliseconds(400);
  OutboxDispatcher d(counting, [&](const OutboxMessage&) {
    ++sends;
    if (!up) return absl::UnavailableError("peer down");
    ++delivered;
    return absl::OkStatus();
  }, clock_, options);
  EXPECT_EQ(d.DeliverDue(), absl::Milliseconds(100));  // every chain tried once, then hold off
  EXPECT_EQ(sends.load(), 5);
  // New messages commit and wake it: no read, no send.
  for (int k = 5; k < 50; ++k) {
    Enqueue(absl::StrCat("m", k), absl::StrCat("lead-", k));
    d.DeliverDue();
  }
  EXPECT_EQ(counting.claims, 1);
  EXPECT_EQ(sends.load(), 5);
  // Probes: one message each, 100, 200, 400, 400 ms apart.
  for (const absl::Duration gap : {absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
                                   absl::Milliseconds(400)}) {
    clock_.Advance(gap);
    const int before = sends;
    EXPECT_EQ(d.DeliverDue(), std::min(gap * 2, absl::Milliseconds(400)));
    EXPECT_EQ(sends.load(), before + 1);
  }
  EXPECT_EQ(counting.claims, 5);
  EXPECT_EQ(counting.reschedules, 9);  // only what was sent
  // Back: the probe gets through, then the whole backlog goes.
  up = true;
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(d.DeliverDue(), absl::ZeroDuration());
  EXPECT_EQ(delivered.load(), 1);
  for (int round = 0; round < 5 && delivered < 50; ++round) d.DeliverDue();
  EXPECT_EQ(delivered.load(), 50);
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 0);
}

// Operators hear of an unreachable peer: when delivery first fails to reach it, again
// every unreachable_log_interval while it lasts (not on every probe), and when it is back,
// each time with the backlog waiting for it.
TEST_F(OutboxTest, AnUnreachablePeerIsLoggedWhenItGoesPeriodicallyAndWhenItIsBack) {
  Enqueue("m1", "lead-1");
  Enqueue("m2", "lead-2");
  std::atomic<bool> up{false};
  OutboxDispatcher::Options options;
  options.peer = "sales-service at test:1";
  options.unreachable_log_interval = absl::Minutes(1);
  options.max_probe_interval = absl::Seconds(5);
  options.max_backoff = absl::Seconds(1);  // so a message is due at every probe below
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    return up ? absl::OkStatus() : absl::UnavailableError("connection refused");
  }, clock_, options);
  auto round_log = [&] {
    ::testing::internal::CaptureStderr();
    d.DeliverDue();
    return ::testing::internal::GetCapturedStderr();
  };
  std::string log = round_log();
  EXPECT_NE(log.find("WARN outbox: cannot reach sales-service at test:1 (UNAVAILABLE: connection refused)"),
            std::string::npos) << log;
  EXPECT_NE(log.find("backlog: 2 pending (oldest queued 0s ago), 0 parked"), std::string::npos) << log;
  // Probes within the interval say nothing more.
  for (int probe = 0; probe < 10; ++probe) {
    clock_.Advance(absl::Seconds(5));
    EXPECT_EQ(round_log(), "");
  }
  clock_.Advance(absl::Seconds(15));
  log = round_log();
  EXPECT_NE(log.find("sales-service at test:1 still unreachable after 1m5s (UNAVAILABLE: connection refused)"),
            std::string::npos) << log;
  EXPECT_NE(log.find("backlog: 2 pending (oldest queued 1m5s ago)"), std::string::npos) << log;
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(round_log(), "");
  up = true;
  clock_.Advance(absl::Seconds(5));
  log = round_log();
  EXPECT_NE(log.find("INFO outbox: sales-service at test:1 reachable again after 1m15s"), std::string::npos) << log;
  for (int round = 0; round < 5 && store_->Backlog(clock_.Now())->pending > 0; ++round) EXPECT_EQ(round_log(), "");
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 0);
}

// A message goes out only while the round's claim outlasts a send: a chain the lease runs
// short on stops and ends its claim, and a key whose chain never started is released, so
// the next round -- or another replica -- takes them at once.
TEST_F(OutboxTest, AClaimRunningShortStopsItsChainsAndReleasesTheirKeys) {
  Enqueue("a1", "a");
  Enqueue("a2", "a");
  Enqueue("a3", "a");
  Enqueue("b1", "b");
  OutboxDispatcher::Options options;
  options.lease = absl::Seconds(10);
  options.send_timeout = absl::Seconds(5);
  options.parallel_keys = 1;  // b waits for a's chain
  std::vector<std::string> sent;
  const auto deliver = [&](const OutboxMessage& m) {
    sent.push_back(m.message_id);
    clock_.Advance(absl::Seconds(3));  // each send takes 3 s of the 10 s lease
    return absl::OkStatus();
  };
  options.owner = "first";
  OutboxDispatcher first(*store_, deliver, clock_, options);
  options.owner = "second";
  OutboxDispatcher second(*store_, deliver, clock_, options);
  // a1 at 0 s, a2 at 3 s; a3 would start at 6 s with 4 s left of the lease: not sent. b's
  // chain would start at 6 s too: not sent either.
  EXPECT_EQ(first.DeliverDue(), absl::ZeroDuration());  // more is due now
  EXPECT_EQ(sent, std::vector<std::string>({"a1", "a2"}));
  // Both keys were let go: the other dispatcher takes them within the first one's lease.
  second.DeliverDue();
  EXPECT_EQ(sent, std::vector<std::string>({"a1", "a2", "a3", "b1"}));
  EXPECT_EQ(store_->Backlog(clock_.Now())->pending, 0);
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

// The receiver's reason, not the code alone, tells "never" from "later": the same
// FAILED_PRECONDITION is parked at once when the lead was erased, and retried when the
// outcome only came before the change it follows.
TEST_F(OutboxTest, TheReceiversReasonDecidesBetweenParkingAndRetrying) {
  Enqueue("erased", "k1");
  Enqueue("early", "k2");
  std::map<std::string, int> attempts;
  absl::Mutex mu;  // the two keys are delivered on threads of their own
  OutboxDispatcher d(*store_, [&](const OutboxMessage& m) {
    {
      absl::MutexLock lock(&mu);
      ++attempts[m.message_id];
    }
    if (m.message_id == "erased") {
      return WithReason(absl::FailedPreconditionError("leads/1 was erased"), reason::kLeadErased);
    }
    return WithReason(absl::FailedPreconditionError("leads/2 is MQL"), reason::kOutcomeOutOfOrder);
  }, clock_, {});
  for (int i = 0; i < 5; ++i) {
    d.DeliverDue();
    clock_.Advance(absl::Minutes(1));
  }
  EXPECT_EQ(attempts["erased"], 1);
  EXPECT_EQ(attempts["early"], 5);
  const OutboxBacklog b = *store_->Backlog(clock_.Now());
  EXPECT_EQ(b.parked, 1);
  EXPECT_EQ(b.pending, 1);
  // A code that alone means "never" is retried when the reason says the cause passes.
  EXPECT_TRUE(OutboxDispatcher::IsRetryable(WithReason(absl::NotFoundError("x"), reason::kOutcomeOutOfOrder)));
  EXPECT_FALSE(OutboxDispatcher::IsRetryable(WithReason(absl::AbortedError("x"), reason::kLeadErased)));
}

// A receiver that says when to come back (RetryInfo) is not asked sooner.
TEST_F(OutboxTest, ARetryDelayTheReceiverAsksForIsHonoured) {
  Enqueue("a1", "k");
  int attempts = 0;
  OutboxDispatcher d(*store_, [&](const OutboxMessage&) {
    ++attempts;
    return WithRetryDelay(WithReason(absl::ResourceExhaustedError("busy"), reason::kServerBusy), absl::Seconds(4));
  }, clock_, {});
  const absl::Duration wait = d.DeliverDue();
  EXPECT_EQ(attempts, 1);
  EXPECT_GE(wait, absl::Seconds(4));
  clock_.Advance(absl::Seconds(3));
  d.DeliverDue();
  EXPECT_EQ(attempts, 1);
  clock_.Advance(absl::Seconds(2));
  d.DeliverDue();
  EXPECT_EQ(attempts, 2);
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
  ASSERT_EQ(*store_->Requeue({}, clock_.Now(), AuditRecord()), 1);
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
  EXPECT_EQ(*store_->Requeue({c1}, clock_.Now(), AuditRecord()), 1);
  EXPECT_EQ(*store_->Requeue({c1, 999}, clock_.Now(), AuditRecord()), 0);
  d.DeliverDue();
  EXPECT_EQ(delivered, std::vector<std::string>({"c1"}));
  EXPECT_EQ(store_->Backlog(clock_.Now())->parked, 2);
  EXPECT_EQ(*store_->Requeue({}, clock_.Now(), AuditRecord()), 2);
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
