#ifndef HANDOFF_COMMON_AUDIT_LOG_H_
#define HANDOFF_COMMON_AUDIT_LOG_H_

// A service's audit log as AuditService reads it. Records are appended inside the
// transactions of the calls they record (UnitOfWork::AppendAudit; see RunAudited).

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/page.h"
#include "common/unit_of_work.h"

namespace handoff {

// Which records to list; empty strings and infinite times match everything.
struct AuditQuery {
  std::string principal;
  std::string method;
  std::string resource;
  int code = -1;                            // a gRPC status code; -1 = any
  absl::Time start = absl::InfinitePast();  // time >= start
  absl::Time end = absl::InfiniteFuture();  // time < end
  int64_t before = 0;                       // sequence < before; 0 = from the newest
  int limit = 100;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // The records `query` matches, newest first (by sequence); next_cursor is the `before`
  // of the next page.
  virtual absl::StatusOr<Page<AuditRecord>> List(const AuditQuery& query) = 0;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_AUDIT_LOG_H_
