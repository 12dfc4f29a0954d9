#ifndef HANDOFF_COMMON_LOGGING_H_
#define HANDOFF_COMMON_LOGGING_H_

#include "absl/strings/string_view.h"

namespace handoff {

enum class LogSeverity { kInfo, kWarning, kError };

// Writes one line "2026-01-01T00:00:00.000Z LEVEL component: message" to stderr. Lines of
// concurrent writers never interleave. (Abseil's logging library is newer than the
// Abseil Debian 12 ships.)
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
