// bench/echo-server: the baseline for the benchmarks. An empty unary RPC served through the
// same ServiceRuntime as the two services (callback API, worker-pool hop, health), so the
// difference to a real RPC is the service's own work.
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/grpc/service_runtime.h"
#include "handoff/bench/v1/echo_service.grpc.pb.h"
#include "common/grpc/parse_check.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50059", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(int32_t, worker_threads, 8, "Threads running the handler, as in the services");

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

}  // namespace
}  // namespace handoff::bench

int main(int argc, char** argv) {
  using namespace handoff;
  BlockShutdownSignals();
  absl::ParseCommandLine(argc, argv);
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
