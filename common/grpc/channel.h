#ifndef HANDOFF_COMMON_GRPC_CHANNEL_H_
#define HANDOFF_COMMON_GRPC_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <memory>
#include <string>
#include <vector>

namespace handoff {

// A channel to the other service: retries UNAVAILABLE through gRPC's retry policy (up to
// 4 attempts, 50 ms to 1 s back-off) and keepalive pings so a dead peer is noticed in
// about 20 s. Calls are balanced round_robin over every address `address` resolves to
// (`dns:///sales.ns.svc:50052` naming a headless Service, or `ipv4:10.0.0.1:50052,
// 10.0.0.2:50052`), over `credentials` (TransportSecurity::ChannelCredentials). Callers
// still set a deadline on every call. `interceptors` see every call (metrics).
std::shared_ptr<grpc::Channel> MakeServiceChannel(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials,
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors = {});

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_CHANNEL_H_
