// The storage contract both backends keep: what the stores and the outbox promise their
// callers, run unchanged on SQLite (handoff_unit_tests) and on PostgreSQL
// (handoff_postgres_unit_tests, built with HANDOFF_TEST_POSTGRES: a server of its own per
// test process).

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/outbox.h"
#include "common/sql/audit_log.h"
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
  std::string NewUrl(const std::string& service) { return "sqlite:" + path_.Sibling("-" + service); }
  static DatabaseOptions Options() { return DatabaseOptions(); }
  testing::TempDbPath path_;
#endif

  void SetUp() override {
    url_ = NewUrl("marketing");
    absl::StatusOr<std::unique_ptr<SqlMarketingStore>> store = SqlMarketingStore::Open(url_, Options());
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

  std::string url_;  // the database store_ is open on
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

// CountLeads (the handoff_leads gauge) follows every insert and every change of a lead's
// stage, owner or merge, and a transaction that fails leaves it as it was.
TEST_F(StorageContract, LeadCountsFollowEveryChangeOfStageOwnerAndMerge) {
  using marketing::Lead;
  using marketing::LeadCount;
  using marketing::LifecycleStage;
  using marketing::Owner;
  std::vector<Lead> leads(4);
  for (int i = 0; i < 4; ++i) {
    leads[i].id = "counted-" + std::to_string(i);
    leads[i].contact.email = "counted" + std::to_string(i) + "@example.org";
    leads[i].stage = i < 3 ? LifecycleStage::kLead : LifecycleStage::kSubscriber;
    leads[i].owner = Owner::kMarketing;
    leads[i].create_time = leads[i].update_time = absl::FromUnixSeconds(1'800'000'000);
  }
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    for (const Lead& l : leads) {
      if (absl::Status s = tx.InsertLead(l); !s.ok()) return s;
    }
    return absl::OkStatus();
  }).ok());
  const auto counts = [&] {
    std::vector<std::tuple<LifecycleStage, Owner, int64_t>> out;
    EXPECT_TRUE(store_->Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<std::vector<LeadCount>> c = tx.CountLeads();
      if (!c.ok()) return c.status();
      for (const LeadCount& l : *c) out.emplace_back(l.stage, l.owner, l.leads);
      return absl::OkStatus();
    }).ok());
    return out;
  };
  using Row = std::tuple<LifecycleStage, Owner, int64_t>;
  EXPECT_EQ(counts(), (std::vector<Row>{{LifecycleStage::kSubscriber, Owner::kMarketing, 1},
                                        {LifecycleStage::kLead, Owner::kMarketing, 3}}));
  // Handed off, merged, and a score change that moves neither stage nor owner.
  leads[0].stage = LifecycleStage::kMql;
  leads[0].owner = Owner::kSalesPending;
  leads[1].merged_into = leads[2].id;
  leads[2].score = 40;
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    for (int i = 0; i < 3; ++i) {
      if (absl::Status s = tx.UpdateLead(leads[i]); !s.ok()) return s;
    }
    return absl::OkStatus();
  }).ok());
  const std::vector<Row> after{{LifecycleStage::kSubscriber, Owner::kMarketing, 1},
                               {LifecycleStage::kLead, Owner::kMarketing, 1},
                               {LifecycleStage::kMql, Owner::kSalesPending, 1}};
  EXPECT_EQ(counts(), after);
  // Rolled back: nothing moves.
  leads[3].stage = LifecycleStage::kLead;
  EXPECT_FALSE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    if (absl::Status s = tx.UpdateLead(leads[3]); !s.ok()) return s;
    return absl::FailedPreconditionError("changed my mind");
  }).ok());
  EXPECT_EQ(counts(), after);
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
  const auto claim = [&](const char* owner, int64_t token, absl::Time now) {
    return *outbox.Claim(OutboxClaim{owner, token, now, now + absl::Seconds(10), 10});
  };
  std::vector<OutboxMessage> due = claim("one", 1, t0);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].message_id, "a1");
  EXPECT_EQ(due[1].message_id, "b1");
  EXPECT_EQ(due[2].message_id, "a2");
  EXPECT_EQ(due[0].payload, std::string("\0payload", 8));
  EXPECT_TRUE(claim("two", 2, t0).empty());  // both keys are claimed
  // a1 waits (its claim ends with the record): a2 is held back behind it; b1 is delivered.
  ASSERT_TRUE(outbox.Reschedule(due[0].sequence, t0 + absl::Seconds(10), 1, 0, "UNAVAILABLE", {"a", 1, true}).ok());
  ASSERT_TRUE(outbox.MarkDelivered(due[1].sequence, {"b", 1, true}).ok());
  // The released claim fences its holder off: a late record changes nothing.
  EXPECT_EQ(outbox.MarkDelivered(due[2].sequence, {"a", 1, true}).code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(claim("two", 2, t0 + absl::Seconds(1)).empty());
  due = claim("two", 2, t0 + absl::Seconds(10));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].message_id, "a1");
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].last_error, "UNAVAILABLE");
  EXPECT_EQ(due[1].message_id, "a2");
  // "two" stalls; its lease (to t0+20s) holds the key, then "three" takes it over.
  EXPECT_TRUE(claim("three", 3, t0 + absl::Seconds(19)).empty());
  due = claim("three", 3, t0 + absl::Seconds(20));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(outbox.Park(due[0].sequence, "too late", {"a", 2, false}).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(outbox.Backlog(t0 + absl::Seconds(20))->parked, 0);  // the fenced-off record wrote nothing
  ASSERT_TRUE(outbox.Park(due[0].sequence, "refused for good", {"a", 3, true}).ok());
  OutboxBacklog b = *outbox.Backlog(t0 + absl::Seconds(20));
  EXPECT_EQ(b.pending, 1);
  EXPECT_EQ(b.parked, 1);
  EXPECT_EQ(b.oldest_age, absl::Seconds(20));
  Page<OutboxMessage> parked = *outbox.ListParked(0, 10);
  ASSERT_EQ(parked.items.size(), 1u);
  EXPECT_EQ(parked.items[0].message_id, "a1");
  AuditRecord retry;
  retry.method = "DeliveryService/RetryParkedMessages";
  retry.principal = "spiffe://handoff.local/ops";
  EXPECT_EQ(*outbox.Requeue({}, t0 + absl::Seconds(30), retry), 1);
  // The requeue's audit record committed with it.
  sql::SqlAuditLog audit(store_->database());
  Page<AuditRecord> records = *audit.List(AuditQuery());
  ASSERT_EQ(records.items.size(), 1u);
  EXPECT_EQ(records.items[0].method, "DeliveryService/RetryParkedMessages");
  EXPECT_EQ(outbox.Backlog(t0 + absl::Seconds(30))->parked, 0);
}

// The audit log lists newest first with every filter and pages, and refuses any change or
// deletion of a record, on both backends.
// UpdateLead writes only the columns changed since the transaction read or wrote the row:
// whatever changed -- text, numbers, a time set and one cleared -- reads back changed, what
// did not stays, and a lead updated without being read first is written whole.
TEST_F(StorageContract, AnUpdatedLeadReadsBackAsWrittenWhetherReadFirstOrNot) {
  using marketing::Lead;
  Lead l;
  l.id = "updated";
  l.contact.email = "updated@example.org";
  l.contact.company = "Before Ltd";
  l.stage = marketing::LifecycleStage::kLead;
  l.owner = marketing::Owner::kMarketing;
  l.create_time = l.update_time = absl::FromUnixSeconds(1'800'000'000);
  l.erase_time = absl::FromUnixSeconds(1'800'000'100);
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.InsertLead(l); }).ok());
  const auto read = [&] {
    Lead out;
    EXPECT_TRUE(store_->Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Lead> got = tx.GetLead("updated");
      if (got.ok()) out = *got;
      return got.status();
    }).ok());
    return out;
  };
  // Read, change some columns of each kind, update (twice: the second diffs against the
  // first update, not against the read).
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    absl::StatusOr<Lead> got = tx.GetLead("updated");
    if (!got.ok()) return got.status();
    got->contact.company = "After Ltd";
    got->score = 42;
    got->erase_time = absl::InfinitePast();
    got->merge_time = absl::FromUnixSeconds(1'800'000'200);
    if (absl::Status s = tx.UpdateLead(*got); !s.ok()) return s;
    got->touch_count = 7;
    got->contact.company = "Before Ltd";
    return tx.UpdateLead(*got);
  }).ok());
  Lead after = read();
  EXPECT_EQ(after.contact.email, "updated@example.org");
  EXPECT_EQ(after.contact.company, "Before Ltd");
  EXPECT_EQ(after.score, 42);
  EXPECT_EQ(after.touch_count, 7);
  EXPECT_EQ(after.erase_time, absl::InfinitePast());
  EXPECT_EQ(after.merge_time, absl::FromUnixSeconds(1'800'000'200));
  EXPECT_EQ(after.stage, marketing::LifecycleStage::kLead);
  // Not read in this transaction: written whole.
  after.contact.title = "CTO";
  after.score = 5;
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.UpdateLead(after); }).ok());
  const Lead whole = read();
  EXPECT_EQ(whole.contact.title, "CTO");
  EXPECT_EQ(whole.score, 5);
  EXPECT_EQ(whole.touch_count, 7);
  // A lead that does not exist is NOT_FOUND either way.
  Lead missing = l;
  missing.id = "missing";
  EXPECT_EQ(store_->Run([&](MarketingTx& tx) { return tx.UpdateLead(missing); }).code(),
            absl::StatusCode::kNotFound);
}

// The dispatcher is woken only by commits that queued something, the event watchers only
// by commits that appended events (ServiceRuntime::Committed reads these flags): set by a
// committed transaction that did so, on the calling thread, and by nothing else -- not a
// transaction without messages or events, nor one that failed.
TEST_F(StorageContract, OnlyCommittedMessagesAndEventsMarkTheThread) {
  ThreadCommits() = CommittedOnThisThread();
  OutboxMessage m;
  m.topic = "handoff";
  m.key = "k";
  m.create_time = m.next_attempt_time = absl::FromUnixSeconds(1'800'000'000);
  const EventRecord event{0, "T", "s", "p", absl::FromUnixSeconds(1'800'000'000)};
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("c1")); }).ok());
  EXPECT_FALSE(ThreadCommits().outbox_messages) << "a commit without messages";
  EXPECT_FALSE(ThreadCommits().events) << "a commit without events";
  m.message_id = "failed";
  EXPECT_FALSE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    if (absl::Status s = tx.Enqueue(m); !s.ok()) return s;
    if (absl::Status s = tx.AppendEvent(event); !s.ok()) return s;
    return absl::AbortedError("changed my mind");
  }).ok());
  EXPECT_FALSE(ThreadCommits().outbox_messages) << "a transaction that enqueued and then failed";
  EXPECT_FALSE(ThreadCommits().events) << "a transaction that appended and then failed";
  EXPECT_EQ(*store_->LatestEventSequence(), 0) << "the failed transaction's event was written";
  m.message_id = "sent";
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.Enqueue(m); }).ok());
  EXPECT_TRUE(std::exchange(ThreadCommits().outbox_messages, false)) << "a committed transaction with a message";
  EXPECT_FALSE(ThreadCommits().events);
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.AppendEvent(event); }).ok());
  EXPECT_TRUE(std::exchange(ThreadCommits().events, false)) << "a committed transaction with an event";
  EXPECT_FALSE(ThreadCommits().outbox_messages);
  EXPECT_EQ(*store_->LatestEventSequence(), 1);
  // Another thread's commit marks that thread, not this one.
  std::thread other([&] {
    m.message_id = "other";
    ASSERT_TRUE(store_->Run([&](MarketingTx& tx) { return tx.Enqueue(m); }).ok());
    EXPECT_TRUE(ThreadCommits().outbox_messages);
  });
  other.join();
  EXPECT_FALSE(ThreadCommits().outbox_messages);
}

TEST_F(StorageContract, TheAuditLogFiltersAndPagesAndIsAppendOnly) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
    for (int i = 0; i < 7; ++i) {
      AuditRecord r;
      r.time = t0 + absl::Seconds(i);
      r.principal = i % 2 == 0 ? "spiffe://handoff.local/crm-frontend" : "spiffe://handoff.local/sales";
      r.method = i < 5 ? "LeadService/CaptureLead" : "LeadService/ReportOutcome";
      r.resource = "leads/" + std::to_string(i % 3);
      r.code = i == 6 ? 9 : 0;
      r.request_id = "r" + std::to_string(i);
      if (absl::Status s = tx.AppendAudit(r); !s.ok()) return s;
    }
    return absl::OkStatus();
  }).ok());
  sql::SqlAuditLog audit(store_->database());
  auto ids = [&](AuditQuery q) {
    std::string out;
    while (true) {
      absl::StatusOr<Page<AuditRecord>> page = audit.List(q);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return out;
      for (const AuditRecord& r : page->items) out += r.request_id + " ";
      if (!page->next_cursor) return out;
      q.before = *page->next_cursor;
    }
  };
  AuditQuery all;
  all.limit = 2;  // four pages
  EXPECT_EQ(ids(all), "r6 r5 r4 r3 r2 r1 r0 ");
  AuditQuery by_principal = all;
  by_principal.principal = "spiffe://handoff.local/sales";
  EXPECT_EQ(ids(by_principal), "r5 r3 r1 ");
  AuditQuery by_method = all;
  by_method.method = "LeadService/ReportOutcome";
  EXPECT_EQ(ids(by_method), "r6 r5 ");
  AuditQuery by_resource = all;
  by_resource.resource = "leads/1";
  EXPECT_EQ(ids(by_resource), "r4 r1 ");
  AuditQuery by_code = all;
  by_code.code = 9;
  EXPECT_EQ(ids(by_code), "r6 ");
  AuditQuery by_time = all;
  by_time.start = t0 + absl::Seconds(2);
  by_time.end = t0 + absl::Seconds(4);
  EXPECT_EQ(ids(by_time), "r3 r2 ");
  const AuditRecord newest = audit.List(AuditQuery())->items.front();
  EXPECT_EQ(newest.time, t0 + absl::Seconds(6));
  EXPECT_EQ(newest.principal, "spiffe://handoff.local/crm-frontend");
  EXPECT_EQ(newest.resource, "leads/0");

  for (const char* change : {"UPDATE audit_log SET code = 0", "DELETE FROM audit_log"}) {
    const absl::Status s = store_->database().Write([&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<sql::Statement> q = tx.Prepare(change);
      if (!q.ok()) return q.status();
      return q->Run();
    });
    EXPECT_FALSE(s.ok()) << change;
    EXPECT_NE(s.message().find("append-only"), absl::string_view::npos) << change << ": " << s;
  }
  EXPECT_EQ(ids(all), "r6 r5 r4 r3 r2 r1 r0 ");
}

// Two dispatchers, each on its own connection to the database (two replicas; on SQLite two
// processes' worth of connections to one file), drain one outbox together: every message
// goes out once, each key's in order, and never two of one key at once.
TEST_F(StorageContract, TwoDispatchersShareTheOutboxWithoutOverlapOrDisorder) {
  constexpr int kKeys = 12;
  constexpr int kPerKey = 8;
  std::unique_ptr<SqlMarketingStore> other = *SqlMarketingStore::Open(url_, Options());
  SqlOutboxStore first(store_->database()), second(other->database());
  RealClock clock;
  // A run where one dispatcher happened to do everything (a slow machine, a sanitizer) shows
  // nothing about sharing: such runs are repeated, up to five, with fresh messages. Overlap,
  // disorder and loss fail at once whatever the run.
  int sent_by[2] = {0, 0};
  for (int run = 0; run < 5 && (sent_by[0] == 0 || sent_by[1] == 0); ++run) {
    ASSERT_TRUE(store_->Run([&](MarketingTx& tx) -> absl::Status {
      for (int i = 0; i < kPerKey; ++i) {
        for (int k = 0; k < kKeys; ++k) {
          OutboxMessage m;
          m.message_id = "r" + std::to_string(run) + "-k" + std::to_string(k) + "-" + std::to_string(i);
          m.topic = "t";
          m.key = "r" + std::to_string(run) + "-k" + std::to_string(k);
          m.payload = std::to_string(i);
          m.create_time = m.next_attempt_time = absl::Now();
          if (absl::Status s = tx.Enqueue(m); !s.ok()) return s;
        }
      }
      return absl::OkStatus();
    }).ok());
    absl::Mutex mu;
    std::map<std::string, int> next_of_key;  // the payload each key must send next
    std::map<std::string, int> in_flight;
    int overlaps = 0, disorders = 0;
    sent_by[0] = sent_by[1] = 0;
    const auto deliver = [&](int who) {
      return [&, who](const OutboxMessage& m) {
        {
          absl::MutexLock lock(&mu);
          if (in_flight[m.key]++ > 0) ++overlaps;
          if (std::stoi(m.payload) != next_of_key[m.key]) ++disorders;
        }
        absl::SleepFor(absl::Milliseconds(1));  // long enough for the other to try the key
        absl::MutexLock lock(&mu);
        --in_flight[m.key];
        ++next_of_key[m.key];
        ++sent_by[who];
        return absl::OkStatus();
      };
    };
    OutboxDispatcher::Options options;
    options.batch_size = 10;  // many small rounds, so the two interleave
    options.parallel_keys = 4;
    OutboxDispatcher a(first, deliver(0), clock, options), b(second, deliver(1), clock, options);
    // Each drains until the outbox is empty. A round that finds every key claimed by the
    // other returns at once, so the bound is time, not rounds (a count of rounds let the idle
    // one give up while the other still held claims, and the run proved nothing).
    absl::Notification go;
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    const auto drain = [&](OutboxDispatcher& d) {
      go.WaitForNotification();
      while (first.Backlog(absl::Now())->pending > 0 && absl::Now() < give_up) {
        d.DeliverDue();
        absl::SleepFor(absl::Microseconds(200));
      }
    };
    std::thread ta([&] { drain(a); }), tb([&] { drain(b); });
    go.Notify();
    ta.join();
    tb.join();
    EXPECT_EQ(first.Backlog(absl::Now())->pending, 0);
    absl::MutexLock lock(&mu);
    ASSERT_EQ(sent_by[0] + sent_by[1], kKeys * kPerKey) << "a message went out twice or not at all";
    ASSERT_EQ(overlaps, 0);
    ASSERT_EQ(disorders, 0);
    std::printf("[contract] two dispatchers, %d keys x %d messages (run %d): %d and %d sent\n", kKeys, kPerKey,
                run + 1, sent_by[0], sent_by[1]);
  }
  EXPECT_GT(sent_by[0], 0);
  EXPECT_GT(sent_by[1], 0) << "one dispatcher did everything in every run: the test proves nothing";
}

// Writers on several threads of two replicas (two connections to the database) append
// events while a reader on each replica follows them: each reader sees every event once,
// in increasing numbers whatever the commit order (no event committed below a number a
// reader has passed), and both see the same event under each number. (The API promises
// strictly increasing numbers, never reused; on PostgreSQL a COMMIT that fails after
// numbering leaves a gap.)
TEST_F(StorageContract, EventsAreReadInOrderFromEitherReplicaWhileWritersRace) {
  constexpr int kWriters = 4;
  constexpr int kEach = 40;
  std::unique_ptr<SqlMarketingStore> other = *SqlMarketingStore::Open(url_, Options());
  SqlMarketingStore* replicas[2] = {store_.get(), other.get()};
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const absl::Status s = replicas[w % 2]->Run([&](MarketingTx& tx) {
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
  std::vector<std::pair<int64_t, std::string>> seen[2];  // (sequence, subject) as read
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      int64_t after = 0;
      while (true) {
        const bool last = done;
        absl::StatusOr<std::vector<EventRecord>> events = replicas[r]->ReadEvents(after, 7);
        ASSERT_TRUE(events.ok()) << events.status();
        for (const EventRecord& e : *events) {
          ASSERT_GT(e.sequence, after) << "replica " << r << ": out of order or repeated after " << after;
          after = e.sequence;
          seen[r].emplace_back(e.sequence, e.subject);
        }
        if (last && events->empty()) break;
      }
    });
  }
  for (std::thread& t : readers) t.join();
  closer.join();
  EXPECT_EQ(seen[0].size(), static_cast<size_t>(kWriters * kEach));
  EXPECT_EQ(seen[0], seen[1]) << "the replicas number the events differently";
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

// Writers running side by side (four threads; on PostgreSQL up to --database_writers at
// once) keep the funnel's counters exact; on PostgreSQL folding the counters' changes into
// their rows changes no figure. Inside each transaction a lead it created reads back the
// history and touches it wrote (answered without a statement), and after a second stage
// change the history read from the table.
TEST_F(StorageContract, TheFunnelCountsEveryChangeOfWritersSideBySide) {
  using marketing::FunnelCounts;
  using marketing::Lead;
  using marketing::LifecycleStage;
  using marketing::StageChange;
  using marketing::Touch;
  using marketing::TouchType;
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> wrong_reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = absl::StrCat("funnel-", t, "-", i);
        const absl::Time at = absl::FromUnixSeconds(1'800'000'000 + i);
        const absl::Status s = store_->Run([&](MarketingTx& tx) -> absl::Status {
          if (absl::Status s = tx.AppendFirstStage(id, StageChange{LifecycleStage::kLead, at, "captured"}); !s.ok()) {
            return s;
          }
          Lead l;
          l.id = id;
          l.contact.email = id + "@example.org";
          l.stage = LifecycleStage::kLead;
          l.owner = marketing::Owner::kMarketing;
          l.create_time = l.update_time = at;
          if (absl::Status s = tx.InsertLead(l); !s.ok()) return s;
          absl::StatusOr<bool> touched = tx.InsertTouch(Touch{"capture:" + id, id, "", TouchType::kFormSubmit, false, at});
          if (!touched.ok()) return touched.status();
          absl::StatusOr<std::vector<marketing::TouchAt>> touches = tx.TouchHistory(id);
          absl::StatusOr<std::vector<StageChange>> history = tx.StageHistory(id);
          if (!touches.ok() || !history.ok()) return absl::InternalError("a read failed");
          if (touches->size() != 1 || (*touches)[0].type != TouchType::kFormSubmit || history->size() != 1 ||
              (*history)[0].reason != "captured") {
            ++wrong_reads;
          }
          if (absl::Status s = tx.AppendStageChange(id, StageChange{LifecycleStage::kMql, at, "qualified"}); !s.ok()) {
            return s;
          }
          history = tx.StageHistory(id);
          if (!history.ok()) return history.status();
          if (history->size() != 2 || (*history)[1].stage != LifecycleStage::kMql) ++wrong_reads;
          return absl::OkStatus();
        });
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong_reads.load(), 0);
  const auto funnel = [&] {
    std::vector<int64_t> out;
    EXPECT_TRUE(store_->Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<FunnelCounts> f = tx.GetFunnelCounts();
      if (!f.ok()) return f.status();
      for (const LifecycleStage stage : {LifecycleStage::kLead, LifecycleStage::kMql}) {
        const int i = static_cast<int>(stage);
        out.insert(out.end(), {f->current[i], f->ever_entered[i], f->stays[i]});
      }
      for (const FunnelCounts::Step& step : f->steps) {
        if (step.from == LifecycleStage::kLead && step.to == LifecycleStage::kMql) out.push_back(step.converted);
      }
      return absl::OkStatus();
    }).ok());
    return out;
  };
  constexpr int64_t kAll = kThreads * kEach;
  // Lead: none now, all entered, all stays ended; MQL: all now and entered; all converted.
  const std::vector<int64_t> expected{0, kAll, kAll, kAll, kAll, 0, kAll};
  EXPECT_EQ(funnel(), expected);
  absl::StatusOr<int64_t> moved = store_->FoldFunnelChanges();
  ASSERT_TRUE(moved.ok()) << moved.status();
#ifdef HANDOFF_TEST_POSTGRES
  EXPECT_EQ(*moved, 4 * kAll) << "each transaction appended four changes: entered, left, entered, converted";
#else
  EXPECT_EQ(*moved, 0) << "SQLite updates the counters' rows";
#endif
  EXPECT_EQ(funnel(), expected);
  moved = store_->FoldFunnelChanges();
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 0);
  EXPECT_EQ(funnel(), expected);
}

#ifdef HANDOFF_TEST_POSTGRES
// Write transactions of one process run side by side, up to DatabaseOptions::writers.
TEST_F(StorageContract, WritersRunSideBySideUpToTheLimit) {
  for (const int writers : {1, 3}) {
    postgres::DatabaseOptions o;
    o.password = testing::PostgresServer::kPassword;
    o.writers = writers;
    absl::StatusOr<std::unique_ptr<postgres::Database>> db =
        postgres::Database::Open(NewUrl("writers"), SqlMarketingStore::PostgresMigrations(), o);
    ASSERT_TRUE(db.ok()) << db.status();
    std::atomic<int> inside{0}, most{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        const absl::Status s = (*db)->Write([&](sql::Transaction&) -> absl::Status {
          const int now = ++inside;
          for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
          }
          absl::SleepFor(absl::Milliseconds(300));
          --inside;
          return absl::OkStatus();
        });
        EXPECT_TRUE(s.ok()) << s;
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(most.load(), writers);
  }
}
#endif

#ifdef HANDOFF_TEST_POSTGRES
// Two processes' worth of stores (two pools, as two replicas have) updating one row at
// once: SERIALIZABLE catches every conflict, the store runs the losing transaction again,
// and no update is lost; past the bound a call is ABORTED, never a wrong figure.
TEST_F(StorageContract, ConflictsBetweenTwoPoolsAreRetriedAndLoseNothing) {
  ASSERT_TRUE(store_->Run([](MarketingTx& tx) { return tx.InsertCampaign(NewCampaign("shared")); }).ok());
  std::unique_ptr<SqlMarketingStore> other = *SqlMarketingStore::Open(url_, Options());
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

#ifdef HANDOFF_TEST_POSTGRES
// Upgrading a database whose events were stored unnumbered (the reader numbered them,
// before migration 10): the migration numbers what is left in the old order, after the
// numbered ones, and the events written afterwards come after those.
TEST_F(StorageContract, TheMigrationNumbersEventsLeftUnnumberedAndNewOnesFollow) {
  const std::string url = NewUrl("upgraded");
  std::vector<sql::Migration> before = SqlMarketingStore::PostgresMigrations();
  while (!before.empty() && before.back().version >= 10) before.pop_back();
  ASSERT_EQ(before.back().version, 9);
  postgres::DatabaseOptions o;
  o.password = testing::PostgresServer::kPassword;
  {
    absl::StatusOr<std::unique_ptr<postgres::Database>> old = postgres::Database::Open(url, before, o);
    ASSERT_TRUE(old.ok()) << old.status();
    ASSERT_TRUE((*old)->Write([](sql::Transaction& tx) -> absl::Status {
      for (const char* sql : {"INSERT INTO events(sequence, type, subject, payload, time_us) VALUES(1, 'T', 'a', '', 1)",
                              "INSERT INTO events(type, subject, payload, time_us) VALUES('T', 'b', '', 1)",
                              "INSERT INTO events(type, subject, payload, time_us) VALUES('T', 'c', '', 1)"}) {
        absl::StatusOr<sql::Statement> q = tx.Prepare(sql);
        if (!q.ok()) return q.status();
        if (absl::Status s = q->Run(); !s.ok()) return s;
      }
      return absl::OkStatus();
    }).ok());
  }
  absl::StatusOr<std::unique_ptr<SqlMarketingStore>> store = SqlMarketingStore::Open(url, Options());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Run([](MarketingTx& tx) {
    return tx.AppendEvent(EventRecord{0, "T", "d", "", absl::FromUnixSeconds(1)});
  }).ok());
  absl::StatusOr<std::vector<EventRecord>> events = (*store)->ReadEvents(0, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  std::vector<std::pair<int64_t, std::string>> seen;
  for (const EventRecord& e : *events) seen.emplace_back(e.sequence, e.subject);
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, std::string>>{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}}));
}
#endif

}  // namespace
}  // namespace handoff
