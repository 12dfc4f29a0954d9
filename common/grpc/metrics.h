#ifndef HANDOFF_COMMON_GRPC_METRICS_H_
#define HANDOFF_COMMON_GRPC_METRICS_H_

#include <functional>
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
  // Runs `refresh` before each scrape of /metrics (at most once a second; scrapes in between
  // see the last values), for gauges that cost a query to compute: they cost nothing while
  // nobody scrapes, and no more than once per scrape however busy the service is. Call
  // before Expose.
  void OnScrape(std::function<void()> refresh);

 private:
  class Refresher;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Refresher> refresher_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_METRICS_H_
