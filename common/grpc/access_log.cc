#include "common/grpc/access_log.h"

#include <atomic>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace handoff {
namespace {

std::atomic<double> g_ok_sample{1.0};

bool Sampled() {
  const double p = g_ok_sample.load(std::memory_order_relaxed);
  if (p >= 1) return true;
  if (p <= 0) return false;
  thread_local absl::InsecureBitGen gen;
  return absl::Bernoulli(gen, p);
}

}  // namespace

void SetAccessLogSample(double ok_sample) { g_ok_sample.store(ok_sample, std::memory_order_relaxed); }

void LogAccess(absl::string_view method, absl::StatusCode code, absl::Duration elapsed, absl::string_view request_id,
               absl::string_view caller) {
  if (code == absl::StatusCode::kOk && !Sampled()) return;
  std::string line = absl::StrCat(method, " ", absl::StatusCodeToString(code), " ",
                                  absl::FormatDuration(absl::Trunc(elapsed, absl::Microseconds(1))));
  if (!request_id.empty()) absl::StrAppend(&line, " request_id=", request_id);
  absl::StrAppend(&line, " caller=", caller.empty() ? "-" : caller);
  LogInfo("access", line);
}

}  // namespace handoff
