#ifndef HANDOFF_COMMON_GRPC_METRICS_H_
#define HANDOFF_COMMON_GRPC_METRICS_H_

#include <memory>
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

// Prometheus metrics of one service: per-RPC counts by status code and latency, plus
// gauges a service sets itself (such as the outbox backlog).
class Metrics {
 public:
  Metrics();
  // Serves /metrics on `address` (HOST:PORT); empty = not exposed.
  absl::Status Expose(const std::string& address);
  void RecordRpc(absl::string_view method, absl::StatusCode code, absl::Duration elapsed);
  prometheus::Gauge& Gauge(const std::string& name, const std::string& help);
  prometheus::Counter& Counter(const std::string& name, const std::string& help);
  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_METRICS_H_
