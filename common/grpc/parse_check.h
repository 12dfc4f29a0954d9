#ifndef HANDOFF_COMMON_GRPC_PARSE_CHECK_H_
#define HANDOFF_COMMON_GRPC_PARSE_CHECK_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "common/error_details.h"
#include "common/grpc/status.h"
#include "common/logging.h"

// gRPC 1.51's callback handlers answer a request that cannot be parsed (invalid UTF-8 in a
// string field, truncated bytes) with UNIMPLEMENTED and no message, which tells the caller
// nothing. These wrappers let the call reach the service marked as unparsable, and answer
// INVALID_ARGUMENT saying so.
namespace handoff {
namespace parse_check {

// A field number no Handoff message uses (the largest protobuf allows): set as an unknown
// field on a request that failed to parse.
inline constexpr int kUnparsableMarker = 536870911;

inline bool IsMarked(const google::protobuf::Message& m) {
  const google::protobuf::UnknownFieldSet& u = m.GetReflection()->GetUnknownFields(m);
  return u.field_count() == 1 && u.field(0).number() == kUnparsableMarker;
}

inline void Mark(google::protobuf::Message* m) {
  m->Clear();
  m->GetReflection()->MutableUnknownFields(m)->AddVarint(kUnparsableMarker, 1);
}

inline grpc::Status UnparsableStatus(const google::protobuf::Message& m) {
  return CallerError(absl::InvalidArgumentError(
      "the request could not be parsed as " + m.GetDescriptor()->full_name() +
      " (invalid UTF-8 in a string field, or truncated or corrupt bytes)"));
}

// A server-streaming reactor that only finishes with the status given.
template <typename Response>
class FinishedWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FinishedWriter(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// Wraps gRPC's own handler for a unary (kStreaming false) or server-streaming method: a
// failed parse leaves a marked, empty request and OK, so the call reaches the service.
template <typename Req, typename Resp, bool kStreaming>
class Handler final : public grpc::internal::MethodHandler {
 public:
  using Inner = std::conditional_t<kStreaming, grpc::internal::CallbackServerStreamingHandler<Req, Resp>,
                                   grpc::internal::CallbackUnaryHandler<Req, Resp>>;
  explicit Handler(std::unique_ptr<Inner> inner) : inner_(std::move(inner)) {}

  void RunHandler(const HandlerParameter& param) override { inner_->RunHandler(param); }

  void* Deserialize(grpc_call* call, grpc_byte_buffer* req, grpc::Status* status,
                    void** handler_data) override {
    void* request = inner_->Deserialize(call, req, status, handler_data);
    if (status->ok()) return request;
    *status = grpc::Status::OK;
    Req* recovered;
    if constexpr (kStreaming) {
      // gRPC's handler destroyed its request: make one on the call's arena as it would
      // have (it destroys it when the call ends).
      recovered = new (grpc::g_core_codegen_interface->grpc_call_arena_alloc(call, sizeof(Req))) Req();
    } else {
      // gRPC's handler keeps its request in the holder it left in handler_data.
      recovered = static_cast<grpc::MessageHolder<Req, Resp>*>(*handler_data)->request();
    }
    Mark(recovered);
    return recovered;
  }

 private:
  std::unique_ptr<Inner> inner_;
};

// The method taking Req and returning Resp (every Handoff RPC has request and response
// types of its own, declared in the file of its service).
template <typename Req, typename Resp>
const google::protobuf::MethodDescriptor* MethodOf() {
  const google::protobuf::FileDescriptor* file = Req::descriptor()->file();
  for (int s = 0; s < file->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = file->service(s);
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = service->method(i);
      if (m->input_type() == Req::descriptor() && m->output_type() == Resp::descriptor()) return m;
    }
  }
  LogError("parse_check", "no service method takes " + Req::descriptor()->full_name());
  std::abort();  // a programming error, caught by any test that starts the service
}

}  // namespace parse_check

// Base of a callback handler class: `Service` is the generated `X::CallbackService`. Call
// CheckParsing(this, &Self::Method, ...) in the constructor with every unary and
// server-streaming RPC of the service; a request that cannot be parsed then gets
// INVALID_ARGUMENT instead of UNIMPLEMENTED. (A client-streaming RPC must parse its
// messages itself, from raw bytes: gRPC's typed reader reports a message that fails to
// parse like the end of the stream. See LeadHandler::ServeImportLeadsRaw.)
template <typename Service>
class ParseCheckedService : public Service {
 protected:
  template <typename Self, typename... Methods>
  void CheckParsing(Self* self, Methods... methods) {
    const google::protobuf::ServiceDescriptor* s = nullptr;
    (Wrap(self, methods, &s), ...);
    // Every method but client-streaming ones must be listed.
    int expected = 0;
    for (int i = 0; i < s->method_count(); ++i) expected += s->method(i)->client_streaming() ? 0 : 1;
    if (expected != static_cast<int>(sizeof...(methods))) {
      LogError("parse_check", s->full_name() + ": CheckParsing lists " +
                                  std::to_string(sizeof...(methods)) + " methods, the service has " +
                                  std::to_string(expected));
      std::abort();
    }
  }

 private:
  template <typename Self, typename Req, typename Resp>
  void Wrap(Self* self, grpc::ServerUnaryReactor* (Self::*method)(grpc::CallbackServerContext*, const Req*, Resp*),
            const google::protobuf::ServiceDescriptor** service) {
    using Wrapped = parse_check::Handler<Req, Resp, false>;
    auto inner = std::make_unique<typename Wrapped::Inner>(
        [self, method](grpc::CallbackServerContext* ctx, const Req* req, Resp* resp) {
          if (parse_check::IsMarked(*req)) {
            grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
            r->Finish(parse_check::UnparsableStatus(*req));
            return r;
          }
          return (self->*method)(ctx, req, resp);
        });
    const google::protobuf::MethodDescriptor* m = parse_check::MethodOf<Req, Resp>();
    *service = m->service();
    this->MarkMethodCallback(m->index(), new Wrapped(std::move(inner)));
  }

  template <typename Self, typename Req, typename Resp>
  void Wrap(Self* self,
            grpc::ServerWriteReactor<Resp>* (Self::*method)(grpc::CallbackServerContext*, const Req*),
            const google::protobuf::ServiceDescriptor** service) {
    using Wrapped = parse_check::Handler<Req, Resp, true>;
    auto inner = std::make_unique<typename Wrapped::Inner>(
        [self, method](grpc::CallbackServerContext* ctx, const Req* req) -> grpc::ServerWriteReactor<Resp>* {
          if (parse_check::IsMarked(*req)) {
            return new parse_check::FinishedWriter<Resp>(parse_check::UnparsableStatus(*req));
          }
          return (self->*method)(ctx, req);
        });
    const google::protobuf::MethodDescriptor* m = parse_check::MethodOf<Req, Resp>();
    *service = m->service();
    this->MarkMethodCallback(m->index(), new Wrapped(std::move(inner)));
  }
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_PARSE_CHECK_H_
