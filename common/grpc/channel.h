#ifndef HANDOFF_COMMON_GRPC_CHANNEL_H_
#define HANDOFF_COMMON_GRPC_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace handoff {

// A channel to the other service: retries UNAVAILABLE through gRPC's retry policy (up to
// 4 attempts, 50 ms to 1 s back-off) and keepalive pings so a dead peer is noticed in
// about 20 s. Callers still set a deadline on every call.
std::shared_ptr<grpc::Channel> MakeServiceChannel(const std::string& address);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_CHANNEL_H_
