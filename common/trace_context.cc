#include "common/trace_context.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace handoff {
namespace {

thread_local TraceContext current;

bool IsLowerHex(absl::string_view s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view s) { return s.find_first_not_of('0') == absl::string_view::npos; }

std::string RandomHex(int bytes) {
  thread_local absl::BitGen gen;
  std::string out;
  out.reserve(bytes * 2);
  while (true) {
    out.clear();
    for (int i = 0; i < bytes; i += 4) absl::StrAppend(&out, absl::Hex(absl::Uniform<uint32_t>(gen), absl::kZeroPad8));
    out.resize(bytes * 2);
    if (!AllZero(out)) return out;
  }
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

std::string TraceContext::ToTraceparent() const {
  if (empty()) return "";
  return absl::StrCat("00-", trace_id, "-", span_id, "-", absl::Hex(flags, absl::kZeroPad2));
}

std::optional<TraceContext> ParseTraceparent(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55.
  if (header.size() < 55) return std::nullopt;
  const absl::string_view version = header.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; a later one may append fields after a dash.
  if (version == "00" ? header.size() != 55 : header.size() > 55 && header[55] != '-') return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  TraceContext t;
  t.trace_id = std::string(header.substr(3, 32));
  t.span_id = std::string(header.substr(36, 16));
  const absl::string_view flags = header.substr(53, 2);
  if (!IsLowerHex(t.trace_id) || !IsLowerHex(t.span_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(t.trace_id) || AllZero(t.span_id)) return std::nullopt;
  t.flags = static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return t;
}

TraceContext NewTrace() { return TraceContext{RandomHex(16), RandomHex(8), 0, true}; }

TraceContext ChildOf(const TraceContext& parent) {
  if (parent.empty()) return NewTrace();
  return TraceContext{parent.trace_id, RandomHex(8), parent.flags, false};
}

TraceContext ContinueOrStart(absl::string_view header) {
  if (std::optional<TraceContext> parent = ParseTraceparent(header)) return ChildOf(*parent);
  return NewTrace();
}

const TraceContext& CurrentTrace() { return current; }

ScopedTrace::ScopedTrace(TraceContext trace) : previous_(std::exchange(current, std::move(trace))) {}

ScopedTrace::~ScopedTrace() { current = std::move(previous_); }

}  // namespace handoff
