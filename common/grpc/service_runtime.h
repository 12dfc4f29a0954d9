#ifndef HANDOFF_COMMON_GRPC_SERVICE_RUNTIME_H_
#define HANDOFF_COMMON_GRPC_SERVICE_RUNTIME_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/grpc/acting_rep.h"
#include "common/grpc/audit_handler.h"
#include "common/grpc/call_limits.h"
#include "common/grpc/delivery_handler.h"
#include "common/grpc/event_stream.h"
#include "common/grpc/metrics.h"
#include "common/grpc/service_host.h"
#include "common/grpc/transport_security.h"
#include "common/grpc/unary.h"
#include "common/outbox.h"
#include "common/periodic_task.h"
#include "common/worker_pool.h"

namespace handoff {

// What every Handoff service process runs besides its own handlers: the clock, metrics,
// the worker pool and unary runner, the outbox dispatcher towards the peer service, and
// the server host. main.cc builds one from its flags, wires its handlers to it, and calls
// Run.
class ServiceRuntime {
 public:
  struct Options {
    std::string name;             // e.g. "marketing-service"
    std::string listen;           // gRPC HOST:PORT
    std::string metrics_listen;   // Prometheus HOST:PORT; empty = off
    std::string health_listen;    // plaintext health-only HOST:PORT; empty = off
    int worker_threads = 8;
    int max_queued_calls = 2048;
    std::string peer_address;     // the other service
    std::string peer_name = "the other service";  // how logs name it, e.g. "sales-service"
    absl::Duration delivery_deadline = absl::Seconds(5);
    // How long a dispatcher's claim on the keys it delivers lasts (OutboxDispatcher::Options::lease).
    absl::Duration delivery_lease = absl::Seconds(10);
    // The outbox's retry budget (OutboxDispatcher::Options::max_refusals, max_age).
    int delivery_max_refusals = 20;
    absl::Duration delivery_max_age = absl::Hours(72);
    // How long answers to request_ids are kept (retries within it act once).
    absl::Duration request_retention = absl::Hours(72);
    // After SIGTERM: serve this long with health NOT_SERVING, then give in-flight calls
    // shutdown_grace to finish (ServiceHost::Options).
    absl::Duration shutdown_drain = absl::ZeroDuration();
    absl::Duration shutdown_grace = absl::Seconds(10);
    // ServiceHost::Options::max_connection_age.
    absl::Duration max_connection_age = absl::Minutes(5);
    // TLS of the listener and of the channel to the peer; the authorization policy.
    TransportSecurity security = TransportSecurity::LoopbackPlaintext();
    // Per-caller limits (rate, Watch streams per connection).
    CallLimitOptions limits;
    // Principals that may say which rep a call acts for (x-handoff-actor).
    std::vector<std::string> trusted_actor_principals = {"spiffe://handoff.local/crm-frontend"};
    // ServiceHost::Options::max_message_bytes, max_streams_per_connection.
    int max_message_bytes = 1 << 20;
    int max_streams_per_connection = 100;
    // How often idle Watch*Events streams get a heartbeat.
    absl::Duration watch_heartbeat = absl::Seconds(30);
    // With a database shared by replicas (WatchSharedEventLog), how often the newest event
    // sequence is read while streams are open, so they learn of other replicas' events.
    absl::Duration watch_poll = absl::Milliseconds(200);
  };

  // The shortest request_retention accepted: clients may retry for a day.
  static constexpr absl::Duration kMinRequestRetention = absl::Hours(24);

  explicit ServiceRuntime(Options options);

  const Clock& clock() const { return clock_; }
  Metrics& metrics() { return metrics_; }
  WorkerPool& pool() { return pool_; }
  UnaryRunner& runner() { return runner_; }
  CallLimits& limits() { return limits_; }
  const Options& options() const { return options_; }
  // A channel to the peer service (retry policy and keepalive set; TLS with this process's
  // certificate when the security options have one).
  std::shared_ptr<grpc::Channel> PeerChannel();

  // Deletes up to `limit` answers to request_ids stored before `before`; returns how many.
  using RequestLogPruner = std::function<absl::StatusOr<int64_t>(absl::Time before, int limit)>;

  // Creates the dispatcher that delivers `outbox` with `deliver`, serves
  // handoff.ops.v1.DeliveryService over it and handoff.ops.v1.AuditService over `audit`,
  // and prunes the request log past request_retention with `prune`. The stores must
  // outlive the runtime. Call once, before the handlers that notify it are built.
  OutboxDispatcher& UseOutbox(OutboxStore& outbox, AuditLog& audit, RequestLogPruner prune,
                              OutboxDispatcher::Deliver deliver);
  void AddService(grpc::Service* service, const std::string& full_name);
  // Runs `refresh` before a scrape of /metrics, at most once a second, for gauges that
  // cost a query (Metrics::OnScrape). Call before Run.
  void OnScrape(std::function<void()> refresh) { scrape_refreshes_.push_back(std::move(refresh)); }
  prometheus::Registry& metrics_registry() { return metrics_.registry(); }

  // Event watchers wait on this hub.
  EventHub& events() { return events_; }
  // Call after a transaction that may have queued messages or appended events commits:
  // takes what this thread's transactions committed (ThreadCommits) and wakes the outbox
  // dispatcher when they queued messages (otherwise it polls as usual) and the event
  // watchers when they appended events.
  void Committed();
  // The event log is shared with other replicas (PostgreSQL): while Watch*Events streams
  // are open, `latest` (the newest sequence) is read every watch_poll, and the streams are
  // woken when it moved. Call before Run.
  void WatchSharedEventLog(std::function<absl::StatusOr<int64_t>()> latest);

  // Serves until SIGTERM/SIGINT (health driven by `storage_probe`), then shuts down
  // gracefully. Returns the process exit code.
  int Run(std::function<absl::Status()> storage_probe);

 private:
  Options options_;
  std::vector<std::function<void()>> scrape_refreshes_;
  RealClock clock_;
  Metrics metrics_;
  WorkerPool pool_;
  CallLimits limits_;
  ActingRepPolicy actors_;
  UnaryRunner runner_;
  ServiceHost host_;
  EventHub events_;
  OutboxStore* outbox_store_ = nullptr;
  std::unique_ptr<OutboxDispatcher> dispatcher_;
  std::unique_ptr<DeliveryHandler> delivery_handler_;
  std::unique_ptr<AuditHandler> audit_handler_;
  std::unique_ptr<PeriodicTask> housekeeping_;
  std::unique_ptr<PeriodicTask> heartbeat_;
  std::unique_ptr<PeriodicTask> event_poll_;
  int64_t polled_sequence_ = 0;  // touched by event_poll_'s thread only
};

// Reports `status` as the reason the process cannot start and returns exit code 1.
int FailStartup(const std::string& name, const absl::Status& status);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_SERVICE_RUNTIME_H_
