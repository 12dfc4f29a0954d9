#include "common/sqlite/database.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace handoff::sqlite {

absl::Status FromSqlite(int code, absl::string_view context, sqlite3* db) {
  const std::string detail =
      absl::StrCat(context, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::OkStatus();
    case SQLITE_CONSTRAINT:
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(detail);
      }
      return absl::FailedPreconditionError(detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(detail);
    case SQLITE_INTERRUPT:
      return absl::UnavailableError(
          "the write took longer than the store's time bound (--write_timeout) and was undone; retry");
    default:
      // SUM() past 64 bits: the data is fine, the figure asked for does not fit.
      if (db != nullptr && absl::string_view(sqlite3_errmsg(db)) == "integer overflow") {
        return absl::OutOfRangeError(
            "a sum in this result exceeds 64-bit minor units; ask for a narrower range");
      }
      return absl::InternalError(detail);
  }
}

// ---- Cursor ----

namespace {

// A cached sqlite3_stmt and what a run of it needs.
class SqliteCursor final : public sql::Cursor {
 public:
  SqliteCursor(sqlite3* db, sqlite3_stmt* stmt, std::string sql)
      : db_(db), stmt_(stmt), sql_(std::move(sql)) {}
  ~SqliteCursor() { sqlite3_finalize(stmt_); }
  SqliteCursor(const SqliteCursor&) = delete;
  SqliteCursor& operator=(const SqliteCursor&) = delete;

  void BindInt(int index, int64_t value) override { Check(sqlite3_bind_int64(stmt_, index, value)); }
  void BindText(int index, absl::string_view value) override {
    Check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  void BindBlob(int index, absl::string_view bytes) override {
    Check(sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT));
  }
  void BindNull(int index) override { Check(sqlite3_bind_null(stmt_, index)); }

  absl::StatusOr<bool> Step() override {
    if (!bind_status_.ok()) return bind_status_;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return FromSqlite(sqlite3_extended_errcode(db_), sql_, db_);
  }

  int64_t Int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::string Blob(int column) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  bool IsNull(int column) const override { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_status_ = absl::OkStatus();
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = FromSqlite(rc, sql_, db_);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  absl::Status bind_status_;
};

}  // namespace

// ---- Connection ----

// One SQLite connection with its cache of prepared statements. Used by one thread at a
// time: the writer under the database's write lock, a reader while checked out of the pool.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    cache_.clear();
    sqlite3_close(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  absl::StatusOr<sql::Cursor*> Cached(absl::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second.get();
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return FromSqlite(rc, sql, db_);
    auto cursor = std::make_unique<SqliteCursor>(db_, stmt, std::string(sql));
    sql::Cursor* out = cursor.get();
    cache_.emplace(std::string(sql), std::move(cursor));
    return out;
  }

  // Runs one cached statement without results: for the statements every transaction runs
  // (BEGIN, COMMIT, SAVEPOINT ...), which sqlite3_exec would parse again each time.
  absl::Status Run(absl::string_view sql) {
    absl::StatusOr<sql::Cursor*> cursor = Cached(sql);
    if (!cursor.ok()) return cursor.status();
    return Statement(*cursor).Run();
  }

  // Runs one pragma or statement without results.
  absl::Status Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return FromSqlite(sqlite3_extended_errcode(db_), sql, db_);
    }
    return absl::OkStatus();
  }

 private:
  sqlite3* db_;
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteCursor>> cache_;
};

namespace {

// Opens a connection to `path` with the options every connection shares.
absl::StatusOr<std::unique_ptr<Connection>> Connect(const std::string& path, int flags,
                                                    const DatabaseOptions& options) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = FromSqlite(rc, absl::StrCat("open ", path), raw);
    sqlite3_close(raw);
    return absl::UnavailableError(s.message());
  }
  auto conn = std::make_unique<Connection>(raw);
  sqlite3_busy_timeout(raw, static_cast<int>(std::clamp<int64_t>(
                                absl::ToInt64Milliseconds(options.write_timeout), 1, 600'000)));
  const std::string cache = absl::StrCat("PRAGMA cache_size=-", std::max(64, options.cache_kib));
  if (absl::Status s = conn->Exec(cache.c_str()); !s.ok()) return s;
  return conn;
}

bool IsMemory(const std::string& path) {
  return path.empty() || path == ":memory:" || absl::StartsWith(path, "file::memory:");
}

}  // namespace

// ---- Transaction ----

Transaction::Transaction(Database& db) : conn_(*db.writer_) {
  lock_.emplace(&db.mu_);
  Begin("BEGIN IMMEDIATE");
}

Transaction::Transaction(Database& db, LockHeld) : conn_(*db.writer_) {
  db.mu_.AssertHeld();
  Begin("BEGIN IMMEDIATE");
}

Transaction::Transaction(Connection& reader, ReadOnly) : conn_(reader) { Begin("BEGIN"); }

void Transaction::Begin(const char* sql) {
  if (absl::Status s = conn_.Run(sql); !s.ok()) {
    begin_status_ = std::move(s);
    done_ = true;
  }
}

Transaction::~Transaction() {
  if (!done_) conn_.Run("ROLLBACK").IgnoreError();
}

absl::StatusOr<Statement> Transaction::Prepare(absl::string_view sql) {
  absl::StatusOr<sql::Cursor*> cursor = conn_.Cached(sql);
  if (!cursor.ok()) return cursor.status();
  return Statement(*cursor);
}

absl::Status Transaction::Exec(absl::string_view sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(conn_.db(), std::string(sql).c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return FromSqlite(sqlite3_extended_errcode(conn_.db()), sql, conn_.db());
  return absl::OkStatus();
}

absl::Status Transaction::Commit() {
  if (done_) return absl::FailedPreconditionError("transaction already finished");
  if (absl::Status s = conn_.Run("COMMIT"); !s.ok()) return s;
  done_ = true;
  return absl::OkStatus();
}

int64_t Transaction::Changes() const { return sqlite3_changes(conn_.db()); }

// ---- Database ----

Database::Database(std::unique_ptr<Connection> writer, std::string path)
    : writer_(std::move(writer)), path_(std::move(path)) {}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, const std::vector<Migration>& migrations,
    const DatabaseOptions& options) {
  if (absl::Status s = sql::CheckMigrations(migrations); !s.ok()) return s;
  // SQLite's allocation statistics take a global mutex on every malloc and free, and we
  // read none of them (process RSS is the memory figure). Only possible before SQLite
  // initializes, so once, before the first connection.
  static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)configured;
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create directory ", parent.string(), ": ", ec.message()));
  }
  absl::StatusOr<std::unique_ptr<Connection>> writer = Connect(
      path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, options);
  if (!writer.ok()) return writer.status();
  std::unique_ptr<Database> db(new Database(*std::move(writer), path));
  db->write_timeout_ = options.write_timeout;
  // Checked every 1,000 virtual-machine steps: a clock read, cheap beside the steps.
  sqlite3_progress_handler(db->writer_->db(), 1000, &Database::InterruptIfOverdue, db.get());
  for (const char* pragma : {"PRAGMA journal_mode=WAL",
                             options.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF",
                             "PRAGMA foreign_keys=ON",
                             options.memory_temp_store ? "PRAGMA temp_store=MEMORY" : "PRAGMA temp_store=FILE"}) {
    if (absl::Status s = db->writer_->Exec(pragma); !s.ok()) return s;
  }
  {
    Transaction tx(*db);
    if (!tx.begin_status().ok()) return tx.begin_status();
    absl::Status s = tx.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, applied_at_us INTEGER NOT NULL)");
    if (!s.ok()) return s;
    absl::StatusOr<Statement> q = tx.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    db->schema_version_ = static_cast<int>(q->Int(0));
    if (s = tx.Commit(); !s.ok()) return s;
  }
  if (absl::Status s = sql::CheckSchemaNotNewer(path, db->schema_version_, migrations); !s.ok()) return s;
  for (const Migration& m : migrations) {
    if (m.version <= db->schema_version_) continue;
    Transaction tx(*db);
    if (!tx.begin_status().ok()) return tx.begin_status();
    absl::Status s = tx.Exec(m.sql);
    if (!s.ok()) {
      return absl::InternalError(absl::StrCat("migration ", m.version, " failed: ", s.message()));
    }
    absl::StatusOr<Statement> ins =
        tx.Prepare("INSERT INTO schema_migrations(version, applied_at_us) VALUES(?, ?)");
    if (!ins.ok()) return ins.status();
    if (s = ins->Bind(1, int64_t{m.version}).BindTime(2, absl::Now()).Run(); !s.ok()) return s;
    if (s = tx.Commit(); !s.ok()) return s;
    db->schema_version_ = m.version;
  }
  if (!IsMemory(path)) {
    if (absl::Status s = db->OpenReaders(options); !s.ok()) return s;
  }
  return db;
}

absl::Status Database::OpenReaders(const DatabaseOptions& options) {
  absl::MutexLock pool(&pool_mu_);
  for (int i = 0; i < options.readers; ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> reader =
        Connect(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, options);
    if (!reader.ok()) return reader.status();
    // Belt and braces: a read transaction must never write, whatever it runs.
    if (absl::Status s = (*reader)->Exec("PRAGMA query_only=1"); !s.ok()) return s;
    free_readers_.push_back(reader->get());
    readers_.push_back(*std::move(reader));
  }
  return absl::OkStatus();
}

Database::~Database() {
  absl::MutexLock lock(&mu_);
  readers_.clear();
  writer_.reset();
}

absl::Status Database::Read(absl::FunctionRef<absl::Status(sql::Transaction&)> work) {
  if (readers_.empty()) {
    Transaction tx(*this);
    if (!tx.begin_status().ok()) return tx.begin_status();
    if (absl::Status s = work(tx); !s.ok()) return s;
    return tx.Commit();
  }
  Connection* reader;
  {
    absl::MutexLock pool(&pool_mu_);
    pool_mu_.Await(absl::Condition(
        +[](std::vector<Connection*>* free) { return !free->empty(); }, &free_readers_));
    reader = free_readers_.back();
    free_readers_.pop_back();
  }
  absl::Status result;
  {
    Transaction tx(*reader, Transaction::ReadOnly{});
    result = tx.begin_status();
    if (result.ok()) result = work(tx);
    if (result.ok()) result = tx.Commit();  // ends the read; nothing to make durable
  }
  absl::MutexLock pool(&pool_mu_);
  free_readers_.push_back(reader);
  return result;
}

int Database::InterruptIfOverdue(void* self) {
  const auto* db = static_cast<Database*>(self);
  const int64_t started = db->work_started_us_.load(std::memory_order_relaxed);
  if (started == 0) return 0;
  return absl::ToUnixMicros(absl::Now()) - started > absl::ToInt64Microseconds(db->write_timeout_) ? 1 : 0;
}

absl::Status Database::CheckWriter() {
  const int64_t started = work_started_us_.load(std::memory_order_relaxed);
  if (started != 0) {
    const absl::Duration held = absl::Now() - absl::FromUnixMicros(started);
    if (held > write_timeout_) {
      return absl::UnavailableError(absl::StrCat("one call has held the writer for ", absl::FormatDuration(held),
                                                 ", past the time bound of ", absl::FormatDuration(write_timeout_)));
    }
  }
  if (!writes_failing_.load()) return absl::OkStatus();
  // An empty write transaction: takes the write lock, writes nothing, syncs nothing.
  if (absl::Status s = RunGrouped([](Transaction&) { return absl::OkStatus(); }); !s.ok()) {
    return absl::UnavailableError(absl::StrCat("writes fail: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status Database::RunGrouped(absl::FunctionRef<absl::Status(Transaction&)> work) {
  PendingWork me{work, absl::OkStatus(), false};
  std::vector<PendingWork*> batch;
  {
    absl::MutexLock queue(&queue_mu_);
    queue_.push_back(&me);
    // Wait for a previous holder to run this work, or for the writer to be free (then
    // this call runs everything waiting) -- but not longer than the time bound.
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return me.done || !batch_running_; };
    if (!queue_mu_.AwaitWithTimeout(absl::Condition(&ready), write_timeout_) && !me.done) {
      auto it = std::find(queue_.begin(), queue_.end(), &me);
      if (it != queue_.end()) {
        queue_.erase(it);
        return absl::UnavailableError(absl::StrCat(
            "the store's writer has been busy for ", absl::FormatDuration(write_timeout_),
            " (--write_timeout); nothing was written; retry with back-off"));
      }
      // A running batch took this work: it must finish before `work` goes out of scope.
      queue_mu_.Await(absl::Condition(&me.done));
    }
    if (me.done) return me.result;  // a previous holder ran it
    batch_running_ = true;
    batch.swap(queue_);
  }
  absl::MutexLock lock(&mu_);
  // Hands each call its result: with `commit` failed, the calls that had succeeded fail
  // with it (calls that failed keep their own error; they wrote nothing either way).
  auto finish = [&](const absl::Status& commit) {
    work_started_us_.store(0, std::memory_order_relaxed);
    writes_failing_.store(!commit.ok());
    absl::MutexLock queue(&queue_mu_);
    for (PendingWork* p : batch) {
      if (!commit.ok() && p->result.ok()) p->result = commit;
      p->done = true;
    }
    batch_running_ = false;
  };
  // The transaction is lost mid-batch: every call of the batch fails with `why`.
  auto fail_all = [&](const absl::Status& why) {
    for (PendingWork* p : batch) p->result = absl::OkStatus();
    finish(why);
  };
  Transaction tx(*this, Transaction::LockHeld{});
  if (!tx.begin_status().ok()) {
    finish(tx.begin_status());
    return me.result;
  }
  for (PendingWork* p : batch) {
    if (absl::Status s = writer_->Run("SAVEPOINT grouped"); !s.ok()) {
      finish(s);
      return me.result;
    }
    work_started_us_.store(absl::ToUnixMicros(absl::Now()), std::memory_order_relaxed);
    p->result = p->work(tx);
    work_started_us_.store(0, std::memory_order_relaxed);
    if (sqlite3_get_autocommit(writer_->db()) != 0) {
      // SQLite rolled the whole transaction back (I/O error, disk full, ...): the work done
      // so far in this batch is gone, so no call of it may succeed.
      const absl::Status gone = absl::UnavailableError(
          absl::StrCat("the store rolled the transaction back (",
                       p->result.ok() ? "after a failed statement" : p->result.message(), "); retry"));
      tx.Abandon();
      fail_all(gone);
      return me.result;
    }
    absl::Status end = p->result.ok() ? absl::OkStatus() : writer_->Run("ROLLBACK TO grouped");
    if (end.ok()) end = writer_->Run("RELEASE grouped");
    if (absl::Status s = std::move(end); !s.ok()) {
      fail_all(s);
      return me.result;
    }
  }
  finish(tx.Commit());
  return me.result;
}

absl::Status Database::Ping() {
  return Read([](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<Statement> q = tx.Prepare("SELECT COUNT(*) FROM schema_migrations");
    if (!q.ok()) return q.status();
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    return absl::OkStatus();
  });
}

}  // namespace handoff::sqlite
