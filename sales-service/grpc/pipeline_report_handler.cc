#include <string>
#include <vector>

#include "common/grpc/convert.h"
#include "common/ids.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "sales-service/domain/pipeline_report.h"
#include "sales-service/grpc/handlers.h"

namespace handoff::sales {
namespace {

// The rep named in a report request ("" = all) and the reps the report lists.
struct RepScope {
  std::string rep_id;
  std::vector<std::string> listed;
};

absl::StatusOr<RepScope> ResolveReps(SalesTx& tx, const std::string& rep_id) {
  RepScope scope{rep_id, {}};
  if (!rep_id.empty()) {
    if (absl::StatusOr<Rep> r = tx.GetRep(rep_id); !r.ok()) return r.status();
    scope.listed.push_back(rep_id);
    return scope;
  }
  absl::StatusOr<std::vector<Rep>> reps = tx.AllReps();
  if (!reps.ok()) return reps.status();
  for (const Rep& r : *reps) scope.listed.push_back(r.id);
  return scope;
}

void ToProto(const PipelineFigures& f, const std::string& currency, v1::PipelineFigures* out) {
  for (int stage = 1; stage <= kStageMax; ++stage) {
    const StageLine& line = f.stages[stage];
    v1::StageSummary* s = out->add_stages();
    s->set_stage(static_cast<v1::Stage>(stage));
    s->set_count(line.count);
    handoff::ToProto(Money{line.amount_minor, currency}, s->mutable_amount());
    handoff::ToProto(Money{line.weighted_minor, currency}, s->mutable_weighted_amount());
  }
  out->set_win_rate_basis_points(f.win_rate_basis_points);
  handoff::ToProto(Money{f.average_deal_minor, currency}, out->mutable_average_deal_size());
  handoff::ToProto(f.average_sales_cycle, out->mutable_average_sales_cycle());
}

void ToProto(const ForecastFigures& f, const std::string& currency, v1::ForecastFigures* out) {
  handoff::ToProto(Money{f.won_minor, currency}, out->mutable_won());
  out->set_won_count(f.won_count);
  handoff::ToProto(Money{f.pipeline_minor, currency}, out->mutable_pipeline());
  out->set_open_count(f.open_count);
  handoff::ToProto(Money{f.weighted_minor, currency}, out->mutable_weighted());
  handoff::ToProto(Money{f.committed_minor, currency}, out->mutable_committed());
}

// Puts a report's overall and per-rep figures into a response with `overall` and `by_rep`.
template <typename Report, typename Response>
void ReportToProto(const Report& report, const std::string& currency, Response* resp) {
  ToProto(report.overall, currency, resp->mutable_overall());
  for (const auto& [id, figures] : report.by_rep) {
    auto* r = resp->add_by_rep();
    r->set_rep(ResourceName("reps", id));
    ToProto(figures, currency, r->mutable_figures());
  }
}

}  // namespace

template <typename Req, typename Resp, typename Read, typename Build>
absl::Status PipelineReportHandler::FillReport(const Req& req, Resp* resp, Read read, Build build) {
  if (absl::Status s = ValidateCurrency(req.currency_code(), "currency_code"); !s.ok()) return s;
  absl::StatusOr<std::string> rep_id = ParseOptionalRep(req.rep());
  if (!rep_id.ok()) return rep_id.status();
  const std::string& currency = req.currency_code();
  return d_.store.Read([&](SalesTx& tx) -> absl::Status {
    absl::StatusOr<RepScope> scope = ResolveReps(tx, *rep_id);
    if (!scope.ok()) return scope.status();
    auto rows = read(tx, scope->rep_id, currency);
    if (!rows.ok()) return rows.status();
    auto report = build(*rows, scope->listed, d_.opportunities);
    if (!report.ok()) return report.status();
    ReportToProto(*report, currency, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PipelineReportHandler::GetPipelineReport(
    grpc::CallbackServerContext* ctx, const v1::GetPipelineReportRequest* req,
    v1::GetPipelineReportResponse* resp) {
  return d_.runner.RunLong(ctx, "PipelineReportService/GetPipelineReport", *req, [this, req, resp] {
    return FillReport(*req, resp, [](SalesTx& tx, const std::string& rep_id, const std::string& currency) {
      return tx.PipelineRows(rep_id, currency);
    }, BuildPipelineReport);
  });
}

grpc::ServerUnaryReactor* PipelineReportHandler::GetForecast(grpc::CallbackServerContext* ctx,
                                                             const v1::GetForecastRequest* req,
                                                             v1::GetForecastResponse* resp) {
  return d_.runner.RunLong(ctx, "PipelineReportService/GetForecast", *req, [this, req, resp] {
    if (!req->has_start_time() || !req->has_end_time()) {
      return absl::InvalidArgumentError("start_time and end_time are required");
    }
    const absl::Time start = handoff::FromProto(req->start_time());
    const absl::Time end = handoff::FromProto(req->end_time());
    if (!(start < end)) return absl::InvalidArgumentError("start_time must be before end_time");
    return FillReport(*req, resp, [&](SalesTx& tx, const std::string& rep_id, const std::string& currency) {
      return tx.ForecastRows(rep_id, currency, start, end);
    }, BuildForecast);
  });
}

grpc::ServerUnaryReactor* PipelineReportHandler::ListSlaBreaches(
    grpc::CallbackServerContext* ctx, const v1::ListSlaBreachesRequest* req,
    v1::ListSlaBreachesResponse* resp) {
  return d_.runner.Run(ctx, "PipelineReportService/ListSlaBreaches", *req, [this, req, resp] {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    if (req->kind() < 0 || req->kind() > static_cast<int>(SlaKind::kFirstTouch)) {
      return absl::InvalidArgumentError("kind is not a valid SlaKind");
    }
    absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> token = DecodePairPageToken(*req);
    if (!token.ok()) return token.status();
    std::optional<TimeSeqCursor> after;
    if (*token) after = TimeSeqCursor{(*token)->first, (*token)->second};
    const absl::Time now = d_.clock.Now();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<ServiceLevelReport> report =
          d_.opportunities.ServiceLevels(tx, static_cast<SlaKind>(req->kind()), *size, after);
      if (!report.ok()) return report.status();
      if (report->next) resp->set_next_page_token(EncodePageToken(*req, report->next->time_us, report->next->seq));
      for (const SlaBreach& b : report->breaches) {
        v1::SlaBreach* p = resp->add_breaches();
        p->set_opportunity(ResourceName("opportunities", b.opportunity.id));
        if (!b.opportunity.rep_id.empty()) p->set_rep(ResourceName("reps", b.opportunity.rep_id));
        p->set_unassigned_reason(b.opportunity.unassigned_reason);
        handoff::ToProto(b.overdue, p->mutable_overdue());
        p->set_kind(static_cast<v1::SlaKind>(b.kind));
        handoff::ToProto(b.due, p->mutable_due_time());
      }
      for (const Opportunity& o : report->unassigned) {
        v1::UnassignedOpportunity* p = resp->add_unassigned();
        p->set_opportunity(ResourceName("opportunities", o.id));
        p->set_reason(o.unassigned_reason);
        handoff::ToProto(now - o.pending_since, p->mutable_waiting());
      }
      return absl::OkStatus();
    });
  });
}

}  // namespace handoff::sales
