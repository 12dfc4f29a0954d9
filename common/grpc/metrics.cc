#include "common/grpc/metrics.h"

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc/status.h"

namespace handoff {

// A collectable with no metrics of its own, registered ahead of the registry, so the
// exposer runs it just before it reads the registry's gauges.
class Metrics::Refresher final : public prometheus::Collectable {
 public:
  explicit Refresher(std::function<void()> refresh) : refresh_(std::move(refresh)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now - last_ >= absl::Seconds(1)) {
      refresh_();
      last_ = now;
    }
    return {};
  }

 private:
  const std::function<void()> refresh_;
  mutable absl::Mutex mu_;
  mutable absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

void Metrics::OnScrape(std::function<void()> refresh) { refresher_ = std::make_shared<Refresher>(std::move(refresh)); }

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      handled_(prometheus::BuildCounter()
                   .Name("handoff_grpc_server_handled_total")
                   .Help("RPCs completed, by method and gRPC status code")
                   .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("handoff_grpc_server_handling_seconds")
                   .Help("RPC handling time from arrival to response, by method")
                   .Register(*registry_)) {}

absl::Status Metrics::Expose(const std::string& address) {
  if (address.empty()) return absl::OkStatus();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics_listen ", address, ": ", e.what()));
  }
  if (refresher_ != nullptr) exposer_->RegisterCollectable(refresher_);
  exposer_->RegisterCollectable(registry_);
  return absl::OkStatus();
}

void Metrics::RecordRpc(absl::string_view method, absl::StatusCode code,
                        absl::Duration elapsed) {
  const std::string m(method);
  handled_.Add({{"grpc_method", m}, {"grpc_code", absl::StatusCodeToString(code)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  latency_.Add({{"grpc_method", m}}, kBuckets).Observe(absl::ToDoubleSeconds(elapsed));
}

prometheus::Gauge& Metrics::Gauge(const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
}

prometheus::Counter& Metrics::Counter(const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
}

}  // namespace handoff
