// sales-service: flags, wiring, start and stop. Nothing else.
#include <array>
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
#include "sales-service/grpc/handlers.h"
#include "sales-service/grpc/marketing_delivery.h"
#include "sales-service/domain/pipeline_rules.h"
#include "sales-service/jobs/service_level_monitor.h"
#include "sales-service/messaging/deal_event_log.h"
#include "sales-service/messaging/outbox_marketing_gateway.h"
#include "sales-service/storage/sql_sales_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052", "gRPC address HOST:PORT (port 0: any free port)");
ABSL_FLAG(std::string, database, "sqlite:var/sales.db",
          "Database: sqlite:PATH (a file, created if missing) or a PostgreSQL URI "
          "postgres://USER@HOST:PORT/DB?sslmode=... (password: --database_password_file or PGPASSWORD)");
ABSL_FLAG(std::string, marketing_address, "127.0.0.1:50051",
          "marketing-service gRPC address HOST:PORT");
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

int main(int argc, char** argv) {
  using namespace handoff;
  using namespace handoff::sales;
  constexpr char kName[] = "sales-service";
  BlockShutdownSignals();
  PollIdleChannelsOften();
  ConfigureFlagHelp(kName,
      "Handoff sales-service: prospect engagement and closing. Every flag can also be set "
      "through the environment as HANDOFF_<FLAG> (e.g. HANDOFF_LISTEN); command-line wins.");
  std::vector<std::string> env_flags = {"listen", "database", "marketing_address", "accept_sla", "first_touch_sla",
                                         "reassign_on_accept_breach", "sla_check_interval", "stage_probabilities"};
  for (std::vector<std::string> shared : {RuntimeFlagNames(), DatabaseFlagNames()}) {
    env_flags.insert(env_flags.end(), shared.begin(), shared.end());
  }
  if (absl::Status s = ApplyFlagsFromEnvironment("HANDOFF_", env_flags); !s.ok()) return FailStartup(kName, s);
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
  // Security flags are checked before the database is touched: a bad certificate or
  // policy stops the process with the flag named and nothing opened.
  absl::StatusOr<ServiceRuntime::Options> runtime_options =
      RuntimeOptionsFromFlags(kName, absl::GetFlag(FLAGS_listen), absl::GetFlag(FLAGS_marketing_address));
  if (!runtime_options.ok()) return FailStartup(kName, runtime_options.status());
  runtime_options->peer_name = "marketing-service";
  const std::string database_url = absl::GetFlag(FLAGS_database);
  absl::StatusOr<std::unique_ptr<SqlSalesStore>> store = SqlSalesStore::Open(database_url, *database_options);
  if (!store.ok()) return FailStartup(kName, store.status());
  LogInfo(kName, absl::StrCat("database ", RedactDatabaseUrl(database_url), " at schema version ",
                              (*store)->database().schema_version()));

  SqlOutboxStore outbox((*store)->database());  // outlives the runtime that delivers it
  sql::SqlAuditLog audit((*store)->database());
  ServiceRuntime runtime(*std::move(runtime_options));
  MarketingDelivery delivery(runtime.PeerChannel(), runtime.options().delivery_deadline);
  runtime.UseOutbox(
      outbox, audit,
      [&store](absl::Time before, int limit) { return sql::PruneRequestLog((*store)->database(), before, limit); },
      [&delivery](const OutboxMessage& m) { return delivery.Deliver(m); });
  // Replicas share a PostgreSQL database: their events reach this one's watchers by polling.
  if ((*store)->database().dialect() == sql::Dialect::kPostgres) {
    runtime.WatchSharedEventLog([&store] { return (*store)->LatestEventSequence(); });
  }

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
  // Breaches as the monitor announces them: each opportunity's once, on whichever replica
  // announced it, so the sum over replicas counts every breach once.
  auto& breaches = prometheus::BuildCounter()
                       .Name("handoff_sla_breaches_total")
                       .Help("Service-level breaches announced: kind accept (not accepted or rejected within "
                             "--accept_sla) or first_touch (accepted, no activity within --first_touch_sla)")
                       .Register(runtime.metrics_registry());
  prometheus::Counter& accept_breaches = breaches.Add({{"kind", "accept"}});
  prometheus::Counter& first_touch_breaches = breaches.Add({{"kind", "first_touch"}});
  ServiceLevelMonitor monitor(**store, opportunities, sla_check_interval, [&](const ServiceLevelSweep& sweep) {
    accept_breaches.Increment(sweep.accept_breaches);
    first_touch_breaches.Increment(sweep.first_touch_breaches);
    runtime.Committed();
  });
  // The open pipeline now, per stage (one grouped read per scrape over the open deals).
  auto& open_count = prometheus::BuildGauge()
                         .Name("handoff_pipeline_open_opportunities")
                         .Help("Open opportunities in each stage now (rejected handoffs not counted)")
                         .Register(runtime.metrics_registry());
  ScrapedGauges open_amount(prometheus::BuildGauge()
                                .Name("handoff_pipeline_open_amount_minor")
                                .Help("Sum of the amounts of the open opportunities in each stage now, per currency, "
                                      "in minor units (cents), as the API's amount_minor")
                                .Register(runtime.metrics_registry()));
  runtime.OnScrape([&store, &open_count, &open_amount] {
    absl::Status s = (*store)->Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<std::vector<OpenPipelineLine>> lines = tx.OpenPipeline();
      if (!lines.ok()) return lines.status();
      std::array<int64_t, kStageMax + 1> counts{};
      open_amount.Reset();  // a currency no longer in a stage reads 0
      for (const OpenPipelineLine& line : *lines) {
        const int stage = static_cast<int>(line.stage);
        if (stage <= 0 || stage >= static_cast<int>(Stage::kClosedWon)) continue;
        counts[stage] += line.count;
        if (line.currency.empty()) continue;
        open_amount.Set({{"stage", absl::StrCat("STAGE_", StageName(line.stage))}, {"currency", line.currency}},
                        static_cast<double>(line.amount_minor));
      }
      for (int stage = 1; stage < static_cast<int>(Stage::kClosedWon); ++stage) {
        open_count.Add({{"stage", absl::StrCat("STAGE_", StageName(static_cast<Stage>(stage)))}})
            .Set(static_cast<double>(counts[stage]));
      }
      return absl::OkStatus();
    });
    (void)s;  // the gauges keep their last values; health reports the store
  });
  monitor.Start();
  const int exit_code = runtime.Run([&] { return (*store)->Ping(); });
  monitor.Stop();
  return exit_code;
}
