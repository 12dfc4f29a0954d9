#ifndef HANDOFF_COMMON_GRPC_UNARY_H_
#define HANDOFF_COMMON_GRPC_UNARY_H_

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "common/call_identity.h"
#include "common/error_details.h"
#include "common/grpc/access_log.h"
#include "common/grpc/acting_rep.h"
#include "common/grpc/call_limits.h"
#include "common/grpc/request_validation.h"
#include "common/grpc/status.h"
#include "common/grpc/trace_metadata.h"
#include "common/trace_context.h"
#include "common/worker_pool.h"

namespace handoff {

// Runs the blocking part of a unary callback handler on the bounded worker pool, so gRPC's
// threads never wait on storage, and finishes the reactor with the mapped status. When the
// pool's queue is full the call is refused at once with RESOURCE_EXHAUSTED (retry later);
// so is a call over its caller's rate limit (`limits`, when given).
class UnaryRunner {
 public:
  // `limits` and `actors` may be null (no rate limit; no call may act for a rep). Calls are
  // counted by the server's interceptor (Metrics::ServerInterceptor), refusals included.
  explicit UnaryRunner(WorkerPool& pool, CallLimits* limits = nullptr, const ActingRepPolicy* actors = nullptr)
      : pool_(pool), limits_(limits), actors_(actors) {}

  // Run for a call that may take long (reports over every lead or deal): it must carry a
  // deadline (INVALID_ARGUMENT otherwise).
  template <typename Work>
  grpc::ServerUnaryReactor* RunLong(grpc::CallbackServerContext* context, const char* method,
                                    const google::protobuf::Message& request, Work work) {
    if (grpc::Status s = RequireDeadline(*context, method); !s.ok()) {
      ScopedTrace trace(ServerTrace(*context));
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      LogAccess(method, static_cast<absl::StatusCode>(s.error_code()), absl::ZeroDuration(), RequestIdOf(request),
                CallerPrincipal(*context));
      reactor->Finish(s);
      return reactor;
    }
    return Run(context, method, request, std::move(work));
  }

  // `work` returns absl::Status and fills the response it captured. `request` is checked
  // first for what no handler should have to repeat (timestamps within their range).
  template <typename Work>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, const char* method,
                                const google::protobuf::Message& request, Work work) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const absl::Time start = absl::Now();
    // The caller's trace continued (or a new one), for every log line of the call and the
    // outbox messages it queues.
    TraceContext trace = ServerTrace(*context);
    const ScopedTrace trace_scope(trace);
    CallIdentity identity{CallerPrincipal(*context), ""};
    if (limits_ != nullptr) {
      if (grpc::Status s = limits_->AdmitPrincipal(identity.principal, start); !s.ok()) {
        LogAccess(method, static_cast<absl::StatusCode>(s.error_code()), absl::ZeroDuration(), RequestIdOf(request),
                  identity.principal);
        reactor->Finish(s);
        return reactor;
      }
    }
    if (grpc::Status s = ActorOf(*context, identity); !s.ok()) {
      LogAccess(method, static_cast<absl::StatusCode>(s.error_code()), absl::ZeroDuration(), RequestIdOf(request),
                identity.principal);
      reactor->Finish(s);
      return reactor;
    }
    const Call call{method, start, &request, identity.principal};
    if (absl::Status s = ValidateTimestamps(request); !s.ok()) {
      Finish(reactor, call, s);
      return reactor;
    }
    auto task = [this, reactor, context, call, identity = std::move(identity), trace = std::move(trace),
                 work = std::move(work)]() mutable {
      ScopedCallIdentity scope(std::move(identity));
      const ScopedTrace trace_scope(std::move(trace));
      absl::Status status;
      if (context->IsCancelled()) {
        status = absl::CancelledError("the call was cancelled before it was handled");
      } else {
        status = work();
      }
      Finish(reactor, call, status);
    };
    if (!pool_.TrySubmit(std::move(task))) {
      Finish(reactor, call,
             WithRetryDelay(WithReason(absl::ResourceExhaustedError(
                                           "server busy: too many calls queued; retry with back-off"),
                                       reason::kServerBusy),
                            absl::Milliseconds(100)));
    }
    return reactor;
  }

 private:
  // What the access log says of a call.
  struct Call {
    const char* method;
    absl::Time start;
    const google::protobuf::Message* request;
    std::string caller;
  };

  // The request's request_id field, if it has one.
  static std::string RequestIdOf(const google::protobuf::Message& request) {
    const google::protobuf::FieldDescriptor* f = request.GetDescriptor()->FindFieldByName("request_id");
    if (f == nullptr || f->type() != google::protobuf::FieldDescriptor::TYPE_STRING || f->is_repeated()) return "";
    return request.GetReflection()->GetString(request, f);
  }

  grpc::Status ActorOf(const grpc::ServerContextBase& context, CallIdentity& identity) const {
    if (actors_ != nullptr) return actors_->ActorOf(context, identity.principal, &identity.actor);
    if (context.client_metadata().count(kActorMetadata) > 0) {
      return CallerError(WithReason(absl::PermissionDeniedError("this server accepts no x-handoff-actor"),
                                    reason::kActorNotTrusted));
    }
    return grpc::Status::OK;
  }

  void Finish(grpc::ServerUnaryReactor* reactor, const Call& call, const absl::Status& status) {
    LogAccess(call.method, status.code(), absl::Now() - call.start, RequestIdOf(*call.request), call.caller);
    reactor->Finish(ToCallerStatus(status, call.method));
  }

  WorkerPool& pool_;
  CallLimits* limits_;
  const ActingRepPolicy* actors_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_UNARY_H_
