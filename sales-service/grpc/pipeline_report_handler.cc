#include "common/grpc/convert.h"
#include "common/ids.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "sales-service/domain/pipeline_report.h"
#include "sales-service/grpc/handlers.h"

namespace handoff::sales {

grpc::ServerUnaryReactor* PipelineReportHandler::GetPipelineReport(
    grpc::CallbackServerContext* ctx, const v1::GetPipelineReportRequest* req,
    v1::GetPipelineReportResponse* resp) {
  return d_.runner.Run(ctx, "PipelineReportService/GetPipelineReport", [this, req, resp] {
    if (absl::Status s = ValidateCurrency(req->currency_code(), "currency_code"); !s.ok()) return s;
    std::string rep_id;
    if (!req->rep().empty()) {
      absl::StatusOr<std::string> rep = ParseNameField(req->rep(), "reps", "rep");
      if (!rep.ok()) return rep.status();
      rep_id = *rep;
    }
    return d_.store.Run([&](SalesTx& tx) -> absl::Status {
      if (!rep_id.empty()) {
        if (absl::StatusOr<Rep> r = tx.GetRep(rep_id); !r.ok()) return r.status();
      }
      absl::StatusOr<std::vector<StageTotals>> totals = tx.TotalsByStage(rep_id, req->currency_code());
      if (!totals.ok()) return totals.status();
      const PipelineReport report = BuildPipelineReport(*totals, d_.opportunities);
      for (int stage = 1; stage <= kStageMax; ++stage) {
        const StageLine& line = report.stages[stage];
        v1::StageSummary* s = resp->add_stages();
        s->set_stage(static_cast<v1::Stage>(stage));
        s->set_count(line.count);
        handoff::ToProto(Money{line.amount_minor, req->currency_code()}, s->mutable_amount());
        handoff::ToProto(Money{line.weighted_minor, req->currency_code()}, s->mutable_weighted_amount());
      }
      resp->set_win_rate_basis_points(report.win_rate_basis_points);
      handoff::ToProto(Money{report.average_deal_minor, req->currency_code()},
                       resp->mutable_average_deal_size());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* PipelineReportHandler::ListSlaBreaches(
    grpc::CallbackServerContext* ctx, const v1::ListSlaBreachesRequest* req,
    v1::ListSlaBreachesResponse* resp) {
  return d_.runner.Run(ctx, "PipelineReportService/ListSlaBreaches", [this, req, resp] {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    return d_.store.Run([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<std::vector<SlaBreach>> breaches =
          d_.opportunities.AcceptSlaBreaches(tx, d_.accept_sla, *size);
      if (!breaches.ok()) return breaches.status();
      for (const SlaBreach& b : *breaches) {
        v1::SlaBreach* p = resp->add_breaches();
        p->set_opportunity(ResourceName("opportunities", b.opportunity.id));
        if (!b.opportunity.rep_id.empty()) p->set_rep(ResourceName("reps", b.opportunity.rep_id));
        p->set_unassigned_reason(b.opportunity.unassigned_reason);
        handoff::ToProto(b.overdue, p->mutable_overdue());
      }
      return absl::OkStatus();
    });
  });
}

}  // namespace handoff::sales
