#ifndef HANDOFF_COMMON_SQL_AUDIT_LOG_H_
#define HANDOFF_COMMON_SQL_AUDIT_LOG_H_

// The audit log on either backend (its table: common/sql/migrations/<backend>/audit_log.sql,
// included in each service's migrations; triggers refuse UPDATE and DELETE on it).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit_log.h"
#include "common/page.h"
#include "common/sql/sql.h"
#include "common/unit_of_work.h"

namespace handoff::sql {

absl::Status AppendAudit(Transaction& tx, const AuditRecord& record);

// The audit log of the service whose database is `db`.
class SqlAuditLog final : public AuditLog {
 public:
  explicit SqlAuditLog(Database& db) : db_(db) {}
  absl::StatusOr<Page<AuditRecord>> List(const AuditQuery& query) override;

 private:
  Database& db_;
};

}  // namespace handoff::sql

#endif  // HANDOFF_COMMON_SQL_AUDIT_LOG_H_
