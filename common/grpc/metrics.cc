#include "common/grpc/metrics.h"

#include <array>
#include <atomic>
#include <exception>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc/access_log.h"
#include "common/grpc/call_limits.h"
#include "common/grpc/process_metrics.h"
#include "common/grpc/trace_metadata.h"

namespace handoff {

const char* GrpcCodeName(int code) {
  static constexpr std::array<const char*, 17> kNames = {
      "OK",       "Canceled",        "Unknown",   "InvalidArgument", "DeadlineExceeded", "NotFound",
      "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
      "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"};
  return code >= 0 && code < static_cast<int>(kNames.size()) ? kNames[code] : "Unknown";
}

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

// The series of one method, created on its first call and kept for the process's life, so
// a call costs one map lookup under a reader lock and a few atomic increments.
struct MethodSeries {
  prometheus::Counter* started;
  prometheus::Counter* received;
  prometheus::Counter* sent;
  prometheus::Histogram* seconds;
  std::array<std::atomic<prometheus::Counter*>, 17> handled{};
  prometheus::Labels labels;
};

class Metrics::RpcSide {
 public:
  RpcSide(prometheus::Registry& registry, const std::string& side)
      : started_(prometheus::BuildCounter()
                     .Name(absl::StrCat("grpc_", side, "_started_total"))
                     .Help(absl::StrCat("RPCs started on the ", side, ", by method"))
                     .Register(registry)),
        handled_(prometheus::BuildCounter()
                     .Name(absl::StrCat("grpc_", side, "_handled_total"))
                     .Help(absl::StrCat("RPCs completed on the ", side, ", by method and gRPC status code"))
                     .Register(registry)),
        received_(prometheus::BuildCounter()
                      .Name(absl::StrCat("grpc_", side, "_msg_received_total"))
                      .Help(absl::StrCat("Stream messages received on the ", side, " (one per unary call)"))
                      .Register(registry)),
        sent_(prometheus::BuildCounter()
                  .Name(absl::StrCat("grpc_", side, "_msg_sent_total"))
                  .Help(absl::StrCat("Stream messages sent on the ", side, " (one per unary call)"))
                  .Register(registry)),
        seconds_(prometheus::BuildHistogram()
                     .Name(absl::StrCat("grpc_", side, "_handling_seconds"))
                     .Help(absl::StrCat("Time from the start of an RPC to its status on the ", side, ", by method"))
                     .Register(registry)) {}

  // `full_method` is "/package.Service/Method"; `type` one of the grpc_type values.
  MethodSeries& For(const char* full_method, const char* type) {
    const absl::string_view key = full_method == nullptr ? absl::string_view() : absl::string_view(full_method);
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto it = series_.find(key); it != series_.end()) return *it->second;
    }
    absl::MutexLock lock(&mu_);
    auto& slot = series_[std::string(key)];
    if (slot == nullptr) {
      absl::string_view service = key, method;
      if (const size_t slash = key.rfind('/'); slash != absl::string_view::npos && slash > 0) {
        service = key.substr(1, slash - 1);
        method = key.substr(slash + 1);
      }
      slot = std::make_unique<MethodSeries>();
      slot->labels = {{"grpc_type", type}, {"grpc_service", std::string(service)}, {"grpc_method", std::string(method)}};
      static const prometheus::Histogram::BucketBoundaries kBuckets = {
          0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
      slot->started = &started_.Add(slot->labels);
      slot->received = &received_.Add(slot->labels);
      slot->sent = &sent_.Add(slot->labels);
      slot->seconds = &seconds_.Add(slot->labels, kBuckets);
    }
    return *slot;
  }

  void Handled(MethodSeries& s, int code, absl::Duration elapsed) {
    if (code < 0 || code >= static_cast<int>(s.handled.size())) code = 2;  // Unknown
    prometheus::Counter* c = s.handled[code].load(std::memory_order_acquire);
    if (c == nullptr) {
      prometheus::Labels labels = s.labels;
      labels["grpc_code"] = GrpcCodeName(code);
      c = &handled_.Add(labels);  // the family returns the same counter to racing callers
      s.handled[code].store(c, std::memory_order_release);
    }
    c->Increment();
    s.seconds->Observe(absl::ToDoubleSeconds(elapsed));
  }

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> series_ ABSL_GUARDED_BY(mu_);
};

namespace {

using grpc::experimental::InterceptionHookPoints;

const char* TypeName(int type) {
  switch (type) {
    case 1: return "client_stream";
    case 2: return "server_stream";
    case 3: return "bidi_stream";
    default: return "unary";
  }
}

// Counts every served call; also writes the access line of streaming calls (unary calls
// are logged by UnaryRunner, which knows their request_id).
class ServerMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  ServerMetricsInterceptor(Metrics::RpcSide& side, grpc::experimental::ServerRpcInfo* info)
      : side_(side),
        info_(info),
        series_(side.For(info->method(), TypeName(static_cast<int>(info->type())))),
        start_(absl::Now()) {
    series_.started->Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) && m->GetRecvMessage() != nullptr) {
      series_.received->Increment();
    }
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) series_.sent->Increment();
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(m->GetSendStatus().error_code());
      const absl::Duration elapsed = absl::Now() - start_;
      side_.Handled(series_, code, elapsed);
      if (info_->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) {
        // "/handoff.marketing.v1.LeadService/WatchLeadEvents" -> "LeadService/WatchLeadEvents"
        absl::string_view name = info_->method() == nullptr ? "" : info_->method();
        const size_t slash = name.rfind('/');
        const size_t dot = name.rfind('.', slash);
        if (dot != absl::string_view::npos) name.remove_prefix(dot + 1);
        const std::string caller =
            info_->server_context() != nullptr ? CallerPrincipal(*info_->server_context()) : std::string();
        // Under the caller's trace (the stream's handlers keep none of their own).
        const ScopedTrace trace(info_->server_context() != nullptr ? CallerTrace(*info_->server_context())
                                                                   : NewTrace());
        LogAccess(name, static_cast<absl::StatusCode>(code), elapsed, "", caller);
      }
    }
    m->Proceed();
  }

 private:
  Metrics::RpcSide& side_;
  grpc::experimental::ServerRpcInfo* info_;
  MethodSeries& series_;
  const absl::Time start_;
};

class ServerMetricsFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerMetricsFactory(Metrics::RpcSide& side) : side_(side) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new ServerMetricsInterceptor(side_, info);
  }

 private:
  Metrics::RpcSide& side_;
};

class ClientMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  ClientMetricsInterceptor(Metrics::RpcSide& side, grpc::experimental::ClientRpcInfo* info)
      : side_(side), series_(side.For(info->method(), TypeName(static_cast<int>(info->type())))), start_(absl::Now()) {
    series_.started->Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) series_.sent->Increment();
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) && m->GetRecvMessage() != nullptr) {
      series_.received->Increment();
    }
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      side_.Handled(series_, static_cast<int>(m->GetRecvStatus()->error_code()), absl::Now() - start_);
    }
    m->Proceed();
  }

 private:
  Metrics::RpcSide& side_;
  MethodSeries& series_;
  const absl::Time start_;
};

class ClientMetricsFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ClientMetricsFactory(Metrics::RpcSide& side) : side_(side) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo* info) override {
    return new ClientMetricsInterceptor(side_, info);
  }

 private:
  Metrics::RpcSide& side_;
};

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      server_(std::make_unique<RpcSide>(*registry_, "server")),
      client_(std::make_unique<RpcSide>(*registry_, "client")) {}

Metrics::~Metrics() = default;

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Metrics::ServerInterceptor() {
  return std::make_unique<ServerMetricsFactory>(*server_);
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> Metrics::ClientInterceptor() {
  return std::make_unique<ClientMetricsFactory>(*client_);
}

absl::Status Metrics::Expose(const std::string& address) {
  if (address.empty()) return absl::OkStatus();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics_listen ", address, ": ", e.what()));
  }
  if (refresher_ != nullptr) exposer_->RegisterCollectable(refresher_);
  exposer_->RegisterCollectable(registry_);
  process_ = std::make_shared<ProcessCollector>();  // the exposer keeps only a weak_ptr
  exposer_->RegisterCollectable(process_);
  return absl::OkStatus();
}

prometheus::Gauge& Metrics::Gauge(const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
}

prometheus::Counter& Metrics::Counter(const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
}

}  // namespace handoff
