#ifndef HANDOFF_COMMON_LOGGING_H_
#define HANDOFF_COMMON_LOGGING_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace handoff {

enum class LogSeverity { kInfo, kWarning, kError };

// How log lines look (--log_format):
//   kText: 2026-01-01T00:00:00.000Z LEVEL component: message trace_id=4bf92f35...
//   kJson: {"time":"2026-01-01T00:00:00.000Z","level":"INFO","component":"...","msg":"...",
//           "trace_id":"4bf92f35..."}
//          one object per line, for log collectors (Loki, Elasticsearch, Cloud Logging).
// trace_id is there when the line is written under a trace (common/trace_context.h).
enum class LogFormat { kText, kJson };

// Applies to every later line of the process. Text until called.
void SetLogFormat(LogFormat format);
// "text" or "json"; false for anything else.
bool ParseLogFormat(absl::string_view text, LogFormat* format);

// The line Log writes, newline included; `trace_id` empty = none.
std::string FormatLogLine(LogFormat format, absl::Time time, LogSeverity severity, absl::string_view component,
                          absl::string_view message, absl::string_view trace_id = {});

// Writes one line to stderr in the format set, with the current trace's id. Lines of concurrent writers never
// interleave. (Abseil's logging library is newer than the Abseil Debian 12 ships.)
void Log(LogSeverity severity, absl::string_view component, absl::string_view message);

inline void LogInfo(absl::string_view component, absl::string_view message) {
  Log(LogSeverity::kInfo, component, message);
}
inline void LogWarning(absl::string_view component, absl::string_view message) {
  Log(LogSeverity::kWarning, component, message);
}
inline void LogError(absl::string_view component, absl::string_view message) {
  Log(LogSeverity::kError, component, message);
}

}  // namespace handoff

#endif  // HANDOFF_COMMON_LOGGING_H_
