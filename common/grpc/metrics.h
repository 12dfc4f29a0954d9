#ifndef HANDOFF_COMMON_GRPC_METRICS_H_
#define HANDOFF_COMMON_GRPC_METRICS_H_

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace handoff {

// A gauge family whose values an OnScrape refresh sets afresh from a query: Reset, then Set
// each row. A series the query no longer returns (a stage emptied, a currency gone) stays,
// at 0, instead of keeping its last value. Not thread-safe: refreshes run one at a time.
class ScrapedGauges {
 public:
  explicit ScrapedGauges(prometheus::Family<prometheus::Gauge>& family) : family_(family) {}
  void Reset() {
    for (prometheus::Gauge* g : seen_) g->Set(0);
  }
  void Set(const prometheus::Labels& labels, double value) {
    prometheus::Gauge& g = family_.Add(labels);  // the same series for the same labels
    seen_.insert(&g);
    g.Set(value);
  }

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::set<prometheus::Gauge*> seen_;
};

// Prometheus metrics of one service. Every RPC it serves, and every one it makes to the
// other service, is counted by interceptors under the names and labels of the gRPC
// ecosystem (go-grpc-prometheus, grpc-ecosystem/go-grpc-middleware), so existing
// dashboards and alerts work unchanged:
//   grpc_server_started_total, grpc_server_handled_total, grpc_server_msg_received_total,
//   grpc_server_msg_sent_total, grpc_server_handling_seconds (histogram), and the same
//   with grpc_client_, labelled grpc_type ("unary", "client_stream", "server_stream",
//   "bidi_stream"), grpc_service ("handoff.marketing.v1.LeadService"), grpc_method
//   ("CaptureLead") and, on handled_total, grpc_code ("OK", "InvalidArgument", ... as Go
//   spells them).
// Services add gauges and counters of their own (the outbox backlog, ...).
class Metrics {
 public:
  Metrics();
  ~Metrics();
  // Serves /metrics on `address` (HOST:PORT); empty = not exposed.
  absl::Status Expose(const std::string& address);
  // For ServerBuilder::experimental().SetInterceptorCreators: counts every served RPC.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ServerInterceptor();
  // For a channel's interceptor creators: counts every RPC made on it.
  std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> ClientInterceptor();
  prometheus::Gauge& Gauge(const std::string& name, const std::string& help);
  prometheus::Counter& Counter(const std::string& name, const std::string& help);
  prometheus::Registry& registry() { return *registry_; }
  // Runs `refresh` before each scrape of /metrics (at most once a second; scrapes in between
  // see the last values), for gauges that cost a query to compute: they cost nothing while
  // nobody scrapes, and no more than once per scrape however busy the service is. Call
  // before Expose.
  void OnScrape(std::function<void()> refresh);

  // The per-method series of one side (server or client), shared by its interceptors.
  class RpcSide;

 private:
  class Refresher;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Refresher> refresher_;
  std::shared_ptr<prometheus::Collectable> process_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<RpcSide> server_;
  std::unique_ptr<RpcSide> client_;
};

// The name Go's codes.Code.String() gives `code` ("OK", "InvalidArgument", ...), as the
// ecosystem's grpc_code label has it.
const char* GrpcCodeName(int code);

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_METRICS_H_
