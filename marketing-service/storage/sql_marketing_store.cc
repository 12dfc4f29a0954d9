#include "marketing-service/storage/sql_marketing_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "marketing-service/storage/sql_marketing_tx.h"

namespace handoff::marketing {

namespace migrations {
// Generated from storage/migrations/<backend>/*.sql (common/sql/embed_migrations.cmake).
std::vector<sql::Migration> Sqlite();
std::vector<sql::Migration> Postgres();
}  // namespace migrations

std::vector<sql::Migration> SqlMarketingStore::SqliteMigrations() { return migrations::Sqlite(); }
std::vector<sql::Migration> SqlMarketingStore::PostgresMigrations() { return migrations::Postgres(); }

absl::StatusOr<std::unique_ptr<SqlMarketingStore>> SqlMarketingStore::Open(const std::string& url,
                                                             const DatabaseOptions& options) {
  absl::StatusOr<std::unique_ptr<sql::Database>> db =
      OpenDatabase(url, SqliteMigrations(), PostgresMigrations(), options);
  if (!db.ok()) return db.status();
  return std::make_unique<SqlMarketingStore>(*std::move(db));
}

absl::StatusOr<std::unique_ptr<SqlMarketingStore>> SqlMarketingStore::OpenSqlite(const std::string& path,
                                                                   const DatabaseOptions& options) {
  return Open(absl::StrCat("sqlite:", path), options);
}

absl::Status SqlMarketingStore::Run(absl::FunctionRef<absl::Status(MarketingTx&)> work) {
  return sql::RunTransaction<SqlMarketingTx>(*db_, work);
}

absl::StatusOr<int64_t> SqlMarketingStore::FoldFunnelChanges() {
  if (db_->dialect() != sql::Dialect::kPostgres) return 0;
  int64_t moved = 0;
  absl::Status s = db_->Write([&moved](sql::Transaction& tx) -> absl::Status {
    moved = 0;
    // Each statement deletes the changes its snapshot sees and adds their sums to the rows;
    // changes committed meanwhile stay for the next fold.
    for (const char* fold : {
             "WITH moved AS (DELETE FROM funnel_stage_changes RETURNING stage, current_count, ever_entered, stays),"
             " sums AS (SELECT stage, SUM(current_count) AS c, SUM(ever_entered) AS e, SUM(stays) AS s, COUNT(*) AS n"
             " FROM moved GROUP BY stage),"
             " folded AS (UPDATE funnel_stages f SET current_count = f.current_count + sums.c,"
             " ever_entered = f.ever_entered + sums.e, stays = f.stays + sums.s FROM sums WHERE f.stage = sums.stage)"
             " SELECT COALESCE(SUM(n), 0)::BIGINT FROM sums",
             "WITH moved AS (DELETE FROM funnel_conversion_changes RETURNING from_stage, to_stage, converted),"
             " sums AS (SELECT from_stage, to_stage, SUM(converted) AS c, COUNT(*) AS n FROM moved"
             " GROUP BY from_stage, to_stage),"
             " folded AS (UPDATE funnel_conversions f SET converted = f.converted + sums.c FROM sums"
             " WHERE f.from_stage = sums.from_stage AND f.to_stage = sums.to_stage)"
             " SELECT COALESCE(SUM(n), 0)::BIGINT FROM sums"}) {
      absl::StatusOr<sql::Statement> q = tx.Prepare(fold);
      if (!q.ok()) return q.status();
      absl::StatusOr<bool> row = q->Step();
      if (!row.ok()) return row.status();
      moved += q->Int(0);
      if (absl::Status done = q->Run(); !done.ok()) return done;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return moved;
}

absl::Status SqlMarketingStore::Read(absl::FunctionRef<absl::Status(MarketingTx&)> work) {
  return sql::RunRead<SqlMarketingTx>(*db_, work);
}

}  // namespace handoff::marketing
