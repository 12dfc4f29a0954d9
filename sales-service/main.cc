// sales-service: flags, wiring, start and stop. Nothing else.
#include <array>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/database_flags.h"
#include "common/flags_env.h"
#include "common/grpc/service_runtime.h"
#include "common/sql/outbox_store.h"
#include "common/sql/unit_of_work.h"
#include "common/logging.h"
#include "sales-service/grpc/handlers.h"
#include "sales-service/grpc/marketing_delivery.h"
#include "sales-service/jobs/service_level_monitor.h"
#include "sales-service/messaging/deal_event_log.h"
#include "sales-service/messaging/outbox_marketing_gateway.h"
#include "sales-service/storage/sql_sales_store.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50052", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(std::string, database, "sqlite:var/sales.db",
          "Database: sqlite:PATH (a file, created if missing) or a PostgreSQL URI "
          "postgres://USER@HOST:PORT/DB?sslmode=... (password: --database_password_file or PGPASSWORD)");
ABSL_FLAG(std::string, marketing_address, "127.0.0.1:50051",
          "marketing-service gRPC address HOST:PORT");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics address HOST:PORT; empty disables");
ABSL_FLAG(absl::Duration, accept_sla, absl::Hours(24),
          "How long a handoff (or a reassigned one) may wait for accept or reject");
ABSL_FLAG(absl::Duration, first_touch_sla, absl::Hours(24),
          "How long an accepted opportunity may wait for its first contact activity");
ABSL_FLAG(bool, reassign_on_accept_breach, false,
          "Hand a handoff whose accept SLA was missed to the next eligible rep");
ABSL_FLAG(absl::Duration, sla_check_interval, absl::Minutes(1),
          "How often service levels are checked (breach events, reassignment, waiting handoffs)");
ABSL_FLAG(std::string, stage_probabilities, "10,20,40,60,80,100,0",
          "Win probability in percent of NEW,CONTACTED,QUALIFIED,PROPOSAL,NEGOTIATION,"
          "CLOSED_WON,CLOSED_LOST");
ABSL_FLAG(absl::Duration, request_retention, absl::Hours(72),
          "How long answers to request_ids are kept for retries (at least 24h)");
ABSL_FLAG(int32_t, worker_threads, 8, "Threads running storage work for RPCs");
ABSL_FLAG(int32_t, max_queued_calls, 2048, "Calls waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, delivery_deadline, absl::Seconds(5),
          "Deadline of each call delivering a message to marketing");

ABSL_FLAG(int32_t, delivery_max_refusals, 20,
          "Retry budget: a message marketing-service refused this many times with a retryable status is "
          "parked (transport failures do not count)");
ABSL_FLAG(absl::Duration, delivery_max_age, absl::Hours(72),
          "Retry budget: a message still undelivered this long after it was queued is parked");
ABSL_FLAG(absl::Duration, shutdown_drain, absl::ZeroDuration(),
          "After SIGTERM, keep serving this long with health NOT_SERVING (so load balancers "
          "stop routing) before refusing new calls");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "After the drain, how long in-flight calls may take to finish");

int main(int argc, char** argv) {
  using namespace handoff;
  using namespace handoff::sales;
  constexpr char kName[] = "sales-service";
  BlockShutdownSignals();
  PollIdleChannelsOften();
  ConfigureFlagHelp(kName,
      "Handoff sales-service: prospect engagement and closing. Every flag can also be set "
      "through the environment as HANDOFF_<FLAG> (e.g. HANDOFF_LISTEN); command-line wins.");
  if (absl::Status s = ApplyFlagsFromEnvironment(
          "HANDOFF_", {"listen", "database", "marketing_address", "metrics_listen", "accept_sla",
                       "first_touch_sla", "reassign_on_accept_breach", "sla_check_interval",
                       "stage_probabilities", "request_retention", "worker_threads", "max_queued_calls",
                       "delivery_deadline", "delivery_max_refusals", "delivery_max_age", "shutdown_drain",
                       "shutdown_grace", "write_timeout", "database_pool_size", "database_password_file"});
      !s.ok()) {
    return FailStartup(kName, s);
  }
  absl::ParseCommandLine(argc, argv);

  PipelineConfig config;
  absl::StatusOr<std::array<int, kStageMax + 1>> probabilities =
      ParseStageProbabilities(absl::GetFlag(FLAGS_stage_probabilities), "--stage_probabilities");
  if (!probabilities.ok()) return FailStartup(kName, probabilities.status());
  config.probability_percent = *probabilities;
  config.accept_sla = absl::GetFlag(FLAGS_accept_sla);
  config.first_touch_sla = absl::GetFlag(FLAGS_first_touch_sla);
  config.reassign_on_accept_breach = absl::GetFlag(FLAGS_reassign_on_accept_breach);
  const absl::Duration sla_check_interval = absl::GetFlag(FLAGS_sla_check_interval);
  for (const auto& [flag, value] : {std::pair{"--accept_sla", config.accept_sla},
                                    std::pair{"--first_touch_sla", config.first_touch_sla},
                                    std::pair{"--sla_check_interval", sla_check_interval}}) {
    if (value <= absl::ZeroDuration()) {
      return FailStartup(kName, absl::InvalidArgumentError(absl::StrCat(flag, " must be positive")));
    }
  }

  absl::StatusOr<DatabaseOptions> database_options = DatabaseOptionsFromFlags(kName);
  if (!database_options.ok()) return FailStartup(kName, database_options.status());
  const std::string database_url = absl::GetFlag(FLAGS_database);
  absl::StatusOr<std::unique_ptr<SqlSalesStore>> store = SqlSalesStore::Open(database_url, *database_options);
  if (!store.ok()) return FailStartup(kName, store.status());
  LogInfo(kName, absl::StrCat("database ", RedactDatabaseUrl(database_url), " at schema version ",
                              (*store)->database().schema_version()));

  SqlOutboxStore outbox((*store)->database());  // outlives the runtime that delivers it
  ServiceRuntime::Options runtime_options;
  runtime_options.name = kName;
  runtime_options.listen = absl::GetFlag(FLAGS_listen);
  runtime_options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  runtime_options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  runtime_options.max_queued_calls = absl::GetFlag(FLAGS_max_queued_calls);
  runtime_options.peer_address = absl::GetFlag(FLAGS_marketing_address);
  runtime_options.delivery_deadline = absl::GetFlag(FLAGS_delivery_deadline);
  runtime_options.delivery_max_refusals = absl::GetFlag(FLAGS_delivery_max_refusals);
  runtime_options.delivery_max_age = absl::GetFlag(FLAGS_delivery_max_age);
  runtime_options.request_retention = absl::GetFlag(FLAGS_request_retention);
  runtime_options.shutdown_drain = absl::GetFlag(FLAGS_shutdown_drain);
  runtime_options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  ServiceRuntime runtime(std::move(runtime_options));
  MarketingDelivery delivery(runtime.PeerChannel(), runtime.options().delivery_deadline);
  runtime.UseOutbox(
      outbox,
      [&store](absl::Time before, int limit) { return sql::PruneRequestLog((*store)->database(), before, limit); },
      [&delivery](const OutboxMessage& m) { return delivery.Deliver(m); });

  OutboxMarketingGateway gateway(runtime.clock());
  ProtoDealEventLog events(runtime.clock());
  OpportunityWorkflow opportunities(runtime.clock(), config, gateway, events);
  HandlerDeps deps{**store, runtime.clock(), runtime.runner(), runtime, opportunities};
  HandoffHandler handoff_handler(deps);
  RepHandler rep_handler(deps);
  OpportunityHandler opportunity_handler(deps);
  PipelineReportHandler report_handler(deps);
  runtime.AddService(&handoff_handler, "handoff.sales.v1.HandoffService");
  runtime.AddService(&rep_handler, "handoff.sales.v1.RepService");
  runtime.AddService(&opportunity_handler, "handoff.sales.v1.OpportunityService");
  runtime.AddService(&report_handler, "handoff.sales.v1.PipelineReportService");
  ServiceLevelMonitor monitor(**store, opportunities, sla_check_interval, [&runtime] { runtime.Committed(); });
  monitor.Start();
  const int exit_code = runtime.Run([&] { return (*store)->Ping(); });
  monitor.Stop();
  return exit_code;
}
