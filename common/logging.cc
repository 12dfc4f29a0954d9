#include "common/logging.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace handoff {

void Log(LogSeverity severity, absl::string_view component, absl::string_view message) {
  const char* level = severity == LogSeverity::kInfo      ? "INFO"
                      : severity == LogSeverity::kWarning ? "WARN"
                                                          : "ERROR";
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
      level, " ", component, ": ", message, "\n");
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace handoff
