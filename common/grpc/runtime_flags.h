#ifndef HANDOFF_COMMON_GRPC_RUNTIME_FLAGS_H_
#define HANDOFF_COMMON_GRPC_RUNTIME_FLAGS_H_

// The flags both services share for their runtime (ServiceRuntime::Options): metrics,
// workers, delivery to the other service, request retention, connection age, shutdown, and
// transport security (TLS files, client authentication, authorization policy).
// The address flags stay in each main.cc: their defaults name the service's own ports.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/grpc/service_runtime.h"

namespace handoff {

// Names of the flags defined here, for ApplyFlagsFromEnvironment.
std::vector<std::string> RuntimeFlagNames();

// The runtime options the flags ask for, for service `name` listening on `listen` with
// its peer at `peer_address`. The security flags are checked here (files read, plaintext
// only where allowed); ServiceRuntime::Run checks the other ranges. Errors name the flag.
absl::StatusOr<ServiceRuntime::Options> RuntimeOptionsFromFlags(const std::string& name, const std::string& listen,
                                                const std::string& peer_address);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_RUNTIME_FLAGS_H_
