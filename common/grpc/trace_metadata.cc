#include "common/grpc/trace_metadata.h"

#include <string>

namespace handoff {

TraceContext CallerTrace(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(kTraceparentMetadata);
  return ContinueOrStart(it == metadata.end() ? absl::string_view()
                                              : absl::string_view(it->second.data(), it->second.size()));
}

TraceContext ServerTrace(grpc::ServerContextBase& context) {
  TraceContext trace = CallerTrace(context);
  context.AddInitialMetadata(kTraceparentMetadata, trace.ToTraceparent());
  return trace;
}

void PropagateTrace(const TraceContext& trace, grpc::ClientContext& context) {
  if (!trace.empty()) context.AddMetadata(kTraceparentMetadata, trace.ToTraceparent());
}

}  // namespace handoff
