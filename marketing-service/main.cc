// marketing-service: flags, wiring, start and stop. Nothing else.
#include <memory>
#include <string>
#include <thread>

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
#include "marketing-service/grpc/handlers.h"
#include "marketing-service/grpc/sales_delivery.h"
#include "marketing-service/messaging/outbox_sales_gateway.h"
#include "marketing-service/storage/sqlite_marketing_store.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(std::string, database, "sqlite:var/marketing.db",
          "Database: sqlite:PATH (created if missing)");
ABSL_FLAG(std::string, sales_address, "127.0.0.1:50052", "sales-service gRPC address HOST:PORT");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics address HOST:PORT; empty disables");
ABSL_FLAG(int32_t, mql_threshold, 50, "Score at which a lead becomes an MQL and goes to sales");
ABSL_FLAG(int32_t, worker_threads, 8, "Threads running storage work for RPCs");
ABSL_FLAG(int32_t, max_queued_calls, 2048, "Calls waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, delivery_deadline, absl::Seconds(5),
          "Deadline of each call delivering a message to sales");

namespace {
constexpr char kName[] = "marketing-service";

int Fail(const absl::Status& s) {
  handoff::LogError(kName, s.ToString());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  handoff::BlockShutdownSignals();
  absl::SetProgramUsageMessage(
      "Handoff marketing-service: campaigns and lead generation. Every flag can also be set "
      "through the environment as HANDOFF_<FLAG> (e.g. HANDOFF_LISTEN); command-line wins.");
  if (absl::Status s = handoff::ApplyFlagsFromEnvironment(
          "HANDOFF_", {"listen", "database", "sales_address", "metrics_listen", "mql_threshold",
                       "worker_threads", "max_queued_calls", "delivery_deadline"});
      !s.ok()) {
    return Fail(s);
  }
  absl::ParseCommandLine(argc, argv);
  using namespace handoff;
  using namespace handoff::marketing;

  absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(absl::GetFlag(FLAGS_database));
  if (!url.ok()) return Fail(url.status());
  if (url->kind != DatabaseUrl::Kind::kSqlite) {
    return Fail(absl::UnimplementedError(
        "--database: PostgreSQL is not supported by this build yet; use sqlite:PATH"));
  }
  absl::StatusOr<std::unique_ptr<SqliteMarketingStore>> store = SqliteMarketingStore::Open(url->target);
  if (!store.ok()) return Fail(store.status());
  LogInfo(kName, absl::StrCat("database ", url->target, " at schema version ",
                              (*store)->database().schema_version()));

  RealClock clock;
  Metrics metrics;
  if (absl::Status s = metrics.Expose(absl::GetFlag(FLAGS_metrics_listen)); !s.ok()) return Fail(s);
  prometheus::Gauge& backlog_gauge =
      metrics.Gauge("handoff_outbox_pending", "Messages for sales not yet delivered");

  SqliteOutboxStore outbox_store((*store)->database());
  SalesDelivery delivery(MakeServiceChannel(absl::GetFlag(FLAGS_sales_address)),
                         absl::GetFlag(FLAGS_delivery_deadline));
  OutboxDispatcher dispatcher(
      outbox_store, [&delivery](const OutboxMessage& m) { return delivery.Deliver(m); }, clock, {});

  ScoringPolicy policy = ScoringPolicy::Default();
  policy.mql_threshold = absl::GetFlag(FLAGS_mql_threshold);
  OutboxSalesGateway gateway(clock);
  CampaignWorkflow campaigns(clock);
  LeadWorkflow leads(clock, policy, gateway);

  WorkerPool pool(static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_worker_threads))),
                  static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_max_queued_calls))));
  UnaryRunner runner(pool, metrics);
  HandlerDeps deps{**store, clock, pool, runner, dispatcher, campaigns, leads};
  CampaignHandler campaign_handler(deps);
  LeadHandler lead_handler(deps);
  ReportHandler report_handler(deps);

  ServiceHost host({absl::GetFlag(FLAGS_listen), kName});
  host.AddService(&campaign_handler, "handoff.marketing.v1.CampaignService");
  host.AddService(&lead_handler, "handoff.marketing.v1.LeadService");
  host.AddService(&report_handler, "handoff.marketing.v1.MarketingReportService");
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
