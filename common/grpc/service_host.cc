#include "common/grpc/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "grpc/health/v1/health.pb.h"

namespace handoff {

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void PollIdleChannelsOften() { setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "100", /*overwrite=*/0); }

ServiceHost::ServiceHost(Options options) : options_(std::move(options)) {}

ServiceHost::~ServiceHost() { Shutdown(); }

void ServiceHost::AddService(grpc::Service* service, const std::string& full_name) {
  services_.emplace_back(service, full_name);
}

void ServiceHost::SetHealthProbe(std::function<absl::Status()> probe) { probe_ = std::move(probe); }

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  // Puts health.proto in the generated pool (the linker keeps it only if used), so that
  // reflection describes grpc.health.v1.Health and `buf curl --list-methods` works on it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen,
                           options_.credentials != nullptr ? options_.credentials : grpc::InsecureServerCredentials(),
                           &port_);
  // gRPC sets SO_REUSEPORT by default, so a second process on the same port would bind
  // beside this one and take half its calls. One port, one server: the second must fail.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options_.max_streams_per_connection);
  // Let clients keep idle connections alive with pings (see MakeServiceChannel).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (options_.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(options_.max_connection_age),
                                                                  std::numeric_limits<int>::max())));
  }
  for (auto& [service, name] : services_) builder.RegisterService(service);
  if (!interceptors_.empty()) builder.experimental().SetInterceptorCreators(std::move(interceptors_));
  // Probed before the port opens, and set as soon as it is open: gRPC starts "" at SERVING,
  // and a Health.Watch begun while a slow first probe ran (PostgreSQL connects then) got
  // that SERVING and then ours again, or SERVING before NOT_SERVING from a store that is down.
  const bool serving = !probe_ || probe_().ok();
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen,
        ": the address is in use (is another instance running?) or invalid; check --listen"));
  }
  if (!options_.health_listen.empty()) {
    // Its own server: only the health service it gets by default is on it.
    grpc::ServerBuilder health;
    int health_port = 0;
    health.AddListeningPort(options_.health_listen, grpc::InsecureServerCredentials(), &health_port);
    health.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    health_server_ = health.BuildAndStart();
    if (health_server_ == nullptr || health_port == 0) {
      health_server_.reset();
      server_->Shutdown();
      server_.reset();
      return absl::UnavailableError(absl::StrCat("cannot listen on --health_listen=", options_.health_listen));
    }
    LogInfo(options_.name, absl::StrCat("health (plaintext, health only) on ",
                                        options_.health_listen.substr(0, options_.health_listen.rfind(':')), ":",
                                        health_port));
  }
  SetServing(serving);
  const std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
  LogInfo(options_.name, absl::StrCat("listening on ", host, ":", port_));
  // "liveness": SERVING while the process serves at all, whatever its storage says, so a
  // liveness probe restarts a hung process, not one whose database is away.
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server != nullptr && server->GetHealthCheckService() != nullptr) {
      server->GetHealthCheckService()->SetServingStatus(std::string(kLivenessService), true);
    }
  }
  health_thread_ = std::thread([this] { HealthLoop(); });
  return absl::OkStatus();
}

void ServiceHost::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  absl::MutexLock lock(&mu_);
  // Health.Watch streams get a message per change, not per probe.
  if (health_set_ && serving == last_serving_) return;
  // By name: the overall "" and each registered service. SetServingStatus(bool) would also
  // set the entries that Watch calls for unknown names create, which must stay
  // SERVICE_UNKNOWN (and Check of them NOT_FOUND).
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr || server->GetHealthCheckService() == nullptr) continue;
    server->GetHealthCheckService()->SetServingStatus("", serving);
    for (auto& [service, name] : services_) server->GetHealthCheckService()->SetServingStatus(name, serving);
  }
  if (serving != last_serving_ || !health_set_) {
    LogInfo(options_.name, serving ? "health: SERVING" : "health: NOT_SERVING");
  }
  last_serving_ = serving;
  health_set_ = true;
}

void ServiceHost::HealthLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.health_interval);
      if (stopping_) return;
    }
    bool serving = true;
    if (probe_) {
      const absl::Status s = probe_();
      if (!s.ok()) {
        serving = false;
        LogWarning(options_.name, absl::StrCat("health probe failed: ", s.ToString()));
      }
    }
    SetServing(serving);
  }
}

int AwaitShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void ServiceHost::WaitForShutdown() {
  const int sig = AwaitShutdownSignal();
  LogInfo(options_.name, absl::StrCat("signal ", sig, " received: shutting down"));
  Shutdown();
}

void ServiceHost::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (health_thread_.joinable()) health_thread_.join();
  if (server_ == nullptr) return;
  // Tell load balancers and probes first, keep serving while they stop routing here, then
  // end streams, stop taking calls and drain.
  // (Every entry set NOT_SERVING, not HealthCheckServiceInterface::Shutdown: measured
  // here, that one held the server's own Shutdown up for seconds once a call had been
  // served. The health thread has stopped, so nothing sets them back.)
  SetServing(false);
  if (options_.shutdown_drain > absl::ZeroDuration()) {
    LogInfo(options_.name, absl::StrCat("draining for ", absl::FormatDuration(options_.shutdown_drain)));
    absl::SleepFor(options_.shutdown_drain);
  }
  if (before_stop_) before_stop_();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(options_.shutdown_grace));
  server_->Wait();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
  LogInfo(options_.name, "stopped");
}

}  // namespace handoff
