#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/trace_context.h"

namespace handoff {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// `text` as the inside of a JSON string: quotes, backslashes and control characters
// escaped. Bytes >= 0x80 pass through (the services log UTF-8).
void AppendJsonString(std::string& out, absl::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

void SetLogFormat(LogFormat format) { g_format.store(format, std::memory_order_relaxed); }

bool ParseLogFormat(absl::string_view text, LogFormat* format) {
  if (text == "text") {
    *format = LogFormat::kText;
    return true;
  }
  if (text == "json") {
    *format = LogFormat::kJson;
    return true;
  }
  return false;
}

std::string FormatLogLine(LogFormat format, absl::Time time, LogSeverity severity, absl::string_view component,
                          absl::string_view message, absl::string_view trace_id) {
  const char* level = severity == LogSeverity::kInfo      ? "INFO"
                      : severity == LogSeverity::kWarning ? "WARN"
                                                          : "ERROR";
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  if (format == LogFormat::kText) {
    if (trace_id.empty()) return absl::StrCat(when, " ", level, " ", component, ": ", message, "\n");
    return absl::StrCat(when, " ", level, " ", component, ": ", message, " trace_id=", trace_id, "\n");
  }
  std::string line = absl::StrCat("{\"time\":\"", when, "\",\"level\":\"", level, "\",\"component\":");
  AppendJsonString(line, component);
  line += ",\"msg\":";
  AppendJsonString(line, message);
  if (!trace_id.empty()) {
    line += ",\"trace_id\":";
    AppendJsonString(line, trace_id);
  }
  line += "}\n";
  return line;
}

void Log(LogSeverity severity, absl::string_view component, absl::string_view message) {
  const std::string line =
      FormatLogLine(g_format.load(std::memory_order_relaxed), absl::Now(), severity, component, message,
                    CurrentTrace().trace_id);
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace handoff
