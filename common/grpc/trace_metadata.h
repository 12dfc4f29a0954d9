#ifndef HANDOFF_COMMON_GRPC_TRACE_METADATA_H_
#define HANDOFF_COMMON_GRPC_TRACE_METADATA_H_

// The W3C traceparent on gRPC calls (metadata key "traceparent"), both ways.

#include <grpcpp/grpcpp.h>

#include "common/trace_context.h"

namespace handoff {

inline constexpr char kTraceparentMetadata[] = "traceparent";

// The caller's trace continued by a new span of this server, or a new trace when the call
// carries no valid traceparent.
TraceContext CallerTrace(const grpc::ServerContextBase& context);

// CallerTrace, also sent back as the server's traceparent in the initial metadata, so a
// caller that sent none can find the call's log lines by its trace id. Call before the
// initial metadata goes out (unary calls: before Finish).
TraceContext ServerTrace(grpc::ServerContextBase& context);

// Sends `trace` (when there is one) as the call's traceparent.
void PropagateTrace(const TraceContext& trace, grpc::ClientContext& context);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_TRACE_METADATA_H_
