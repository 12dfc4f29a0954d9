#ifndef HANDOFF_COMMON_SQLITE_UNIT_OF_WORK_H_
#define HANDOFF_COMMON_SQLITE_UNIT_OF_WORK_H_

#include <optional>

#include "common/sqlite.h"
#include "common/unit_of_work.h"

namespace handoff::sqlite {

// Schema of the request log and the outbox; every service includes it in its migration 1.
extern const char kUnitOfWorkSchema[];

absl::StatusOr<std::optional<RequestRecord>> FindRequest(Transaction& tx,
                                                         absl::string_view request_id);
absl::Status SaveRequest(Transaction& tx, const RequestRecord& record);
absl::Status Enqueue(Transaction& tx, const OutboxMessage& message);

}  // namespace handoff::sqlite

#endif  // HANDOFF_COMMON_SQLITE_UNIT_OF_WORK_H_
