#ifndef HANDOFF_COMMON_TRACE_CONTEXT_H_
#define HANDOFF_COMMON_TRACE_CONTEXT_H_

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` a call
// carries, "00-<trace-id>-<parent-id>-<flags>". Each service continues the trace a caller
// sends (or starts one), keeps it for the work of the call on the thread doing it
// (ScopedTrace), stores it with each outbox message that work queues, and sends it on when
// the message is delivered, so one trace id follows a lead from capture into sales and the
// outcome back. Every log line written under a trace carries its trace id.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace handoff {

struct TraceContext {
  std::string trace_id;  // 32 lowercase hex digits, not all zero; empty = no trace
  std::string span_id;   // 16 lowercase hex digits, not all zero: this hop's span
  uint8_t flags = 0;     // trace-flags; bit 0 = sampled (passed on as received)
  bool root = false;     // started here (NewTrace), not received from a caller

  bool empty() const { return trace_id.empty(); }
  // "00-<trace_id>-<span_id>-<flags>"; empty when there is no trace.
  std::string ToTraceparent() const;
};

// The context in a traceparent header value; nullopt when it is malformed (wrong length or
// characters, all-zero ids, version ff). A later version is read by its first four fields,
// as the recommendation asks.
std::optional<TraceContext> ParseTraceparent(absl::string_view header);

// A new trace with a random trace id and span id, flags 0 (the services record no spans).
TraceContext NewTrace();

// The same trace and flags under a new random span id: the hop this service makes.
TraceContext ChildOf(const TraceContext& parent);

// The trace received in `header` continued by a new span, or a new trace when the header
// is absent or malformed.
TraceContext ContinueOrStart(absl::string_view header);

// The trace this thread works under; empty outside one.
const TraceContext& CurrentTrace();

// Sets the current trace for its lifetime (and restores the previous one).
class ScopedTrace {
 public:
  explicit ScopedTrace(TraceContext trace);
  ~ScopedTrace();
  ScopedTrace(const ScopedTrace&) = delete;
  ScopedTrace& operator=(const ScopedTrace&) = delete;

 private:
  TraceContext previous_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_TRACE_CONTEXT_H_
