#include "common/grpc/service_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc/channel.h"
#include "common/logging.h"
#include "common/unit_of_work.h"

namespace handoff {
namespace {

ServiceHost::Options HostOptions(const ServiceRuntime::Options& o) {
  ServiceHost::Options host;
  host.listen = o.listen;
  host.health_listen = o.health_listen;
  host.name = o.name;
  host.shutdown_drain = o.shutdown_drain;
  host.shutdown_grace = o.shutdown_grace;
  host.max_connection_age = o.max_connection_age;
  host.credentials = o.security.ServerCredentials();
  host.max_message_bytes = o.max_message_bytes;
  host.max_streams_per_connection = o.max_streams_per_connection;
  return host;
}

}  // namespace

ServiceRuntime::ServiceRuntime(Options options)
    : options_(std::move(options)),
      pool_(static_cast<size_t>(std::max(1, options_.worker_threads)),
            static_cast<size_t>(std::max(1, options_.max_queued_calls))),
      limits_(options_.limits),
      actors_(options_.trusted_actor_principals),
      runner_(pool_, &limits_, &actors_),
      host_(HostOptions(options_)) {
  host_.AddInterceptor(metrics_.ServerInterceptor());
  prometheus::BuildGauge()
      .Name("handoff_build_info")
      .Help("Always 1; the labels tell which service and version runs")
      .Register(metrics_.registry())
      .Add({{"service", options_.name}, {"version", HANDOFF_VERSION}})
      .Set(1);
}

std::shared_ptr<grpc::Channel> ServiceRuntime::PeerChannel() {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics_.ClientInterceptor());
  return MakeServiceChannel(options_.peer_address, options_.security.ChannelCredentials(), std::move(interceptors));
}

OutboxDispatcher& ServiceRuntime::UseOutbox(OutboxStore& outbox, AuditLog& audit, RequestLogPruner prune,
                                            OutboxDispatcher::Deliver deliver) {
  outbox_store_ = &outbox;
  OutboxDispatcher::Options delivery;
  delivery.max_refusals = options_.delivery_max_refusals;
  delivery.max_age = options_.delivery_max_age;
  delivery.lease = options_.delivery_lease;
  delivery.send_timeout = options_.delivery_deadline;
  delivery.peer = absl::StrCat(options_.peer_name, " at ", options_.peer_address);
  prometheus::Counter& parked = metrics_.Counter(
      "handoff_outbox_parked_total",
      "Messages parked (permanent failure or retry budget spent) since the process started");
  delivery.on_park = [&parked](const OutboxMessage&, absl::string_view) { parked.Increment(); };
  auto& delivered = prometheus::BuildCounter()
                        .Name("handoff_outbox_delivered_total")
                        .Help("Messages the other service acknowledged, by topic")
                        .Register(metrics_.registry());
  auto& retried = prometheus::BuildCounter()
                      .Name("handoff_outbox_retried_total")
                      .Help("Failed delivery attempts rescheduled, by topic and gRPC code")
                      .Register(metrics_.registry());
  auto& delivery_seconds = prometheus::BuildHistogram()
                               .Name("handoff_outbox_delivery_seconds")
                               .Help("Time from queueing a message to its acknowledged delivery, by topic")
                               .Register(metrics_.registry());
  delivery.on_delivered = [&delivered, &delivery_seconds](const OutboxMessage& m, absl::Duration waited) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                                     2.5,   5,    10,    30,   60,  300, 1800, 3600};
    delivered.Add({{"topic", m.topic}}).Increment();
    delivery_seconds.Add({{"topic", m.topic}}, kBuckets).Observe(absl::ToDoubleSeconds(waited));
  };
  delivery.on_retry = [&retried](const OutboxMessage& m, const absl::Status& failure) {
    retried.Add({{"topic", m.topic}, {"grpc_code", GrpcCodeName(static_cast<int>(failure.code()))}}).Increment();
  };
  dispatcher_ = std::make_unique<OutboxDispatcher>(*outbox_store_, std::move(deliver), clock_, delivery);
  delivery_handler_ = std::make_unique<DeliveryHandler>(*outbox_store_, clock_, runner_,
                                                        [this] { dispatcher_->Notify(); });
  host_.AddService(delivery_handler_.get(), "handoff.ops.v1.DeliveryService");
  audit_handler_ = std::make_unique<AuditHandler>(audit, runner_);
  host_.AddService(audit_handler_.get(), "handoff.ops.v1.AuditService");
  // Answers to request_ids older than the retention are dropped in small batches, so the
  // write lock is never held long.
  housekeeping_ = std::make_unique<PeriodicTask>(absl::Minutes(10), [this, prune = std::move(prune)] {
    const absl::Time before = clock_.Now() - options_.request_retention;
    int64_t pruned = 0;
    for (int round = 0; round < 1000; ++round) {
      absl::StatusOr<int64_t> n = prune(before, 1000);
      if (!n.ok()) {
        LogWarning(options_.name, absl::StrCat("pruning the request log failed: ", n.status().ToString()));
        break;
      }
      pruned += *n;
      if (*n < 1000) break;
    }
    if (pruned > 0) LogInfo(options_.name, absl::StrCat("forgot ", pruned, " request_ids older than the retention"));
  });
  return *dispatcher_;
}

void ServiceRuntime::Committed() {
  const CommittedOnThisThread committed = std::exchange(ThreadCommits(), CommittedOnThisThread());
  if (dispatcher_ != nullptr && committed.outbox_messages) dispatcher_->Notify();
  if (committed.events) events_.Notify();
}

void ServiceRuntime::WatchSharedEventLog(std::function<absl::StatusOr<int64_t>()> latest) {
  event_poll_ = std::make_unique<PeriodicTask>(options_.watch_poll, [this, latest = std::move(latest)] {
    if (!events_.has_subscribers()) return;
    // A failed read is retried next tick; the health probe reports a database that is gone.
    absl::StatusOr<int64_t> newest = latest();
    if (newest.ok() && *newest > polled_sequence_) {
      polled_sequence_ = *newest;
      events_.Notify();
    }
  });
}

void ServiceRuntime::AddService(grpc::Service* service, const std::string& full_name) {
  host_.AddService(service, full_name);
}

int ServiceRuntime::Run(std::function<absl::Status()> storage_probe) {
  if (options_.request_retention < kMinRequestRetention) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--request_retention=", absl::FormatDuration(options_.request_retention),
        " is below the minimum of ", absl::FormatDuration(kMinRequestRetention))));
  }
  if (options_.delivery_max_refusals < 1 || options_.delivery_max_age <= absl::ZeroDuration()) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--delivery_max_refusals=", options_.delivery_max_refusals, " and --delivery_max_age=",
        absl::FormatDuration(options_.delivery_max_age), ": both must be positive")));
  }
  if (options_.delivery_deadline <= absl::ZeroDuration() || options_.delivery_lease <= options_.delivery_deadline) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--delivery_lease=", absl::FormatDuration(options_.delivery_lease), " must be longer than --delivery_deadline=",
        absl::FormatDuration(options_.delivery_deadline), " (a message is sent only while its claim outlasts the call)")));
  }
  if (options_.max_connection_age < absl::ZeroDuration()) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--max_connection_age=", absl::FormatDuration(options_.max_connection_age), " must not be negative")));
  }
  if (options_.shutdown_drain < absl::ZeroDuration() || options_.shutdown_grace <= absl::ZeroDuration()) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--shutdown_drain=", absl::FormatDuration(options_.shutdown_drain), " must not be negative and --shutdown_grace=",
        absl::FormatDuration(options_.shutdown_grace), " must be positive")));
  }
  if (options_.max_message_bytes < 1024 || options_.max_message_bytes > (64 << 20) ||
      options_.max_streams_per_connection < 1 || options_.limits.max_watch_per_connection < 1) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--max_message_bytes=", options_.max_message_bytes, " must be within 1024..67108864, --max_streams_per_connection=",
        options_.max_streams_per_connection, " and --max_watch_per_connection=", options_.limits.max_watch_per_connection,
        " at least 1")));
  }
  if (options_.watch_heartbeat < absl::Seconds(1)) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--watch_heartbeat=", absl::FormatDuration(options_.watch_heartbeat), " must be at least 1s")));
  }
  if (options_.watch_poll < absl::Milliseconds(10)) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--watch_poll=", absl::FormatDuration(options_.watch_poll), " must be at least 10ms")));
  }
  if (!(options_.limits.rate >= 0) || options_.limits.burst < 0) {
    return FailStartup(options_.name, absl::InvalidArgumentError(absl::StrCat(
        "--rate_limit=", options_.limits.rate, " and --rate_limit_burst=", options_.limits.burst,
        " must not be negative (0 = no limit, and a burst of twice the rate)")));
  }
  prometheus::Gauge& backlog = metrics_.Gauge(
      "handoff_outbox_pending", "Messages for the other service not yet delivered");
  prometheus::Gauge& oldest = metrics_.Gauge(
      "handoff_outbox_oldest_age_seconds", "Age of the oldest undelivered message");
  prometheus::Gauge& parked = metrics_.Gauge(
      "handoff_outbox_parked", "Messages parked, waiting for an operator (RetryParkedMessages)");
  // The backlog is counted when /metrics is scraped, not on every health check: counting
  // reads the outbox's index, which grows while the other service is down.
  if (outbox_store_ != nullptr) {
    scrape_refreshes_.push_back([this, &backlog, &oldest, &parked] {
      absl::StatusOr<OutboxBacklog> b = outbox_store_->Backlog(clock_.Now());
      if (!b.ok()) return;  // the gauges keep their last values; health reports the store
      backlog.Set(static_cast<double>(b->pending));
      oldest.Set(absl::ToDoubleSeconds(b->oldest_age));
      parked.Set(static_cast<double>(b->parked));
    });
  }
  if (!scrape_refreshes_.empty()) {
    metrics_.OnScrape([this] {
      for (const std::function<void()>& refresh : scrape_refreshes_) refresh();
    });
  }
  if (absl::Status s = metrics_.Expose(options_.metrics_listen); !s.ok()) {
    return FailStartup(options_.name, s);
  }
  // 1 while the storage answers (health SERVING, drain aside), for alerting.
  prometheus::Gauge& serving = metrics_.Gauge(
      "handoff_health_serving", "1 while the service's database answers (health SERVING), else 0");
  host_.SetHealthProbe([probe = std::move(storage_probe), &serving] {
    absl::Status s = probe();
    serving.Set(s.ok() ? 1 : 0);
    return s;
  });
  // Streams never end by themselves: end them at shutdown, so the server need not wait
  // out the grace period for them.
  host_.SetBeforeStop([this] { events_.Close(); });
  // Idle streams get a heartbeat each interval (a stream that wrote meanwhile skips one).
  heartbeat_ = std::make_unique<PeriodicTask>(options_.watch_heartbeat, [this] { events_.Beat(); });
  // Logged before "listening on", which tells scripts and tests the server is up.
  LogInfo(options_.name, absl::StrCat("transport security: ", options_.security.Describe()));
  if (absl::Status s = host_.Start(); !s.ok()) return FailStartup(options_.name, s);
  if (dispatcher_ != nullptr) dispatcher_->Start();
  if (housekeeping_ != nullptr) housekeeping_->Start();
  heartbeat_->Start();
  if (event_poll_ != nullptr) event_poll_->Start();
  host_.WaitForShutdown();  // returns after in-flight calls finished
  if (event_poll_ != nullptr) event_poll_->Stop();
  heartbeat_->Stop();
  if (housekeeping_ != nullptr) housekeeping_->Stop();
  if (dispatcher_ != nullptr) dispatcher_->Stop();
  pool_.Shutdown();
  LogInfo(options_.name, "bye");
  return 0;
}

int FailStartup(const std::string& name, const absl::Status& status) {
  LogError(name, absl::StrCat("cannot start: ", status.ToString()));
  return 1;
}

}  // namespace handoff
