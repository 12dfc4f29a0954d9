#include "common/grpc/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

namespace handoff {

namespace {
// round_robin: a target that resolves to several addresses (a Kubernetes headless
// Service's dns:/// name, an ipv4:a:p,b:p list) spreads calls over all of them, instead of
// pick_first's one connection to the first that answers.
constexpr char kServiceConfig[] = R"json({
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})json";
}  // namespace

std::shared_ptr<grpc::Channel> MakeServiceChannel(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials,
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(kServiceConfig);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A restarted peer is found again within two seconds (gRPC's default backoff grows to
  // two minutes); the outbox has its own back-off on top.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  if (interceptors.empty()) return grpc::CreateCustomChannel(address, std::move(credentials), args);
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, std::move(credentials), args,
                                                                 std::move(interceptors));
}

}  // namespace handoff
