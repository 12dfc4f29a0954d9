// handoff-health-probe: asks a gRPC server's standard health service whether it is
// SERVING. Exit 0 when it is, 1 otherwise (for container HEALTHCHECK and scripts), 2 on
// bad usage.
//
//   handoff-health-probe [--addr=HOST:PORT] [--service=NAME] [--timeout_ms=1000]
//                        [--tls_ca=FILE [--tls_cert=FILE --tls_key=FILE] [--tls_server_name=NAME]]
//
// With --tls_ca the probe speaks TLS and verifies the server against that CA; with
// --tls_cert and --tls_key it also presents a client certificate (needed when the server
// runs with --tls_client_auth=require). Each --tls_* flag left out falls back to the
// environment variable a Handoff container already has (HANDOFF_TLS_CA, HANDOFF_TLS_CERT,
// HANDOFF_TLS_KEY), and --addr falls back to 127.0.0.1 on the port of HANDOFF_LISTEN (else
// 127.0.0.1:50051), so the image's HEALTHCHECK needs no arguments.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"

namespace {

bool ReadFile(const std::string& flag, const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "--%s=%s: cannot be read\n", flag.c_str(), path.c_str());
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

std::string FromEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// 127.0.0.1 on the port the service listens on, as the container's environment names it.
std::string DefaultAddress() {
  const std::string listen = FromEnv("HANDOFF_LISTEN");
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return "127.0.0.1:50051";
  return "127.0.0.1:" + listen.substr(colon + 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr = DefaultAddress();
  std::string service;
  int timeout_ms = 1000;
  std::string ca_file = FromEnv("HANDOFF_TLS_CA");
  std::string cert_file = FromEnv("HANDOFF_TLS_CERT");
  std::string key_file = FromEnv("HANDOFF_TLS_KEY");
  std::string server_name;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&arg](const char* prefix, std::string* out) {
      const std::string p = prefix;
      if (arg.rfind(p, 0) != 0) return false;
      *out = arg.substr(p.size());
      return true;
    };
    std::string timeout;
    if (value("--addr=", &addr) || value("--service=", &service) || value("--tls_ca=", &ca_file) ||
        value("--tls_cert=", &cert_file) || value("--tls_key=", &key_file) ||
        value("--tls_server_name=", &server_name)) {
      continue;
    }
    if (value("--timeout_ms=", &timeout)) {
      timeout_ms = std::atoi(timeout.c_str());
      continue;
    }
    std::fprintf(stderr,
                 "usage: %s [--addr=HOST:PORT] [--service=NAME] [--timeout_ms=N] [--tls_ca=FILE] "
                 "[--tls_cert=FILE --tls_key=FILE] [--tls_server_name=NAME]\n",
                 argv[0]);
    return 2;
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  if (!ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!ReadFile("tls_ca", ca_file, &ssl.pem_root_certs)) return 2;
    if (cert_file.empty() != key_file.empty()) {
      std::fprintf(stderr, "--tls_cert and --tls_key go together\n");
      return 2;
    }
    if (!cert_file.empty() && (!ReadFile("tls_cert", cert_file, &ssl.pem_cert_chain) ||
                               !ReadFile("tls_key", key_file, &ssl.pem_private_key))) {
      return 2;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateCustomChannel(addr, credentials, args));
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
