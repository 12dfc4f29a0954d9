// sales-service: flags, wiring, start and stop. Nothing else.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/database_url.h"
#include "common/flags_env.h"
#include "common/grpc/channel.h"
#include "common/grpc/metrics.h"
#include "common/grpc/service_host.h"
#include "common/grpc/unary.h"
#include "common/logging.h"
#include "common/outbox.h"
#include "common/worker_pool.h"
#include "sales-service/grpc/handlers.h"
#include "sales-service/grpc/marketing_delivery.h"
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

namespace {
constexpr char kName[] = "sales-service";

int Fail(const absl::Status& s) {
  handoff::LogError(kName, s.ToString());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  handoff::BlockShutdownSignals();
  absl::SetProgramUsageMessage(
      "Handoff sales-service: prospect engagement and closing. Every flag can also be set "
      "through the environment as HANDOFF_<FLAG> (e.g. HANDOFF_LISTEN); command-line wins.");
  if (absl::Status s = handoff::ApplyFlagsFromEnvironment(
          "HANDOFF_", {"listen", "database", "marketing_address", "metrics_listen", "accept_sla",
                       "worker_threads", "max_queued_calls", "delivery_deadline"});
      !s.ok()) {
    return Fail(s);
  }
  absl::ParseCommandLine(argc, argv);
  using namespace handoff;
  using namespace handoff::sales;

  absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(absl::GetFlag(FLAGS_database));
  if (!url.ok()) return Fail(url.status());
  if (url->kind != DatabaseUrl::Kind::kSqlite) {
    return Fail(absl::UnimplementedError(
        "--database: PostgreSQL is not supported by this build yet; use sqlite:PATH"));
  }
  absl::StatusOr<std::unique_ptr<SqliteSalesStore>> store = SqliteSalesStore::Open(url->target);
  if (!store.ok()) return Fail(store.status());
  LogInfo(kName, absl::StrCat("database ", url->target, " at schema version ",
                              (*store)->database().schema_version()));

  RealClock clock;
  Metrics metrics;
  if (absl::Status s = metrics.Expose(absl::GetFlag(FLAGS_metrics_listen)); !s.ok()) return Fail(s);
  prometheus::Gauge& backlog_gauge =
      metrics.Gauge("handoff_outbox_pending", "Messages for marketing not yet delivered");

  SqliteOutboxStore outbox_store((*store)->database());
  MarketingDelivery delivery(MakeServiceChannel(absl::GetFlag(FLAGS_marketing_address)),
                             absl::GetFlag(FLAGS_delivery_deadline));
  OutboxDispatcher dispatcher(
      outbox_store, [&delivery](const OutboxMessage& m) { return delivery.Deliver(m); }, clock, {});

  OutboxMarketingGateway gateway(clock);
  OpportunityWorkflow opportunities(clock, PipelineConfig{}, gateway);

  WorkerPool pool(static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_worker_threads))),
                  static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_queued_calls))));
  UnaryRunner runner(pool, metrics);
  HandlerDeps deps{**store, clock, runner, dispatcher, opportunities, absl::GetFlag(FLAGS_accept_sla)};
  HandoffHandler handoff_handler(deps);
  RepHandler rep_handler(deps);
  OpportunityHandler opportunity_handler(deps);
  PipelineReportHandler report_handler(deps);

  ServiceHost host({absl::GetFlag(FLAGS_listen), kName});
  host.AddService(&handoff_handler, "handoff.sales.v1.HandoffService");
  host.AddService(&rep_handler, "handoff.sales.v1.RepService");
  host.AddService(&opportunity_handler, "handoff.sales.v1.OpportunityService");
  host.AddService(&report_handler, "handoff.sales.v1.PipelineReportService");
  host.SetHealthProbe([&]() -> absl::Status {
    if (absl::Status s = (*store)->Ping(); !s.ok()) return s;
    absl::StatusOr<OutboxBacklog> b = outbox_store.Backlog(clock.Now());
    if (b.ok()) backlog_gauge.Set(static_cast<double>(b->pending));
    return absl::OkStatus();
  });
  if (absl::Status s = host.Start(); !s.ok()) return Fail(s);
  dispatcher.Start();

  host.WaitForShutdown();  // returns after in-flight calls finished
  dispatcher.Stop();
  pool.Shutdown();
  LogInfo(kName, "bye");
  return 0;
}
