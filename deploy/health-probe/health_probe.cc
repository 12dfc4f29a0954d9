// handoff-health-probe: asks a gRPC server's standard health service whether it is
// SERVING. Exit 0 when it is, 1 otherwise (for container HEALTHCHECK and scripts).
//
//   handoff-health-probe [--addr=127.0.0.1:50051] [--service=NAME] [--timeout_ms=1000]
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:50051";
  std::string service;
  int timeout_ms = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--addr=", 0) == 0) {
      addr = arg.substr(7);
    } else if (arg.rfind("--service=", 0) == 0) {
      service = arg.substr(10);
    } else if (arg.rfind("--timeout_ms=", 0) == 0) {
      timeout_ms = std::atoi(arg.c_str() + 13);
    } else {
      std::fprintf(stderr, "usage: %s [--addr=HOST:PORT] [--service=NAME] [--timeout_ms=N]\n", argv[0]);
      return 2;
    }
  }
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  const grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", addr.c_str(), s.error_message().c_str());
    return 1;
  }
  const bool serving = resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::printf("%s %s\n", addr.c_str(), serving ? "SERVING" : "NOT_SERVING");
  return serving ? 0 : 1;
}
