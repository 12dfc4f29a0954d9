#include "common/sqlite/database.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/temp_path.h"

namespace handoff::sqlite {
namespace {

absl::Status Exec(Database& db, const std::string& sql) {
  Transaction tx(db);
  if (absl::Status s = tx.Exec(sql); !s.ok()) return s;
  return tx.Commit();
}

TEST(Database, AppliesOnlyNewMigrationsAndKeepsData) {
  testing::TempDbPath path;
  const Migration v1{1, "v1", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE);"};
  {
    std::unique_ptr<Database> db = *Database::Open(path.path(), {v1});
    EXPECT_EQ(db->schema_version(), 1);
    ASSERT_TRUE(Exec(*db, "INSERT INTO t(name) VALUES('a')").ok());
  }
  std::unique_ptr<Database> db =
      *Database::Open(path.path(), {v1, {2, "v2", "ALTER TABLE t ADD COLUMN extra INTEGER NOT NULL DEFAULT 7;"}});
  EXPECT_EQ(db->schema_version(), 2);
  Transaction tx(*db);
  absl::StatusOr<Statement> q = tx.Prepare("SELECT name, extra FROM t");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Text(0), "a");
  EXPECT_EQ(q->Int(1), 7);
}

// The number of rows of t, read in a read transaction.
absl::StatusOr<int64_t> CountRows(Database& db) {
  int64_t n = -1;
  absl::Status s = db.Read([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> q = tx.Prepare("SELECT COUNT(*) FROM t");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    n = q->Int(0);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return n;
}

// A database with table t(id, name) and one row in it, opened with `options`.
std::unique_ptr<Database> OpenWithOneRow(const std::string& path, const DatabaseOptions& options = {}) {
  std::unique_ptr<Database> db =
      *Database::Open(path, {{1, "v1", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);"}}, options);
  EXPECT_TRUE(Exec(*db, "INSERT INTO t(name) VALUES('a')").ok());
  return db;
}

TEST(Database, ReadsRunBesideAnOpenWriteTransactionAndSeeOnlyCommittedRows) {
  testing::TempDbPath path;
  std::unique_ptr<Database> db = OpenWithOneRow(path.path());
  {
    Transaction writer(*db);  // holds the write lock, with an uncommitted row
    ASSERT_TRUE(writer.Exec("INSERT INTO t(name) VALUES('pending')").ok());
    // On another thread: with reads under the write lock this would wait until the end.
    std::future<absl::StatusOr<int64_t>> read =
        std::async(std::launch::async, [&] { return CountRows(*db); });
    ASSERT_EQ(read.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "the read waited for the writer";
    EXPECT_EQ(*read.get(), 1);
    ASSERT_TRUE(writer.Commit().ok());
  }
  EXPECT_EQ(*CountRows(*db), 2);
}

TEST(Database, AWriteInAReadTransactionFailsAndChangesNothing) {
  testing::TempDbPath path;
  std::unique_ptr<Database> db =
      *Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);"}});
  absl::Status s = db->Read([](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> q = tx.Prepare("INSERT INTO t(name) VALUES('sneaky')");
    if (!q.ok()) return q.status();
    return q->Run();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*CountRows(*db), 0);
}

TEST(Database, WithoutReadersReadsTakeTheWriteLock) {
  testing::TempDbPath path;
  DatabaseOptions options;
  options.readers = 0;
  std::unique_ptr<Database> db = OpenWithOneRow(path.path(), options);
  EXPECT_EQ(*CountRows(*db), 1);
  std::future<absl::StatusOr<int64_t>> read;
  {
    Transaction writer(*db);
    read = std::async(std::launch::async, [&] { return CountRows(*db); });
    EXPECT_EQ(read.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    ASSERT_TRUE(writer.Exec("INSERT INTO t(name) VALUES('b')").ok());
    ASSERT_TRUE(writer.Commit().ok());
  }
  EXPECT_EQ(*read.get(), 2);
}

TEST(Database, ManyConcurrentReadsShareThePool) {
  testing::TempDbPath path;
  DatabaseOptions options;
  options.readers = 2;
  std::unique_ptr<Database> db = OpenWithOneRow(path.path(), options);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k) {
        absl::StatusOr<int64_t> n = CountRows(*db);
        if (n.ok() && *n == 1) ok.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST(Database, GroupedWorkKeepsEachCallsOwnResult) {
  testing::TempDbPath path;
  std::unique_ptr<Database> db =
      *Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE);"}});
  constexpr int kThreads = 16;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 20; ++round) {
        const std::string name = std::to_string(i) + "-" + std::to_string(round);
        absl::Status s = db->RunGrouped([&](Transaction& tx) -> absl::Status {
          absl::StatusOr<Statement> q = tx.Prepare("INSERT INTO t(name) VALUES(?)");
          if (!q.ok()) return q.status();
          if (absl::Status ins = q->Bind(1, name).Run(); !ins.ok()) return ins;
          // Odd threads fail after writing: their row must not survive.
          if (i % 2 == 1) return absl::InvalidArgumentError("refused after the write");
          return absl::OkStatus();
        });
        if (i % 2 == 0 && !s.ok()) results[i] = s;
        if (i % 2 == 1 && s.code() != absl::StatusCode::kInvalidArgument) results[i] = absl::InternalError("wrong result");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  Transaction tx(*db);
  absl::StatusOr<Statement> q = tx.Prepare("SELECT COUNT(*), SUM(CAST(name AS INTEGER) % 2) FROM t");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Int(0), kThreads / 2 * 20);  // every successful call, no refused one
  EXPECT_EQ(q->Int(1), 0);                  // only even threads' rows
}

TEST(Database, AConstraintViolationInAGroupRollsBackOnlyThatCall) {
  testing::TempDbPath path;
  std::unique_ptr<Database> db =
      *Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE);"}});
  auto insert = [&](const std::string& name) {
    return db->RunGrouped([&](Transaction& tx) -> absl::Status {
      absl::StatusOr<Statement> q = tx.Prepare("INSERT INTO t(name) VALUES(?)");
      if (!q.ok()) return q.status();
      return q->Bind(1, name).Run();
    });
  };
  ASSERT_TRUE(insert("a").ok());
  EXPECT_EQ(insert("a").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(insert("b").ok());
}

// One stuck call must not block every other write for ever: the others give up within
// the time bound, write nothing, and CheckWriter reports the stuck writer.
TEST(Database, CallsWaitingBehindAStuckCallFailWithinTheBoundAndWriteNothing) {
  testing::TempDbPath path;
  DatabaseOptions options;
  options.write_timeout = absl::Milliseconds(200);
  std::unique_ptr<Database> db = *Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(x INTEGER);"}}, options);
  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  std::thread stuck([&] {
    EXPECT_TRUE(db->RunGrouped([&](Transaction&) {
                    holding = true;
                    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                    return absl::OkStatus();
                  }).ok());
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto start = std::chrono::steady_clock::now();
  bool ran = false;
  const absl::Status waited = db->RunGrouped([&](Transaction& tx) {
    ran = true;
    return tx.Exec("INSERT INTO t VALUES(1)");
  });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(waited.code(), absl::StatusCode::kUnavailable) << waited;
  EXPECT_FALSE(ran);
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  // By now the stuck call has held the writer past the bound.
  EXPECT_EQ(db->CheckWriter().code(), absl::StatusCode::kUnavailable);
  release = true;
  stuck.join();
  EXPECT_TRUE(db->CheckWriter().ok());
  ASSERT_TRUE(db->RunGrouped([](Transaction& tx) { return tx.Exec("INSERT INTO t VALUES(2)"); }).ok());
}

TEST(Database, AStatementRunningPastTheBoundIsInterruptedAndUndone) {
  testing::TempDbPath path;
  DatabaseOptions options;
  options.write_timeout = absl::Milliseconds(200);
  std::unique_ptr<Database> db = *Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(x INTEGER);"}}, options);
  const auto start = std::chrono::steady_clock::now();
  const absl::Status s = db->RunGrouped([](Transaction& tx) {
    // Seconds of work: a billion-row recursive count.
    return tx.Exec("INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                   " WHERE x < 1000000000) SELECT count(*) FROM c");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
  const absl::Status counted = db->Read([](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> q = tx.Prepare("SELECT COUNT(*) FROM t");
    if (!q.ok()) return q.status();
    EXPECT_TRUE(*q->Step());
    EXPECT_EQ(q->Int(0), 0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(counted.ok()) << counted;
  EXPECT_TRUE(db->CheckWriter().ok());  // the writer works again
}

TEST(Database, FailedMigrationIsReportedAndLeavesTheVersion) {
  testing::TempDbPath path;
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER);"}, {2, "v2", "NOT SQL AT ALL;"}});
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("migration 2"), absl::string_view::npos);
  EXPECT_EQ((*Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER);"}}))->schema_version(), 1);
}

TEST(Database, AMalformedMigrationSeriesIsRefusedBeforeTheFileIsTouched) {
  testing::TempDbPath path;
  struct Case {
    std::vector<Migration> series;
    const char* says;
  };
  const Case cases[] = {
      // The mistake the field order invites ({1, "CREATE ..."}): the SQL lands in the name.
      {{Migration{1, "CREATE TABLE t(id INTEGER);", ""}}, "is named"},
      {{{1, "v1", "  \n"}}, "migration 1 (v1) has no SQL"},
      {{{1, "v1", "CREATE TABLE t(id INTEGER);"}, {3, "v3", "CREATE TABLE u(id INTEGER);"}}, "migration 3 follows 1"},
      {{{2, "v2", "CREATE TABLE t(id INTEGER);"}}, "migration 2 follows 0"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path.path(), c.series);
    ASSERT_FALSE(db.ok()) << c.says;
    EXPECT_EQ(db.status().code(), absl::StatusCode::kInternal) << db.status();
    EXPECT_NE(db.status().message().find(c.says), absl::string_view::npos) << db.status();
    EXPECT_FALSE(std::filesystem::exists(path.path())) << c.says;
  }
}

TEST(Database, ADatabaseAtANewerSchemaThanTheBinaryIsRefused) {
  testing::TempDbPath path;
  ASSERT_TRUE(Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER);"},
                                           {2, "v2", "CREATE TABLE u(id INTEGER);"}}).ok());
  absl::StatusOr<std::unique_ptr<Database>> older = Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(id INTEGER);"}});
  ASSERT_EQ(older.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(older.status().message().find("schema version 2, newer than this binary knows (1)"), absl::string_view::npos)
      << older.status();
}

TEST(Database, UniqueViolationIsAlreadyExistsAndRollsBack) {
  testing::TempDbPath path;
  std::unique_ptr<Database> db =
      *Database::Open(path.path(), {{1, "v1", "CREATE TABLE t(name TEXT UNIQUE);"}});
  ASSERT_TRUE(Exec(*db, "INSERT INTO t VALUES('a')").ok());
  {
    Transaction tx(*db);
    ASSERT_TRUE(tx.Exec("INSERT INTO t VALUES('b')").ok());
    EXPECT_EQ(tx.Exec("INSERT INTO t VALUES('a')").code(), absl::StatusCode::kAlreadyExists);
    // no Commit: everything in this transaction is rolled back
  }
  Transaction tx(*db);
  absl::StatusOr<Statement> q = tx.Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->Int(0), 1);
}

}  // namespace
}  // namespace handoff::sqlite
