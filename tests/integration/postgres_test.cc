// What only the PostgreSQL backend has: a database server that can go away and come back,
// connection URLs and passwords, and a schema shared by replicas starting together. Built
// into handoff_postgres_integration_tests only (each test has its own server).

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = marketing::v1;
using grpc::health::v1::HealthCheckResponse;

class PostgresTest : public HandoffSystem {
 protected:
  HealthCheckResponse::ServingStatus Health(grpc::health::v1::Health::Stub& stub) {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    auto ctx = Ctx();
    if (!stub.Check(ctx.get(), req, &resp).ok()) return HealthCheckResponse::UNKNOWN;
    return resp.status();
  }

  // Starts marketing-service with `flags` and expects start-up to fail; returns its log.
  std::string FailedStart(const std::vector<std::string>& flags) {
    std::vector<std::string> args{"--listen=127.0.0.1:0", "--sales_address=127.0.0.1:1"};
    args.insert(args.end(), flags.begin(), flags.end());
    ServiceProcess p(HANDOFF_MARKETING_BINARY, args, dir_.path() + "/failed.log");
    EXPECT_FALSE(p.Start()) << p.Log();
    EXPECT_NE(p.exit_code(), 0) << p.Log();
    return p.Log();
  }
};

// While PostgreSQL is down, health says NOT_SERVING and calls fail UNAVAILABLE (writing
// nothing); once it is back, health says SERVING again without a restart, and every capture
// that was acknowledged -- before, during and after the outage -- is there exactly once.
TEST_F(PostgresTest, AnOutageTurnsHealthNotServingAndLosesNoAcknowledgedCapture) {
  ASSERT_EQ(Health(*marketing_health_), HealthCheckResponse::SERVING);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> acknowledged;  // e-mails
  std::map<std::string, std::string> lead_of;
  std::atomic<int> unavailable{0}, other_errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop; ++i) {
        mv1::CaptureLeadRequest req;
        const std::string email = "w" + std::to_string(w) + "-" + std::to_string(i) + "@outage.example.com";
        req.mutable_contact()->set_email(email);
        req.set_request_id("outage-" + email);
        mv1::CaptureLeadResponse resp;
        auto ctx = Ctx();
        const grpc::Status s = leads_->CaptureLead(ctx.get(), req, &resp);
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(email);
          lead_of[email] = resp.lead().name();
        } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
          ++unavailable;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } else {
          ++other_errors;
          ADD_FAILURE() << s.error_code() << " " << s.error_message();
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(postgres_->Stop());
  EXPECT_TRUE(Eventually([&] { return Health(*marketing_health_) == HealthCheckResponse::NOT_SERVING; }))
      << "health stayed SERVING with the database down";
  EXPECT_TRUE(Eventually([&] { return Health(*sales_health_) == HealthCheckResponse::NOT_SERVING; }));
  const int unavailable_before = unavailable;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_GT(unavailable.load(), unavailable_before) << "captures kept succeeding with the database down";
  ASSERT_TRUE(postgres_->Start());
  EXPECT_TRUE(Eventually([&] { return Health(*marketing_health_) == HealthCheckResponse::SERVING; }))
      << "health did not come back after the database did";
  EXPECT_TRUE(Eventually([&] { return Health(*sales_health_) == HealthCheckResponse::SERVING; }));
  const size_t acked_at_return = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acknowledged.size();
  }();
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return acknowledged.size() > acked_at_return + 20;
  })) << "captures did not resume";
  stop = true;
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(other_errors.load(), 0);

  // Every acknowledged capture is stored, each person once.
  std::set<std::string> stored;
  std::string token;
  do {
    mv1::ListLeadsRequest req;
    req.set_page_size(1000);
    req.set_page_token(token);
    mv1::ListLeadsResponse resp;
    ASSERT_TRUE(leads_->ListLeads(Ctx().get(), req, &resp).ok());
    for (const mv1::Lead& l : resp.leads()) {
      EXPECT_TRUE(stored.insert(l.contact().email()).second) << "two leads for " << l.contact().email();
    }
    token = resp.next_page_token();
  } while (!token.empty());
  for (const std::string& email : acknowledged) EXPECT_EQ(stored.count(email), 1u) << email << " was lost";
  std::printf("[fault] postgres outage: %zu captures acknowledged, %d refused UNAVAILABLE while down, %zu stored, 0 lost\n",
              acknowledged.size(), unavailable.load(), stored.size());
}

// A retry after the outage with the same request_id answers with the same lead: the
// request log lives in the same transaction as the capture.
TEST_F(PostgresTest, ARetryAfterTheDatabaseCameBackActsOnce) {
  mv1::CaptureLeadRequest req;
  req.mutable_contact()->set_email("retry@outage.example.com");
  req.set_request_id("retry-1");
  mv1::CaptureLeadResponse first;
  ASSERT_TRUE(leads_->CaptureLead(Ctx().get(), req, &first).ok());
  ASSERT_TRUE(postgres_->Kill());  // as a crash of the database server
  mv1::CaptureLeadResponse during;
  EXPECT_EQ(leads_->CaptureLead(Ctx().get(), req, &during).error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(postgres_->Start());
  mv1::CaptureLeadResponse again;
  ASSERT_TRUE(Eventually([&] { return leads_->CaptureLead(Ctx().get(), req, &again).ok(); }));
  EXPECT_EQ(again.lead().name(), first.lead().name());
  EXPECT_EQ(again.lead().merged_capture_count(), first.lead().merged_capture_count());
}

TEST_F(PostgresTest, ABadUrlOrWrongPasswordStopsStartUpNamingTheFlag) {
  // Nothing listens on port 1.
  std::string log = FailedStart({"--database=postgres://handoff@127.0.0.1:1/none",
                                 "--database_password_file=" + postgres_->password_file()});
  EXPECT_NE(log.find("--database"), std::string::npos) << log;

  const std::string wrong = dir_.path() + "/wrong-password";
  std::ofstream(wrong) << "not-the-password\n";
  // A server that answered "no" is not waited for, however long the wait allowed.
  const absl::Time before = absl::Now();
  log = FailedStart({"--database=" + postgres_->Url("marketing"), "--database_password_file=" + wrong,
                     "--database_startup_wait=60s"});
  EXPECT_LT(absl::Now() - before, absl::Seconds(9)) << log;
  EXPECT_EQ(log.find("waiting for the database"), std::string::npos) << log;
  EXPECT_NE(log.find("--database"), std::string::npos) << log;
  EXPECT_NE(log.find("password authentication failed"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-password"), std::string::npos) << "the password was logged:\n" << log;

  // A password in the URL itself is not logged either.
  log = FailedStart({"--database=postgres://handoff:secret-in-url@127.0.0.1:" + std::to_string(postgres_->port()) +
                     "/no_such_database"});
  EXPECT_NE(log.find("--database"), std::string::npos) << log;
  EXPECT_EQ(log.find("secret-in-url"), std::string::npos) << "the password was logged:\n" << log;

  log = FailedStart({"--database=postgres://handoff@127.0.0.1:5432/x", "--database_password_file=/nonexistent"});
  EXPECT_NE(log.find("--database_password_file"), std::string::npos) << log;
  log = FailedStart({"--database=" + postgres_->Url("marketing"), "--database_pool_size=0"});
  EXPECT_NE(log.find("--database_pool_size"), std::string::npos) << log;
  log = FailedStart({"--database=" + postgres_->Url("marketing"), "--database_writers=0"});
  EXPECT_NE(log.find("--database_writers must be between 1 and 1000"), std::string::npos) << log;
}

// A service starting before its database server (as in compose or a pod) keeps trying for
// --database_startup_wait, saying so in its log, and serves once the server is up; past
// the wait it gives up naming --database.
TEST_F(PostgresTest, StartUpWaitsForADatabaseServerThatIsStillComing) {
  ASSERT_TRUE(postgres_->Stop());
  std::string log = FailedStart({"--database=" + postgres_->Url("marketing"),
                                 "--database_password_file=" + postgres_->password_file(),
                                 "--database_startup_wait=1500ms"});
  EXPECT_NE(log.find("waiting for the database"), std::string::npos) << log;
  EXPECT_NE(log.find("--database"), std::string::npos) << log;

  ServiceProcess p(HANDOFF_MARKETING_BINARY,
                   {"--listen=127.0.0.1:0", "--sales_address=127.0.0.1:1", "--database=" + postgres_->Url("marketing"),
                    "--database_password_file=" + postgres_->password_file(), "--database_startup_wait=30s"},
                   dir_.path() + "/waiting.log");
  std::thread late([this] {
    absl::SleepFor(absl::Seconds(2));
    EXPECT_TRUE(postgres_->Start());
  });
  const bool started = p.Start();
  late.join();
  ASSERT_TRUE(started) << p.Log();
  EXPECT_NE(p.Log().find("waiting for the database"), std::string::npos) << p.Log();
  EXPECT_EQ(p.Stop(), 0) << p.Log();
}

// Replicas started at the same moment on an empty database migrate it once (under an
// advisory lock) and all serve; a binary older than the schema refuses to start.
TEST_F(PostgresTest, ReplicasStartingTogetherMigrateOnceAndANewerSchemaIsRefused) {
  ASSERT_TRUE(postgres_->CreateDatabase("fresh"));
  std::vector<std::unique_ptr<ServiceProcess>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<ServiceProcess>(
        HANDOFF_MARKETING_BINARY,
        std::vector<std::string>{"--listen=127.0.0.1:0", "--sales_address=127.0.0.1:1",
                                 "--database=" + postgres_->Url("fresh"),
                                 "--database_password_file=" + postgres_->password_file()},
        dir_.path() + "/replica" + std::to_string(i) + ".log"));
  }
  std::vector<std::thread> starts;
  std::atomic<int> started{0};
  for (auto& r : replicas) starts.emplace_back([&, p = r.get()] { started += p->Start() ? 1 : 0; });
  for (std::thread& t : starts) t.join();
  EXPECT_EQ(started.load(), 3);
  int applied = 0;
  for (auto& r : replicas) {
    const std::string log = r->Log();
    if (log.find("applied migration 1") != std::string::npos) ++applied;
    r->Kill();
  }
  EXPECT_EQ(applied, 1) << "the schema was migrated by " << applied << " replicas";

  const std::string bump = std::string("PGPASSWORD=") + PostgresServer::kPassword +
                           " /usr/lib/postgresql/15/bin/psql -q -h 127.0.0.1 -p " + std::to_string(postgres_->port()) +
                           " -U handoff -d fresh -c \"INSERT INTO schema_migrations(version, name, applied_at_us)"
                           " VALUES (99, 'from_the_future', 0)\"";
  ASSERT_EQ(std::system(bump.c_str()), 0);
  const std::string log = FailedStart({"--database=" + postgres_->Url("fresh"),
                                       "--database_password_file=" + postgres_->password_file()});
  EXPECT_NE(log.find("schema version 99, newer than this binary knows"), std::string::npos) << log;
}

}  // namespace
}  // namespace handoff::testing
