#ifndef HANDOFF_COMMON_GRPC_SERVICE_HOST_H_
#define HANDOFF_COMMON_GRPC_SERVICE_HOST_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace handoff {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it creates later. Call
// first thing in main(), before any thread exists, so ServiceHost::WaitForShutdown can
// receive them with sigwait.
void BlockShutdownSignals();

// Waits for SIGTERM or SIGINT (blocked by BlockShutdownSignals) and returns which came.
int AwaitShutdownSignal();

// Makes this process's gRPC client channels look at idle connections every 100 ms instead
// of gRPC's 5 s backup poll (unless GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS is set).
// A server's shutdown completes only once its clients have closed their connections
// after its GOAWAY, and an idle C++ client notices that only at this poll: with the
// default, each service held the other's SIGTERM up by up to 5 s. Call first thing in
// main(), before gRPC starts.
void PollIdleChannelsOften();

// The server around a service's gRPC handlers: listening port, standard health service
// (overall "" and one entry per registered service) driven by a storage probe, server
// reflection, graceful shutdown.
class ServiceHost {
 public:
  // The health entry that stays SERVING while the process runs (for liveness probes); ""
  // and the services' own entries follow the storage probe (for readiness).
  static constexpr absl::string_view kLivenessService = "liveness";

  struct Options {
    std::string listen;                          // HOST:PORT; port 0 picks a free one
    // A second, plaintext HOST:PORT that serves only grpc.health.v1.Health with the same
    // statuses (Kubernetes' native gRPC probes cannot speak TLS); empty = none.
    std::string health_listen;
    std::string name;                            // for logs, e.g. "marketing-service"
    absl::Duration health_interval = absl::Seconds(1);
    // After SIGTERM, serve this long with health NOT_SERVING so that load balancers and
    // endpoints stop routing here first.
    absl::Duration shutdown_drain = absl::ZeroDuration();
    absl::Duration shutdown_grace = absl::Seconds(10);  // then in-flight calls get this long
    // Connections are told to go (GOAWAY) after this long (gRPC adds ±10 % jitter), so
    // clients balancing over several replicas reconnect and new replicas get their share.
    // Calls and streams open at the time finish on the old connection. Zero = never.
    absl::Duration max_connection_age = absl::Minutes(5);
    // The listener's credentials (TLS or plaintext); null = plaintext.
    std::shared_ptr<grpc::ServerCredentials> credentials;
    // Largest request message accepted (a larger one ends the call RESOURCE_EXHAUSTED
    // before it is parsed), and most calls open at once on one connection (more wait for
    // a free slot: HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).
    int max_message_bytes = 1 << 20;
    int max_streams_per_connection = 100;
  };

  explicit ServiceHost(Options options);
  ~ServiceHost();

  // Registers a service; `full_name` (e.g. "handoff.marketing.v1.LeadService") becomes a
  // health entry. Call before Start.
  void AddService(grpc::Service* service, const std::string& full_name);
  // Adds an interceptor to every call (metrics). Call before Start.
  void AddInterceptor(std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> factory) {
    interceptors_.push_back(std::move(factory));
  }
  // Returns OK while the service can do its work (its storage answers).
  void SetHealthProbe(std::function<absl::Status()> probe);
  // Runs at shutdown after the drain, just before the server stops taking calls (to end
  // open streams).
  void SetBeforeStop(std::function<void()> before_stop) { before_stop_ = std::move(before_stop); }

  // Binds and starts serving. Logs "listening on HOST:PORT" with the real port.
  absl::Status Start();
  int port() const { return port_; }

  // Waits for SIGTERM or SIGINT, then: health NOT_SERVING at once, keep serving for
  // shutdown_drain, end streams (SetBeforeStop), stop accepting calls, let in-flight calls
  // finish within shutdown_grace, and return.
  void WaitForShutdown();
  // The same shutdown without a signal (tests, fatal errors).
  void Shutdown();

 private:
  void HealthLoop();
  void SetServing(bool serving);

  Options options_;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::function<absl::Status()> probe_;
  std::function<void()> before_stop_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // --health_listen
  int port_ = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool last_serving_ ABSL_GUARDED_BY(mu_) = false;
  bool health_set_ ABSL_GUARDED_BY(mu_) = false;  // SetServing ran once
  std::thread health_thread_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_SERVICE_HOST_H_
