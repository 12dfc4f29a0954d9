// marketing-service: flags, wiring, start and stop. Nothing else.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/database_flags.h"
#include "common/flags_env.h"
#include "common/grpc/runtime_flags.h"
#include "common/grpc/service_runtime.h"
#include "common/sql/outbox_store.h"
#include "common/sql/unit_of_work.h"
#include "common/logging.h"
#include "common/periodic_task.h"
#include "marketing-service/domain/campaign_report.h"
#include "marketing-service/grpc/handlers.h"
#include "marketing-service/grpc/sales_delivery.h"
#include "marketing-service/messaging/lead_event_log.h"
#include "marketing-service/messaging/outbox_sales_gateway.h"
#include "marketing-service/storage/sql_marketing_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(std::string, database, "sqlite:var/marketing.db",
          "Database: sqlite:PATH (a file, created if missing) or a PostgreSQL URI "
          "postgres://USER@HOST:PORT/DB?sslmode=... (password: --database_password_file or PGPASSWORD)");
ABSL_FLAG(std::string, sales_address, "127.0.0.1:50052", "sales-service gRPC address HOST:PORT");
ABSL_FLAG(int32_t, mql_threshold, 50,
          "MQL threshold of the initial scoring policy (version 1), used until "
          "UpdateScoringPolicy stores another version");
ABSL_FLAG(int32_t, outbound_cap, 3,
          "Most outbound touches (e-mail, mail, SMS, call) one person gets across all campaigns "
          "within --outbound_window");
ABSL_FLAG(absl::Duration, outbound_window, absl::Hours(24 * 7), "Window of --outbound_cap");

int main(int argc, char** argv) {
  using namespace handoff;
  using namespace handoff::marketing;
  constexpr char kName[] = "marketing-service";
  BlockShutdownSignals();
  PollIdleChannelsOften();
  ConfigureFlagHelp(kName,
      "Handoff marketing-service: campaigns and lead generation. Every flag can also be set "
      "through the environment as HANDOFF_<FLAG> (e.g. HANDOFF_LISTEN); command-line wins.");
  std::vector<std::string> env_flags = {"listen",       "database",     "sales_address", "mql_threshold",
                                        "outbound_cap", "outbound_window"};
  for (std::vector<std::string> shared : {RuntimeFlagNames(), DatabaseFlagNames()}) {
    env_flags.insert(env_flags.end(), shared.begin(), shared.end());
  }
  if (absl::Status s = ApplyFlagsFromEnvironment("HANDOFF_", env_flags); !s.ok()) return FailStartup(kName, s);
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<DatabaseOptions> database_options = DatabaseOptionsFromFlags(kName);
  if (!database_options.ok()) return FailStartup(kName, database_options.status());
  // Security flags are checked before the database is touched: a bad certificate or
  // policy stops the process with the flag named and nothing opened.
  absl::StatusOr<ServiceRuntime::Options> runtime_options =
      RuntimeOptionsFromFlags(kName, absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_sales_address));
  if (!runtime_options.ok()) return FailStartup(kName, runtime_options.status());
  runtime_options->peer_name = "sales-service";
  const std::string database_url = absl::GetFlag(FLAGS_database);
  absl::StatusOr<std::unique_ptr<SqlMarketingStore>> store = SqlMarketingStore::Open(database_url, *database_options);
  if (!store.ok()) return FailStartup(kName, store.status());
  LogInfo(kName, absl::StrCat("database ", RedactDatabaseUrl(database_url), " at schema version ",
                              (*store)->database().schema_version()));
  if (absl::Status s = (*store)->Run([](MarketingTx& tx) { return AttributeEarlierWins(tx); }); !s.ok()) {
    return FailStartup(kName, s);
  }

  SqlOutboxStore outbox((*store)->database());  // outlives the runtime that delivers it
  sql::SqlAuditLog audit((*store)->database());
  ServiceRuntime runtime(*std::move(runtime_options));
  SalesDelivery delivery(runtime.PeerChannel(), runtime.options().delivery_deadline);
  runtime.UseOutbox(
      outbox, audit,
      [&store](absl::Time before, int limit) { return sql::PruneRequestLog((*store)->database(), before, limit); },
      [&delivery](const OutboxMessage& m) { return delivery.Deliver(m); });
  // Replicas share a PostgreSQL database: their events reach this one's watchers by polling.
  if ((*store)->database().dialect() == sql::Dialect::kPostgres) {
    runtime.WatchSharedEventLog([&store] { return (*store)->LatestEventSequence(); });
  }

  ScoringPolicy policy = ScoringPolicy::Default();
  policy.mql_threshold = absl::GetFlag(FLAGS_mql_threshold);
  OutboxSalesGateway gateway(runtime.clock());
  CampaignWorkflow campaigns(runtime.clock());
  ProtoLeadEventLog events(runtime.clock());
  LeadWorkflow leads(runtime.clock(), policy, gateway, events,
                     OutreachPolicy{absl::GetFlag(FLAGS_outbound_cap), absl::GetFlag(FLAGS_outbound_window)});
  HandlerDeps deps{**store, runtime.clock(), runtime.pool(), runtime.runner(), runtime, campaigns, leads};
  CampaignHandler campaign_handler(deps);
  LeadHandler lead_handler(deps);
  ReportHandler report_handler(deps);
  ScoringHandler scoring_handler(deps);
  runtime.AddService(&campaign_handler, "handoff.marketing.v1.CampaignService");
  runtime.AddService(&lead_handler, "handoff.marketing.v1.LeadService");
  runtime.AddService(&report_handler, "handoff.marketing.v1.MarketingReportService");
  runtime.AddService(&scoring_handler, "handoff.marketing.v1.ScoringService");
  // Leads per lifecycle stage and owner now: one grouped read over the leads per scrape (at
  // most once a second). A series once seen stays, at 0 when its last lead moved on.
  ScrapedGauges leads_by_stage(prometheus::BuildGauge()
                                   .Name("handoff_leads")
                                   .Help("Leads in each lifecycle stage with each owner now (merged leads not counted)")
                                   .Register(runtime.metrics_registry()));
  runtime.OnScrape([&store, &leads_by_stage] {
    absl::Status s = (*store)->Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<std::vector<LeadCount>> counts = tx.CountLeads();
      if (!counts.ok()) return counts.status();
      leads_by_stage.Reset();
      for (const LeadCount& c : *counts) {
        leads_by_stage.Set({{"stage", v1::LifecycleStage_Name(static_cast<v1::LifecycleStage>(c.stage))},
                            {"owner", v1::Owner_Name(static_cast<v1::Owner>(c.owner))}},
                           static_cast<double>(c.leads));
      }
      return absl::OkStatus();
    });
    (void)s;  // the gauges keep their last values; health reports the store
  });
  // PostgreSQL keeps the funnel's counter changes as rows of their own (so writers can run
  // side by side); fold them into the counters once a second.
  PeriodicTask fold_funnel(absl::Seconds(1), [&store, &kName, failing = false]() mutable {
    absl::StatusOr<int64_t> moved = (*store)->FoldFunnelChanges();
    // Logged once per outage: the reads stay right meanwhile, only the table of changes grows.
    if (!moved.ok() && !failing) {
      LogWarning(kName, absl::StrCat("folding the funnel's counter changes: ", moved.status().ToString()));
    }
    failing = !moved.ok();
  });
  if ((*store)->database().dialect() == sql::Dialect::kPostgres) fold_funnel.Start();
  return runtime.Run([&] { return (*store)->Ping(); });
}
