#include "common/grpc/runtime_flags.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/grpc/access_log.h"
#include "common/grpc/transport_security.h"
#include "common/logging.h"

ABSL_FLAG(std::string, metrics_listen, "", "Prometheus /metrics address HOST:PORT; empty disables");
ABSL_FLAG(std::string, log_format, "text",
          "Log lines as \"text\" (time LEVEL component: message) or \"json\" (one object per line)");
ABSL_FLAG(double, access_log_sample, 1.0,
          "Share of successful calls written to the access log (0 to 1); failed calls always are");
ABSL_FLAG(std::string, health_listen, "",
          "Extra plaintext HOST:PORT serving only grpc.health.v1.Health (for Kubernetes' native gRPC "
          "probes, which cannot speak TLS); empty disables");
ABSL_FLAG(int32_t, worker_threads, 8, "Threads running storage work for RPCs");
ABSL_FLAG(int32_t, max_queued_calls, 2048, "Calls waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, request_retention, absl::Hours(72),
          "How long answers to request_ids are kept for retries (at least 24h)");
ABSL_FLAG(absl::Duration, delivery_deadline, absl::Seconds(5),
          "Deadline of each call delivering a message to the other service");
ABSL_FLAG(absl::Duration, delivery_lease, absl::Seconds(10),
          "How long a replica's claim on the leads it is delivering lasts: a replica that dies "
          "mid-delivery holds them this long before another carries on (longer than --delivery_deadline)");
ABSL_FLAG(int32_t, delivery_max_refusals, 20,
          "Retry budget: a message the other service refused this many times with a retryable "
          "status is parked (transport failures do not count)");
ABSL_FLAG(absl::Duration, delivery_max_age, absl::Hours(72),
          "Retry budget: a message still undelivered this long after it was queued is parked");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Minutes(5),
          "Clients are asked to reconnect after a connection is this old (±10%), so calls spread "
          "over new replicas; open calls and streams finish first. 0 = never");
ABSL_FLAG(absl::Duration, shutdown_drain, absl::Seconds(3),
          "After SIGTERM, keep serving this long with health NOT_SERVING (so load balancers "
          "stop routing) before refusing new calls");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "After the drain, how long in-flight calls may take to finish");

ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of this service (leaf first): served to callers and presented to "
          "the other service. Empty = plaintext, allowed only on loopback or with --plaintext");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle that verifies callers' certificates and the other service's");
ABSL_FLAG(std::string, tls_client_auth, "require",
          "Client certificates: none | request (verified when sent) | require");
ABSL_FLAG(absl::Duration, tls_refresh_interval, absl::Minutes(1),
          "How often the --tls_* files are read again (rotation without restart)");
ABSL_FLAG(bool, plaintext, false,
          "Accept unencrypted, unauthenticated calls on a non-loopback --listen (and call the "
          "other service without TLS)");
ABSL_FLAG(std::string, authz_policy, "",
          "gRFC A43 authorization policy (JSON file, re-read every --authz_refresh_interval; needs "
          "TLS); empty = any caller that passes TLS may call every method");
ABSL_FLAG(absl::Duration, authz_refresh_interval, absl::Minutes(1),
          "How often --authz_policy is read again (a bad edit keeps the last good policy)");

ABSL_FLAG(int32_t, max_message_bytes, 1 << 20,
          "Largest request message accepted (bytes); a larger one is refused RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, max_streams_per_connection, 100,
          "Calls open at once on one client connection (HTTP/2 MAX_CONCURRENT_STREAMS); more wait");
ABSL_FLAG(int32_t, max_watch_per_connection, 8, "Watch*Events streams open at once on one client connection");
ABSL_FLAG(absl::Duration, watch_heartbeat, absl::Seconds(30),
          "A Watch*Events stream that sent nothing for this long gets a heartbeat message (the newest "
          "sequence it has passed); at least 1s");
ABSL_FLAG(absl::Duration, watch_poll, absl::Milliseconds(200),
          "PostgreSQL (a database replicas share): how often open Watch*Events streams look for "
          "events other replicas wrote; at least 10ms");
ABSL_FLAG(double, rate_limit, 1000,
          "Calls per second each caller (certificate identity; without TLS, client IP) may make; 0 = "
          "no limit. Over it: RESOURCE_EXHAUSTED with google.rpc.RetryInfo");
ABSL_FLAG(int32_t, rate_limit_burst, 0, "Calls a caller may make at once after idling; 0 = twice --rate_limit");
ABSL_FLAG(std::vector<std::string>, trusted_actor_principals, {"spiffe://handoff.local/crm-frontend"},
          "Callers (principals, comma-separated) that may say which rep a call acts for with the "
          "x-handoff-actor metadata; empty = none");

namespace handoff {

std::vector<std::string> RuntimeFlagNames() {
  return {"metrics_listen",     "health_listen",  "log_format", "access_log_sample",     "worker_threads", "max_queued_calls",      "request_retention",
          "delivery_deadline",  "delivery_lease", "delivery_max_refusals", "delivery_max_age",
          "max_connection_age", "shutdown_drain", "shutdown_grace", "tls_cert",
          "tls_key",            "tls_ca",         "tls_client_auth",       "tls_refresh_interval",
          "plaintext",          "authz_policy",   "authz_refresh_interval", "max_message_bytes",
          "max_streams_per_connection", "max_watch_per_connection", "watch_heartbeat", "watch_poll", "rate_limit", "rate_limit_burst",
          "trusted_actor_principals"};
}

absl::StatusOr<ServiceRuntime::Options> RuntimeOptionsFromFlags(const std::string& name, const std::string& listen,
                                                                const std::string& peer_address) {
  // First, so that what follows logs in the format asked for.
  LogFormat log_format;
  if (!ParseLogFormat(absl::GetFlag(FLAGS_log_format), &log_format)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_format=", absl::GetFlag(FLAGS_log_format), " must be text or json"));
  }
  SetLogFormat(log_format);
  const double sample = absl::GetFlag(FLAGS_access_log_sample);
  if (!(sample >= 0 && sample <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--access_log_sample=", sample, " must be within 0..1"));
  }
  SetAccessLogSample(sample);
  TransportSecurityOptions security;
  security.cert_file = absl::GetFlag(FLAGS_tls_cert);
  security.key_file = absl::GetFlag(FLAGS_tls_key);
  security.ca_file = absl::GetFlag(FLAGS_tls_ca);
  absl::StatusOr<ClientAuth> client_auth = ParseClientAuth(absl::GetFlag(FLAGS_tls_client_auth));
  if (!client_auth.ok()) return client_auth.status();
  security.client_auth = *client_auth;
  security.refresh_interval = absl::GetFlag(FLAGS_tls_refresh_interval);
  security.plaintext = absl::GetFlag(FLAGS_plaintext);
  security.authz_policy_file = absl::GetFlag(FLAGS_authz_policy);
  security.authz_refresh_interval = absl::GetFlag(FLAGS_authz_refresh_interval);
  absl::StatusOr<TransportSecurity> checked = TransportSecurity::Create(security, listen, peer_address, name);
  if (!checked.ok()) return checked.status();

  ServiceRuntime::Options o;
  o.security = *std::move(checked);
  o.name = name;
  o.listen = listen;
  o.peer_address = peer_address;
  o.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  o.health_listen = absl::GetFlag(FLAGS_health_listen);
  o.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  o.max_queued_calls = absl::GetFlag(FLAGS_max_queued_calls);
  o.request_retention = absl::GetFlag(FLAGS_request_retention);
  o.delivery_deadline = absl::GetFlag(FLAGS_delivery_deadline);
  o.delivery_lease = absl::GetFlag(FLAGS_delivery_lease);
  o.delivery_max_refusals = absl::GetFlag(FLAGS_delivery_max_refusals);
  o.delivery_max_age = absl::GetFlag(FLAGS_delivery_max_age);
  o.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  o.shutdown_drain = absl::GetFlag(FLAGS_shutdown_drain);
  o.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  o.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  o.max_streams_per_connection = absl::GetFlag(FLAGS_max_streams_per_connection);
  o.limits.max_watch_per_connection = absl::GetFlag(FLAGS_max_watch_per_connection);
  o.watch_heartbeat = absl::GetFlag(FLAGS_watch_heartbeat);
  o.watch_poll = absl::GetFlag(FLAGS_watch_poll);
  o.limits.rate = absl::GetFlag(FLAGS_rate_limit);
  o.limits.burst = absl::GetFlag(FLAGS_rate_limit_burst);
  o.trusted_actor_principals = absl::GetFlag(FLAGS_trusted_actor_principals);
  return o;
}

}  // namespace handoff
