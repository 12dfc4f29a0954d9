#ifndef HANDOFF_COMMON_GRPC_ACCESS_LOG_H_
#define HANDOFF_COMMON_GRPC_ACCESS_LOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace handoff {

// One line per finished call (component "access"):
//   LeadService/CaptureLead OK 1.204ms request_id=r-17 caller=spiffe://handoff.local/crm-frontend
// Failed calls are always written; successful ones with probability `ok_sample` (0 = none,
// 1 = all; --access_log_sample). Nothing personal is written: the method, the status code,
// the time taken, the caller's request_id and identity.
void SetAccessLogSample(double ok_sample);
void LogAccess(absl::string_view method, absl::StatusCode code, absl::Duration elapsed, absl::string_view request_id,
               absl::string_view caller);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_ACCESS_LOG_H_
