#ifndef HANDOFF_COMMON_GRPC_CALL_LIMITS_H_
#define HANDOFF_COMMON_GRPC_CALL_LIMITS_H_

// What one caller may take of a service (OWASP API4, unrestricted resource consumption):
// a rate per principal, Watch streams per connection, and deadlines on calls that may run
// long. Message size and concurrent streams per connection are gRPC channel arguments
// (ServiceHost). Every refusal is a gRPC status that says what to do; a rate-limited call
// also carries google.rpc.RetryInfo (in grpc-status-details-bin) with the delay after
// which a token is free.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace handoff {

struct CallLimitOptions {
  // Calls per second each principal may make (a token bucket); 0 = no limit.
  double rate = 1000;
  // Calls a principal may make at once after being idle; 0 = twice `rate`.
  int burst = 0;
  // Watch*Events streams open at once on one connection.
  int max_watch_per_connection = 8;
};

// Who is calling, for limits and logs: the first URI SAN of a verified client
// certificate, else its first DNS SAN or subject; without one, "ip:" and the peer's
// address without the port (all of a host's plaintext callers share one budget).
std::string CallerPrincipal(const grpc::ServerContextBase& context);

class CallLimits {
 public:
  explicit CallLimits(CallLimitOptions options);
  CallLimits(const CallLimits&) = delete;
  CallLimits& operator=(const CallLimits&) = delete;

  const CallLimitOptions& options() const { return options_; }

  // Takes a token of the caller's bucket for one call. OK, or RESOURCE_EXHAUSTED saying
  // when to retry (message and RetryInfo). `now` is a parameter for tests.
  grpc::Status Admit(const grpc::ServerContextBase& context, absl::Time now = absl::Now());
  grpc::Status AdmitPrincipal(const std::string& principal, absl::Time now);

  // Holds one Watch slot of a connection until destroyed.
  class WatchSlot {
   public:
    WatchSlot(CallLimits* limits, std::string connection) : limits_(limits), connection_(std::move(connection)) {}
    ~WatchSlot();
    WatchSlot(const WatchSlot&) = delete;
    WatchSlot& operator=(const WatchSlot&) = delete;

   private:
    CallLimits* limits_;
    std::string connection_;
  };
  // A slot for one more Watch stream on the caller's connection, or null and `refused`
  // set to RESOURCE_EXHAUSTED when max_watch_per_connection are open.
  std::unique_ptr<WatchSlot> AcquireWatch(const grpc::ServerContextBase& context, grpc::Status* refused);

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  void ReleaseWatch(const std::string& connection);
  void DropIdleBuckets(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const CallLimitOptions options_;
  const double burst_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> watches_ ABSL_GUARDED_BY(mu_);
};

// INVALID_ARGUMENT unless the call has a deadline: `method` may run long (a report over
// every lead, a bulk import), and a call without one would hold a worker and its client
// forever if anything stalls.
grpc::Status RequireDeadline(const grpc::ServerContextBase& context, const char* method);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_CALL_LIMITS_H_
