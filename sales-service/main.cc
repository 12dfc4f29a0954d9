// sales-service: flags, wiring, start and stop. Nothing else.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/database_url.h"
#include "common/flags_env.h"
#include "common/grpc/service_runtime.h"
#include "common/logging.h"
#include "sales-service/grpc/handlers.h"
#include "sales-service/grpc/marketing_delivery.h"
#include "sales-service/messaging/deal_event_log.h"
#include "sales-service/messaging/outbox_marketing_gateway.h"
#include "sales-service/storage/sqlite_sales_store.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50052", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(std::string, database, "sqlite:var/sales.db", "Database: sqlite:PATH (created if missing)");
ABSL_FLAG(std::string, marketing_address, "127.0.0.1:50051",
          "marketing-service gRPC address HOST:PORT");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics address HOST:PORT; empty disables");
ABSL_FLAG(absl::Duration, accept_sla, absl::Hours(24),
          "How long a handoff may wait for accept or reject before it is an SLA breach");
ABSL_FLAG(int32_t, worker_threads, 8, "Threads running storage work for RPCs");
ABSL_FLAG(int32_t, max_queued_calls, 2048, "Calls waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, delivery_deadline, absl::Seconds(5),
          "Deadline of each call delivering a message to marketing");

int main(int argc, char** argv) {
  using namespace handoff;
  using namespace handoff::sales;
  constexpr char kName[] = "sales-service";
  BlockShutdownSignals();
  absl::SetProgramUsageMessage(
      "Handoff sales-service: prospect engagement and closing. Every flag can also be set "
      "through the environment as HANDOFF_<FLAG> (e.g. HANDOFF_LISTEN); command-line wins.");
  if (absl::Status s = ApplyFlagsFromEnvironment(
          "HANDOFF_", {"listen", "database", "marketing_address", "metrics_listen", "accept_sla",
                       "worker_threads", "max_queued_calls", "delivery_deadline"});
      !s.ok()) {
    return FailStartup(kName, s);
  }
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<std::string> path = SqlitePathOf(absl::GetFlag(FLAGS_database));
  if (!path.ok()) return FailStartup(kName, path.status());
  absl::StatusOr<std::unique_ptr<SqliteSalesStore>> store = SqliteSalesStore::Open(*path);
  if (!store.ok()) return FailStartup(kName, store.status());
  LogInfo(kName, absl::StrCat("database ", *path, " at schema version ",
                              (*store)->database().schema_version()));

  ServiceRuntime runtime({kName, absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_metrics_listen),
                          absl::GetFlag(FLAGS_worker_threads), absl::GetFlag(FLAGS_max_queued_calls),
                          absl::GetFlag(FLAGS_marketing_address), absl::GetFlag(FLAGS_delivery_deadline)});
  MarketingDelivery delivery(runtime.PeerChannel(), runtime.options().delivery_deadline);
  runtime.UseOutbox(
      (*store)->database(), [&delivery](const OutboxMessage& m) { return delivery.Deliver(m); });

  OutboxMarketingGateway gateway(runtime.clock());
  ProtoDealEventLog events(runtime.clock());
  OpportunityWorkflow opportunities(runtime.clock(), PipelineConfig{}, gateway, events);
  HandlerDeps deps{**store, runtime.clock(), runtime.runner(), runtime, opportunities,
                   absl::GetFlag(FLAGS_accept_sla)};
  HandoffHandler handoff_handler(deps);
  RepHandler rep_handler(deps);
  OpportunityHandler opportunity_handler(deps);
  PipelineReportHandler report_handler(deps);
  runtime.AddService(&handoff_handler, "handoff.sales.v1.HandoffService");
  runtime.AddService(&rep_handler, "handoff.sales.v1.RepService");
  runtime.AddService(&opportunity_handler, "handoff.sales.v1.OpportunityService");
  runtime.AddService(&report_handler, "handoff.sales.v1.PipelineReportService");
  return runtime.Run([&] { return (*store)->Ping(); });
}
