// reports campaign|funnel|pipeline|forecast
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "handoffctl/commands.h"
#include "handoffctl/render.h"

namespace handoff::ctl {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;

std::string FormatDuration(const google::protobuf::Duration& d) {
  if (d.seconds() == 0 && d.nanos() == 0) return "";
  const int64_t s = d.seconds();
  if (s >= 86400) return absl::StrCat(s / 86400, "d ", s % 86400 / 3600, "h");
  if (s >= 3600) return absl::StrCat(s / 3600, "h ", s % 3600 / 60, "m");
  return absl::StrCat(s / 60, "m ", s % 60, "s");
}

// Key-value rows as a two-column table (CSV: one header row, one value row).
void PrintFigures(Context& ctx, const std::vector<std::pair<std::string, std::string>>& figures) {
  if (ctx.format() == OutputFormat::kCsv) {
    std::vector<std::string> names, values;
    for (const auto& [k, v] : figures) {
      names.push_back(k);
      values.push_back(v);
    }
    Table t(names);
    t.Add(values);
    return t.Print(ctx.out(), ctx.format());
  }
  Table t({"figure", "value"});
  for (const auto& [k, v] : figures) t.Add({k, v});
  t.Print(ctx.out(), ctx.format());
}

void PrintPipelineFigures(Context& ctx, const sv1::PipelineFigures& f, const std::string& title) {
  if (!title.empty()) ctx.out() << title << "\n";
  Table t({"stage", "count", "amount", "weighted"});
  std::vector<std::pair<std::string, int64_t>> bars;
  for (const sv1::StageSummary& s : f.stages()) {
    const std::string stage = EnumLabel(sv1::Stage_descriptor(), s.stage());
    t.Add({stage, FormatCount(s.count()), FormatMoney(s.amount()), FormatMoney(s.weighted_amount())});
    bars.emplace_back(stage, s.count());
  }
  t.Print(ctx.out(), ctx.format());
  if (ctx.format() != OutputFormat::kTable) return;
  ctx.out() << "\n";
  PrintBars(ctx.out(), bars);
  ctx.out() << "\nwin rate " << FormatBasisPoints(f.win_rate_basis_points()) << ", average deal "
            << FormatMoney(f.average_deal_size()) << ", average cycle " << FormatDuration(f.average_sales_cycle())
            << "\n";
}

}  // namespace

void AddReportCommands(CLI::App& app, Context& ctx, int& exit_code) {
  CLI::App* group = app.add_subcommand("reports", "Reports: campaign ROI, lifecycle funnel, sales pipeline, forecast");
  group->require_subcommand(1);
  {
    struct Args {
      std::string id, model = "first_touch", start, end;
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("campaign", "A campaign's leads, won revenue, spend and ROI (GetCampaignPerformance)");
    c->add_option("campaign", a->id, "campaigns/ID or ID")->required();
    c->add_option("--model", a->model, "Attribution: first_touch, last_touch, linear")->capture_default_str();
    c->add_option("--start", a->start, "From this time (RFC 3339)");
    c->add_option("--end", a->end, "Until this time (RFC 3339)");
    c->callback([&ctx, &exit_code, a] {
      mv1::GetCampaignPerformanceRequest req;
      req.set_campaign(ResourceName("campaigns", a->id));
      absl::StatusOr<int> model = ParseEnum(mv1::AttributionModel_descriptor(), a->model, "--model");
      if (!model.ok()) return void(exit_code = Failed(ctx, model.status()));
      req.set_model(static_cast<mv1::AttributionModel>(*model));
      for (const absl::Status& s : {ParseTimestamp(a->start, "--start", req.mutable_start_time()),
                                    ParseTimestamp(a->end, "--end", req.mutable_end_time())}) {
        if (!s.ok()) return void(exit_code = Failed(ctx, s));
      }
      if (a->start.empty()) req.clear_start_time();
      if (a->end.empty()) req.clear_end_time();
      auto stub = NewStub<mv1::MarketingReportService>(ctx, Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      mv1::GetCampaignPerformanceResponse r;
      grpc::Status s = stub->GetCampaignPerformance(ctx.Call().get(), req, &r);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "GetCampaignPerformance", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), r);
      PrintFigures(ctx, {{"campaign", r.campaign()},
                         {"model", EnumLabel(mv1::AttributionModel_descriptor(), r.model())},
                         {"leads", FormatCount(r.leads())},
                         {"merged captures", FormatCount(r.merged_captures())},
                         {"mqls", FormatCount(r.mqls())},
                         {"accepted", FormatCount(r.accepted())},
                         {"rejected", FormatCount(r.rejected())},
                         {"won", FormatCount(r.won())},
                         {"revenue", FormatMoney(r.revenue())},
                         {"spend", FormatMoney(r.spend())},
                         {"cost per lead", FormatMoney(r.cost_per_lead())},
                         {"cost per acquisition", FormatMoney(r.cost_per_acquisition())},
                         {"roi", FormatBasisPoints(r.roi_basis_points())}});
    });
  }
  {
    CLI::App* c = group->add_subcommand("funnel", "Leads per lifecycle stage and the conversions (GetLifecycleFunnel)");
    c->callback([&ctx, &exit_code] {
      auto stub = NewStub<mv1::MarketingReportService>(ctx, Peer::kMarketing, exit_code);
      if (stub == nullptr) return;
      mv1::GetLifecycleFunnelResponse r;
      grpc::Status s = stub->GetLifecycleFunnel(ctx.Call().get(), mv1::GetLifecycleFunnelRequest(), &r);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "GetLifecycleFunnel", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), r);
      Table stages({"stage", "now", "ever entered", "median stay"});
      std::vector<std::pair<std::string, int64_t>> bars;
      for (const mv1::StageCount& st : r.stages()) {
        const std::string stage = EnumLabel(mv1::LifecycleStage_descriptor(), st.stage());
        stages.Add({stage, FormatCount(st.count()), FormatCount(st.ever_entered()),
                    FormatDuration(st.median_time_in_stage())});
        bars.emplace_back(stage, st.ever_entered());
      }
      stages.Print(ctx.out(), ctx.format());
      if (ctx.format() == OutputFormat::kCsv) return;
      ctx.out() << "\never entered\n";
      PrintBars(ctx.out(), bars);
      ctx.out() << "\n";
      Table conv({"from", "to", "entered", "converted", "rate"});
      for (const mv1::StageConversion& cv : r.conversions()) {
        conv.Add({EnumLabel(mv1::LifecycleStage_descriptor(), cv.from_stage()),
                  EnumLabel(mv1::LifecycleStage_descriptor(), cv.to_stage()), FormatCount(cv.entered()),
                  FormatCount(cv.converted()), FormatBasisPoints(cv.rate_basis_points())});
      }
      conv.Print(ctx.out(), ctx.format());
    });
  }
  {
    struct Args {
      std::string rep, currency = "EUR";
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("pipeline", "The sales pipeline by stage, overall and per rep (GetPipelineReport)");
    c->add_option("--rep", a->rep, "Only this rep (reps/ID or ID)");
    c->add_option("--currency", a->currency, "Amounts in this ISO 4217 currency")->capture_default_str();
    c->callback([&ctx, &exit_code, a] {
      sv1::GetPipelineReportRequest req;
      req.set_rep(ResourceName("reps", a->rep));
      req.set_currency_code(a->currency);
      auto stub = NewStub<sv1::PipelineReportService>(ctx, Peer::kSales, exit_code);
      if (stub == nullptr) return;
      sv1::GetPipelineReportResponse r;
      grpc::Status s = stub->GetPipelineReport(ctx.Call().get(), req, &r);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "GetPipelineReport", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), r);
      PrintPipelineFigures(ctx, r.overall(), ctx.format() == OutputFormat::kTable ? "overall" : "");
      if (ctx.format() != OutputFormat::kTable) return;
      for (const sv1::RepPipeline& rp : r.by_rep()) {
        ctx.out() << "\n";
        PrintPipelineFigures(ctx, rp.figures(), rp.rep());
      }
    });
  }
  {
    struct Args {
      std::string start, end, rep, currency = "EUR";
    };
    auto a = std::make_shared<Args>();
    CLI::App* c = group->add_subcommand("forecast", "Won and expected revenue for a period, overall and per rep (GetForecast)");
    c->add_option("--start", a->start, "Period start (RFC 3339)")->required();
    c->add_option("--end", a->end, "Period end, excluded (RFC 3339)")->required();
    c->add_option("--rep", a->rep, "Only this rep (reps/ID or ID)");
    c->add_option("--currency", a->currency, "Amounts in this ISO 4217 currency")->capture_default_str();
    c->callback([&ctx, &exit_code, a] {
      sv1::GetForecastRequest req;
      for (const absl::Status& s : {ParseTimestamp(a->start, "--start", req.mutable_start_time()),
                                    ParseTimestamp(a->end, "--end", req.mutable_end_time())}) {
        if (!s.ok()) return void(exit_code = Failed(ctx, s));
      }
      req.set_rep(ResourceName("reps", a->rep));
      req.set_currency_code(a->currency);
      auto stub = NewStub<sv1::PipelineReportService>(ctx, Peer::kSales, exit_code);
      if (stub == nullptr) return;
      sv1::GetForecastResponse r;
      grpc::Status s = stub->GetForecast(ctx.Call().get(), req, &r);
      if (!s.ok()) return void(exit_code = CallFailed(ctx, "GetForecast", s));
      if (ctx.format() == OutputFormat::kJson) return PrintJson(ctx.out(), r);
      Table t({"rep", "won", "won count", "pipeline", "open count", "weighted", "committed"});
      const auto add = [&](const std::string& who, const sv1::ForecastFigures& f) {
        t.Add({who, FormatMoney(f.won()), FormatCount(f.won_count()), FormatMoney(f.pipeline()),
               FormatCount(f.open_count()), FormatMoney(f.weighted()), FormatMoney(f.committed())});
      };
      add("overall", r.overall());
      for (const sv1::RepForecast& rf : r.by_rep()) add(rf.rep(), rf.figures());
      t.Print(ctx.out(), ctx.format());
    });
  }
}

}  // namespace handoff::ctl
