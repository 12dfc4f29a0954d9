// bench/echo-server: the baselines for the benchmarks. An empty unary RPC served through the
// same ServiceRuntime as the two services (callback API, worker-pool hop, interceptors,
// access log, health), so the difference to a real RPC is the service's own work; with
// --inline, the same RPC answered by a bare gRPC server on gRPC's own threads, so the
// difference between the two is the cost of the services' server stack itself.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "common/grpc/service_host.h"
#include "common/grpc/service_runtime.h"
#include "handoff/bench/v1/echo_service.grpc.pb.h"
#include "common/grpc/parse_check.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50059", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(int32_t, worker_threads, 8, "Threads running the handler, as in the services");
ABSL_FLAG(bool, inline, false,
          "Answer on gRPC's threads in a bare server (no ServiceRuntime): the stack's own baseline");

namespace handoff::bench {
namespace {

class EchoHandler final : public ParseCheckedService<v1::EchoService::CallbackService> {
 public:
  explicit EchoHandler(UnaryRunner& runner) : runner_(runner) {
    CheckParsing(this, &EchoHandler::Echo);
  }
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const v1::EchoRequest* req,
                                 v1::EchoResponse* resp) override {
    return runner_.Run(ctx, "EchoService/Echo", *req, [req, resp] {
      resp->set_payload(req->payload());
      return absl::OkStatus();
    });
  }

 private:
  UnaryRunner& runner_;
};

// Echo with nothing around it: the reply is finished in the callback gRPC calls.
class InlineEcho final : public v1::EchoService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const v1::EchoRequest* req,
                                 v1::EchoResponse* resp) override {
    resp->set_payload(req->payload());
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// Serves InlineEcho (and gRPC's default health service, for the probe) until SIGTERM/SIGINT.
int RunInline(const std::string& listen) {
  grpc::EnableDefaultHealthCheckService(true);
  InlineEcho service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "echo-server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  AwaitShutdownSignal();
  server->Shutdown();
  return 0;
}

}  // namespace
}  // namespace handoff::bench

int main(int argc, char** argv) {
  using namespace handoff;
  BlockShutdownSignals();
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_inline)) return bench::RunInline(absl::GetFlag(FLAGS_listen));
  ServiceRuntime::Options options;
  options.name = "echo-server";
  options.listen = absl::GetFlag(FLAGS_listen);
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.limits.rate = 0;  // as the services run in the benchmarks (bench/lib.sh)
  ServiceRuntime runtime(options);
  bench::EchoHandler handler(runtime.runner());
  runtime.AddService(&handler, "handoff.bench.v1.EchoService");
  return runtime.Run([] { return absl::OkStatus(); });
}
