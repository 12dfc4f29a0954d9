#include "common/grpc/convert.h"
#include "marketing-service/domain/campaign_report.h"
#include "marketing-service/domain/funnel_report.h"
#include "marketing-service/grpc/convert.h"
#include "marketing-service/grpc/handlers.h"

namespace handoff::marketing {

grpc::ServerUnaryReactor* ReportHandler::GetCampaignPerformance(
    grpc::CallbackServerContext* ctx, const v1::GetCampaignPerformanceRequest* req,
    v1::GetCampaignPerformanceResponse* resp) {
  return d_.runner.RunLong(ctx, "MarketingReportService/GetCampaignPerformance", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseCampaignName(req->campaign(), "campaign");
    if (!id.ok()) return id.status();
    const absl::Time from = handoff::FromProto(req->start_time());
    absl::Time to = handoff::FromProto(req->end_time());
    if (to == absl::InfinitePast()) to = absl::InfiniteFuture();
    if (to < from) return absl::InvalidArgumentError("end_time is before start_time");
    if (req->model() < 0 || req->model() > kAttributionModelMax) {
      return absl::InvalidArgumentError("model is not a valid AttributionModel");
    }
    const auto model = req->model() == v1::ATTRIBUTION_MODEL_UNSPECIFIED
                           ? AttributionModel::kFirstTouch
                           : static_cast<AttributionModel>(req->model());
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<CampaignPerformance> p = ComputeCampaignPerformance(tx, *id, from, to, model);
      if (!p.ok()) return p.status();
      resp->set_campaign(CampaignName(*id));
      resp->set_model(static_cast<v1::AttributionModel>(model));
      resp->set_leads(p->counts.leads);
      resp->set_merged_captures(p->counts.merged_captures);
      resp->set_mqls(p->counts.mqls);
      resp->set_accepted(p->counts.accepted);
      resp->set_rejected(p->counts.rejected);
      resp->set_won(p->counts.won);
      handoff::ToProto(p->revenue, resp->mutable_revenue());
      handoff::ToProto(p->spend, resp->mutable_spend());
      handoff::ToProto(p->cost_per_lead, resp->mutable_cost_per_lead());
      handoff::ToProto(p->cost_per_acquisition, resp->mutable_cost_per_acquisition());
      resp->set_roi_basis_points(p->roi_basis_points);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* ReportHandler::GetLifecycleFunnel(
    grpc::CallbackServerContext* ctx, const v1::GetLifecycleFunnelRequest* req,
    v1::GetLifecycleFunnelResponse* resp) {
  return d_.runner.RunLong(ctx, "MarketingReportService/GetLifecycleFunnel", *req, [this, resp] {
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<FunnelReport> read = ReadFunnel(tx);
      if (!read.ok()) return read.status();
      const FunnelReport& funnel = *read;
      for (int stage = 1; stage <= kLifecycleStageMax; ++stage) {
        const FunnelStage& f = funnel.stages[stage];
        v1::StageCount* c = resp->add_stages();
        c->set_stage(static_cast<v1::LifecycleStage>(stage));
        c->set_count(f.now);
        c->set_ever_entered(f.ever_entered);
        if (f.median_time) handoff::ToProto(*f.median_time, c->mutable_median_time_in_stage());
      }
      for (const FunnelConversion& f : funnel.conversions) {
        v1::StageConversion* c = resp->add_conversions();
        c->set_from_stage(static_cast<v1::LifecycleStage>(f.from));
        c->set_to_stage(static_cast<v1::LifecycleStage>(f.to));
        c->set_entered(f.entered);
        c->set_converted(f.converted);
        c->set_rate_basis_points(f.rate_basis_points);
      }
      return absl::OkStatus();
    });
  });
}

}  // namespace handoff::marketing
