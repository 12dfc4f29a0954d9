#include "common/postgres/database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace handoff::postgres {
namespace {

// Type OIDs of what the stores bind (pg_type.h): bigint, text, bytea.
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;

// Advisory lock keys of this code (arbitrary, fixed): migrations.
constexpr int64_t kMigrationLock = 4857020300;

bool IsRetryable(absl::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";  // serialization_failure, deadlock_detected
}

// Translates a failed result into an absl::Status with its meaning for the caller.
absl::Status FromResult(const PGresult* res, PGconn* conn, absl::string_view context) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  std::string message = res != nullptr ? PQresultErrorMessage(res) : "";
  if (message.empty() && conn != nullptr) message = PQerrorMessage(conn);
  absl::StripTrailingAsciiWhitespace(&message);
  const std::string detail = absl::StrCat(context, ": ", message);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK || sqlstate.empty() ||
      absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P")) {
    return absl::UnavailableError(absl::StrCat("the database is unreachable (", message, "); retry"));
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(detail);
  if (absl::StartsWith(sqlstate, "23")) return absl::FailedPreconditionError(detail);
  if (IsRetryable(sqlstate)) {
    return absl::AbortedError("the transaction conflicted with concurrent ones; retry");
  }
  if (sqlstate == "22003") {
    return absl::OutOfRangeError("a sum in this result exceeds 64-bit minor units; ask for a narrower range");
  }
  if (sqlstate == "22021" || sqlstate == "22P05") {
    return absl::InvalidArgumentError("a text field holds a character the database cannot store (NUL)");
  }
  if (sqlstate == "57014" || sqlstate == "55P03") {  // statement or lock timeout
    return absl::UnavailableError(
        "the database did not answer within the store's time bound (--write_timeout); nothing was written; retry");
  }
  return absl::InternalError(absl::StrCat(detail, " [SQLSTATE ", sqlstate, "]"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

std::string TranslatePlaceholders(absl::string_view sql, int* params) {
  std::string out;
  out.reserve(sql.size() + 16);
  int highest = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
      continue;
    }
    if (c != '?') {
      out.push_back(c);
      continue;
    }
    size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && absl::ascii_isdigit(static_cast<unsigned char>(sql[j]))) n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = highest + 1;  // "?" is one past the highest so far, as in SQLite
    highest = std::max(highest, n);
    absl::StrAppend(&out, "$", n);
    i = j - 1;
  }
  *params = highest;
  return out;
}

// ---- Connection and cursor ----

class PgCursor;

// One libpq connection with its prepared statements. Used by one thread at a time, while
// checked out of the pool.
class Database::Connection {
 public:
  Connection() = default;
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status Connect(const std::string& url, const DatabaseOptions& options);
  void Close();
  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  PGconn* raw() const { return conn_; }

  // Runs SQL without parameters (may hold several statements).
  absl::Status Exec(absl::string_view sql);
  absl::StatusOr<PgCursor*> Cached(absl::string_view sql);

  int64_t changes = 0;
  // A statement of the transaction failed to serialize or deadlocked: run it again.
  bool conflict = false;
  // A statement of the transaction violated a unique constraint (see RunTransaction).
  bool duplicate = false;
  // Records what a failed statement's SQLSTATE says about the transaction.
  void Note(const char* sqlstate) {
    if (sqlstate == nullptr) return;
    if (IsRetryable(sqlstate)) conflict = true;
    if (absl::string_view(sqlstate) == "23505") duplicate = true;
  }

 private:
  PGconn* conn_ = nullptr;
  absl::flat_hash_map<std::string, std::unique_ptr<PgCursor>> cache_;
  int next_name_ = 0;
};

class PgCursor final : public sql::Cursor {
 public:
  PgCursor(Database::Connection& conn, std::string name, std::string source, std::string sql, int params)
      : conn_(conn), name_(std::move(name)), source_(std::move(source)), sql_(std::move(sql)),
        values_(params), pointers_(params), lengths_(params), types_(params, 0), formats_(params, 0),
        set_(params, false) {}
  ~PgCursor() { Reset(); }
  PgCursor(const PgCursor&) = delete;
  PgCursor& operator=(const PgCursor&) = delete;

  void BindInt(int index, int64_t value) override { Set(index, absl::StrCat(value), kInt8Oid, 0); }
  void BindText(int index, absl::string_view value) override { Set(index, std::string(value), kTextOid, 0); }
  void BindBlob(int index, absl::string_view bytes) override { Set(index, std::string(bytes), kByteaOid, 1); }
  void BindNull(int index) override {
    if (!InRange(index)) return;
    set_[index - 1] = false;
    values_[index - 1].clear();
  }

  absl::StatusOr<bool> Step() override {
    if (!bind_status_.ok()) return bind_status_;
    if (result_ != nullptr) return ++row_ < PQntuples(result_);
    if (!conn_.ok()) return FromResult(nullptr, conn_.raw(), source_);
    if (!prepared_) {
      PGresult* p = PQprepare(conn_.raw(), name_.c_str(), sql_.c_str(), static_cast<int>(types_.size()),
                              types_.data());
      const bool ok = PQresultStatus(p) == PGRES_COMMAND_OK;
      absl::Status s = ok ? absl::OkStatus() : Fail(p);
      PQclear(p);
      if (!s.ok()) return s;
      prepared_ = true;
    }
    for (size_t i = 0; i < values_.size(); ++i) {
      pointers_[i] = set_[i] ? values_[i].data() : nullptr;
      lengths_[i] = static_cast<int>(values_[i].size());
    }
    result_ = PQexecPrepared(conn_.raw(), name_.c_str(), static_cast<int>(values_.size()), pointers_.data(),
                             lengths_.data(), formats_.data(), /*resultFormat=*/0);
    const ExecStatusType status = PQresultStatus(result_);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      absl::Status s = Fail(result_);
      PQclear(result_);
      result_ = nullptr;
      return s;
    }
    int64_t changed = 0;
    conn_.changes = absl::SimpleAtoi(PQcmdTuples(result_), &changed) ? changed : 0;
    row_ = 0;
    return row_ < PQntuples(result_);
  }

  int64_t Int(int column) const override {
    const char* v = PQgetvalue(result_, row_, column);
    int64_t out = 0;
    if (absl::SimpleAtoi(v, &out)) return out;
    return v[0] == 't' ? 1 : 0;  // a boolean
  }
  std::string Text(int column) const override {
    return std::string(PQgetvalue(result_, row_, column), static_cast<size_t>(PQgetlength(result_, row_, column)));
  }
  std::string Blob(int column) const override {
    // bytea in text format is hex: \x0a1b...
    const char* v = PQgetvalue(result_, row_, column);
    const int length = PQgetlength(result_, row_, column);
    if (length < 2 || v[0] != '\\' || v[1] != 'x') return Text(column);
    std::string out;
    out.resize(static_cast<size_t>(length - 2) / 2);
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<char>(HexValue(v[2 + 2 * i]) * 16 + HexValue(v[3 + 2 * i]));
    }
    return out;
  }
  bool IsNull(int column) const override { return PQgetisnull(result_, row_, column) != 0; }

  void Reset() override {
    if (result_ != nullptr) PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    std::fill(set_.begin(), set_.end(), false);
    bind_status_ = absl::OkStatus();
  }

 private:
  bool InRange(int index) {
    if (index >= 1 && index <= static_cast<int>(values_.size())) return true;
    if (bind_status_.ok()) {
      bind_status_ = absl::InternalError(absl::StrCat(source_, ": no parameter ", index));
    }
    return false;
  }
  void Set(int index, std::string value, Oid type, int format) {
    if (!InRange(index)) return;
    values_[index - 1] = std::move(value);
    set_[index - 1] = true;
    formats_[index - 1] = format;
    if (!prepared_) types_[index - 1] = type;  // the types of the first run are prepared
  }
  absl::Status Fail(const PGresult* res) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    conn_.Note(state);
    return FromResult(res, conn_.raw(), source_);
  }

  Database::Connection& conn_;
  const std::string name_;
  const std::string source_;  // as the store wrote it, for errors
  const std::string sql_;     // with $N placeholders
  std::vector<std::string> values_;
  std::vector<const char*> pointers_;  // the arguments of a run, reused by the next
  std::vector<int> lengths_;
  std::vector<Oid> types_;
  std::vector<int> formats_;
  std::vector<bool> set_;
  bool prepared_ = false;
  absl::Status bind_status_;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

absl::Status Database::Connection::Connect(const std::string& url, const DatabaseOptions& options) {
  Close();
  const std::string timeout = absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout)));
  std::vector<const char*> keys = {"dbname", "connect_timeout", "application_name", "keepalives",
                                   "keepalives_idle", "keepalives_interval", "keepalives_count"};
  std::vector<const char*> values = {url.c_str(), timeout.c_str(), options.application_name.c_str(), "1", "10",
                                     "5", "3"};
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
    absl::StripTrailingAsciiWhitespace(&why);
    Close();
    return absl::UnavailableError(absl::StrCat("cannot connect to ", Redact(url), ": ", why));
  }
  const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(options.statement_timeout));
  return Exec(absl::StrCat("SET client_encoding = 'UTF8'; SET statement_timeout = ", ms, "; SET lock_timeout = ", ms,
                           "; SET idle_in_transaction_session_timeout = ", std::max<int64_t>(ms * 12, 60000)));
}

void Database::Connection::Close() {
  cache_.clear();  // prepared statements die with the connection
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

absl::Status Database::Connection::Exec(absl::string_view sql) {
  if (conn_ == nullptr) return absl::UnavailableError("the database is unreachable; retry");
  PGresult* res = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType status = PQresultStatus(res);
  absl::Status s;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    Note(state);
    s = FromResult(res, conn_, sql.substr(0, 200));
  }
  PQclear(res);
  return s;
}

absl::StatusOr<PgCursor*> Database::Connection::Cached(absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  int params = 0;
  std::string translated = TranslatePlaceholders(sql, &params);
  auto cursor = std::make_unique<PgCursor>(*this, absl::StrCat("h", next_name_++), std::string(sql),
                                           std::move(translated), params);
  PgCursor* out = cursor.get();
  cache_.emplace(std::string(sql), std::move(cursor));
  return out;
}

namespace {

class PgTransaction final : public sql::Transaction {
 public:
  explicit PgTransaction(Database::Connection& conn) : conn_(conn) {}
  absl::StatusOr<sql::Statement> Prepare(absl::string_view sql) override {
    absl::StatusOr<PgCursor*> cursor = conn_.Cached(sql);
    if (!cursor.ok()) return cursor.status();
    return sql::Statement(*cursor);
  }
  int64_t Changes() const override { return conn_.changes; }
  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

 private:
  Database::Connection& conn_;
};

}  // namespace

// ---- Database ----

std::string Database::Redact(absl::string_view url) {
  // postgres://user:password@host/...: the password is between the first ':' after the
  // scheme and the '@' of the authority.
  const size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return std::string(url);
  const size_t start = scheme + 3;
  const size_t at = url.find('@', start);
  const size_t slash = url.find('/', start);
  if (at == absl::string_view::npos || (slash != absl::string_view::npos && slash < at)) return std::string(url);
  const size_t colon = url.find(':', start);
  std::string out(url);
  if (colon != absl::string_view::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  // password=... in the query string
  const size_t q = out.find("password=");
  if (q != std::string::npos) {
    const size_t end = out.find('&', q);
    out.replace(q + 9, (end == std::string::npos ? out.size() : end) - q - 9, "***");
  }
  return out;
}

Database::Database(std::string url, DatabaseOptions options)
    : url_(std::move(url)), options_(std::move(options)), writers_(std::min(options_.writers, options_.pool_size)) {}

Database::~Database() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Database* db) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db->mu_) { return db->free_.size() == db->connections_.size(); },
      this));
  free_.clear();
  connections_.clear();
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& url,
                                                         const std::vector<sql::Migration>& migrations,
                                                         const DatabaseOptions& options) {
  if (options.pool_size < 1) return absl::InvalidArgumentError("the pool needs at least one connection");
  if (absl::Status s = sql::CheckMigrations(migrations); !s.ok()) return s;
  std::unique_ptr<Database> db(new Database(url, options));
  auto first = std::make_unique<Connection>();
  if (absl::Status s = first->Connect(url, options); !s.ok()) return s;

  // Migrations, one replica at a time (the lock is the session's: released on return).
  Connection& c = *first;
  if (absl::Status s = c.Exec(absl::StrCat("SELECT pg_advisory_lock(", kMigrationLock, ")")); !s.ok()) return s;
  auto unlock = [&c] { (void)c.Exec(absl::StrCat("SELECT pg_advisory_unlock(", kMigrationLock, ")")); };
  absl::Status s = c.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
      " name TEXT NOT NULL DEFAULT '', applied_at_us BIGINT NOT NULL)");
  if (s.ok()) {
    PGresult* res = PQexec(c.raw(), "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
      db->schema_version_ = std::atoi(PQgetvalue(res, 0, 0));
    } else {
      s = FromResult(res, c.raw(), "schema_migrations");
    }
    PQclear(res);
  }
  if (s.ok()) s = sql::CheckSchemaNotNewer(absl::StrCat("the database ", Redact(url)), db->schema_version_, migrations);
  for (const sql::Migration& m : migrations) {
    if (!s.ok()) break;
    if (m.version <= db->schema_version_) continue;
    s = c.Exec("BEGIN");
    if (s.ok()) s = c.Exec(m.sql);
    if (s.ok()) {
      s = c.Exec(absl::StrCat("INSERT INTO schema_migrations(version, name, applied_at_us) VALUES(", m.version,
                              ", '", m.name, "', ", absl::ToUnixMicros(absl::Now()), ")"));
    }
    if (s.ok()) s = c.Exec("COMMIT");
    if (!s.ok()) {
      (void)c.Exec("ROLLBACK");
      s = absl::Status(s.code(), absl::StrCat("migration ", m.version, " (", m.name, ") failed: ", s.message()));
      break;
    }
    db->schema_version_ = m.version;
    LogInfo("database", absl::StrCat("applied migration ", m.version, " (", m.name, ")"));
  }
  unlock();
  if (!s.ok()) return s;

  absl::MutexLock lock(&db->mu_);
  db->free_.push_back(first.get());
  db->connections_.push_back(std::move(first));
  // The others connect when first needed.
  for (int i = 1; i < options.pool_size; ++i) {
    db->connections_.push_back(std::make_unique<Connection>());
    db->free_.push_back(db->connections_.back().get());
  }
  return db;
}

absl::StatusOr<Database::Connection*> Database::Acquire() {
  Connection* conn = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&free), options_.statement_timeout)) {
      return absl::UnavailableError(absl::StrCat("all ", options_.pool_size,
                                                 " database connections stayed busy for ",
                                                 absl::FormatDuration(options_.statement_timeout),
                                                 " (--database_pool_size); nothing was written; retry"));
    }
    conn = free_.back();
    free_.pop_back();
  }
  if (!conn->ok()) {
    if (absl::Status s = conn->Connect(url_, options_); !s.ok()) {
      Release(conn);
      return s;
    }
  }
  return conn;
}

void Database::Release(Connection* conn) {
  absl::MutexLock lock(&mu_);
  free_.push_back(conn);
}

absl::Status Database::RunTransaction(const char* begin, int attempts,
                                      absl::FunctionRef<absl::Status(sql::Transaction&)> work,
                                      WriteGate* gate) {
  bool alone = false;  // the first attempt runs beside others, a retry alone
  const auto lock = [&]() -> absl::Status {
    if (gate == nullptr || gate->Enter(alone, options_.statement_timeout)) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat("the store's writer has been busy for ",
                                               absl::FormatDuration(options_.statement_timeout),
                                               " (--write_timeout); nothing was written; retry with back-off"));
  };
  const auto unlock = [&] {
    if (gate != nullptr) gate->Leave(alone);
  };
  if (absl::Status s = lock(); !s.ok()) return s;
  absl::StatusOr<Connection*> acquired = Acquire();
  if (!acquired.ok()) {
    unlock();
    return acquired.status();
  }
  Connection& conn = **acquired;
  absl::BitGen jitter;
  absl::Status result;
  for (int attempt = 1;; ++attempt) {
    conn.conflict = conn.duplicate = false;
    result = conn.Exec(begin);
    if (!result.ok() && !conn.ok() && attempt == 1) {
      // A pooled connection the server dropped (it restarted): nothing ran yet, so connect
      // again and begin once more.
      if (conn.Connect(url_, options_).ok()) result = conn.Exec(begin);
    }
    if (result.ok()) {
      PgTransaction tx(conn);
      result = work(tx);
      if (result.ok() && PQtransactionStatus(conn.raw()) == PQTRANS_INERROR) {
        // The work went on after a failed statement: the transaction is lost.
        result = conn.conflict ? absl::AbortedError("the transaction conflicted with concurrent ones; retry")
                               : absl::InternalError("a statement of the transaction failed");
      }
      if (result.ok()) result = conn.Exec("COMMIT");
    }
    // A failed COMMIT has already ended the transaction; ROLLBACK then only draws a warning.
    if (!result.ok() && conn.ok() && PQtransactionStatus(conn.raw()) != PQTRANS_IDLE) (void)conn.Exec("ROLLBACK");
    // A unique violation in a run beside this process's other writers may be one of them
    // having inserted the same key after this one's snapshot (SERIALIZABLE reports that as a
    // serialization failure only when this transaction had read the key): run it again
    // alone, which sees their row; a key that really exists is ALREADY_EXISTS there.
    const bool raced = conn.duplicate && gate != nullptr && !alone && gate->writers() > 1;
    if (result.ok() || !(conn.conflict || raced) || attempt >= attempts) break;
    retries_.fetch_add(1, std::memory_order_relaxed);
    // Back off a little, more each time (up to 128 ms), so the transactions that collided
    // -- often on another replica, behind that process's own queue of writes -- spread out.
    unlock();
    absl::SleepFor(absl::Microseconds(absl::Uniform<int64_t>(jitter, 0, 1000 << std::min(attempt, 7))));
    alone = true;
    if (absl::Status s = lock(); !s.ok()) {
      Release(&conn);
      return s;
    }
  }
  unlock();
  if (!result.ok() && conn.conflict) {
    result = absl::AbortedError(absl::StrCat("the transaction conflicted with concurrent ones ", attempts,
                                             " times (PostgreSQL serialization failure); retry"));
  }
  Release(&conn);
  return result;
}

absl::Status Database::Write(absl::FunctionRef<absl::Status(sql::Transaction&)> work) {
  // Up to options_.writers at once. Transactions that share a row (sales' assignment
  // rotation; the funnel counters are rows of changes for this reason) fail to serialize
  // when they overlap, and their second run is alone. Conflicts with other processes
  // (replicas) are caught by SERIALIZABLE too and retried.
  return RunTransaction("BEGIN ISOLATION LEVEL SERIALIZABLE", options_.max_attempts, work, &writers_);
}

absl::Status Database::WriteEachStatementFresh(absl::FunctionRef<absl::Status(sql::Transaction&)> work) {
  return RunTransaction("BEGIN ISOLATION LEVEL READ COMMITTED", 1, work);
}

absl::Status Database::Read(absl::FunctionRef<absl::Status(sql::Transaction&)> work) {
  return RunTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 1, work);
}

absl::Status Database::Ping() {
  return Read([](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<sql::Statement> q = tx.Prepare("SELECT COUNT(*) FROM schema_migrations");
    if (!q.ok()) return q.status();
    return q->Run();
  });
}

}  // namespace handoff::postgres
