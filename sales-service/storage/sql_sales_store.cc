#include "sales-service/storage/sql_sales_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sales-service/storage/sql_sales_tx.h"

namespace handoff::sales {

namespace migrations {
// Generated from storage/migrations/<backend>/*.sql (common/sql/embed_migrations.cmake).
std::vector<sql::Migration> Sqlite();
std::vector<sql::Migration> Postgres();
}  // namespace migrations

std::vector<sql::Migration> SqlSalesStore::SqliteMigrations() { return migrations::Sqlite(); }
std::vector<sql::Migration> SqlSalesStore::PostgresMigrations() { return migrations::Postgres(); }

absl::StatusOr<std::unique_ptr<SqlSalesStore>> SqlSalesStore::Open(const std::string& url,
                                                             const DatabaseOptions& options) {
  absl::StatusOr<std::unique_ptr<sql::Database>> db =
      OpenDatabase(url, SqliteMigrations(), PostgresMigrations(), options);
  if (!db.ok()) return db.status();
  return std::make_unique<SqlSalesStore>(*std::move(db));
}

absl::StatusOr<std::unique_ptr<SqlSalesStore>> SqlSalesStore::OpenSqlite(const std::string& path,
                                                                   const DatabaseOptions& options) {
  return Open(absl::StrCat("sqlite:", path), options);
}

absl::Status SqlSalesStore::Run(absl::FunctionRef<absl::Status(SalesTx&)> work) {
  return sql::RunTransaction<SqlSalesTx>(*db_, work);
}

absl::Status SqlSalesStore::Read(absl::FunctionRef<absl::Status(SalesTx&)> work) {
  return sql::RunRead<SqlSalesTx>(*db_, work);
}

}  // namespace handoff::sales
