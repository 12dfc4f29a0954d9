#ifndef HANDOFF_SALES_GRPC_HANDLERS_H_
#define HANDOFF_SALES_GRPC_HANDLERS_H_

#include "absl/time/time.h"
#include "common/call_identity.h"
#include "common/clock.h"
#include "common/grpc/unary.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/grpc/event_stream.h"
#include "common/grpc/service_runtime.h"
#include "handoff/sales/v1/handoff_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "handoff/sales/v1/rep_service.grpc.pb.h"
#include "sales-service/domain/opportunity_workflow.h"
#include "sales-service/grpc/convert.h"
#include "sales-service/domain/ports.h"
#include "common/grpc/parse_check.h"

// gRPC handlers of sales-service: proto in, domain call, proto out. No rules here.
namespace handoff::sales {

struct HandlerDeps {
  SalesStore& store;
  const Clock& clock;
  UnaryRunner& runner;
  ServiceRuntime& runtime;  // Committed() after every successful mutation
  const OpportunityWorkflow& opportunities;
};

class HandoffHandler final : public ParseCheckedService<v1::HandoffService::CallbackService> {
 public:
  explicit HandoffHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &HandoffHandler::HandoffLead, &HandoffHandler::UpdateLeadConsent, &HandoffHandler::UpdateLeadContact,
                 &HandoffHandler::EraseLead);
  }
  grpc::ServerUnaryReactor* HandoffLead(grpc::CallbackServerContext* ctx,
                                        const v1::HandoffLeadRequest* req,
                                        v1::HandoffLeadResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateLeadConsent(grpc::CallbackServerContext* ctx,
                                              const v1::UpdateLeadConsentRequest* req,
                                              v1::UpdateLeadConsentResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateLeadContact(grpc::CallbackServerContext* ctx,
                                              const v1::UpdateLeadContactRequest* req,
                                              v1::UpdateLeadContactResponse* resp) override;
  grpc::ServerUnaryReactor* EraseLead(grpc::CallbackServerContext* ctx,
                                      const v1::EraseLeadRequest* req,
                                      v1::EraseLeadResponse* resp) override;

 private:
  HandlerDeps d_;
};

class RepHandler final : public ParseCheckedService<v1::RepService::CallbackService> {
 public:
  explicit RepHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &RepHandler::CreateRep, &RepHandler::GetRep, &RepHandler::ListReps, &RepHandler::UpdateRep);
  }
  grpc::ServerUnaryReactor* CreateRep(grpc::CallbackServerContext* ctx,
                                      const v1::CreateRepRequest* req,
                                      v1::CreateRepResponse* resp) override;
  grpc::ServerUnaryReactor* GetRep(grpc::CallbackServerContext* ctx, const v1::GetRepRequest* req,
                                   v1::GetRepResponse* resp) override;
  grpc::ServerUnaryReactor* ListReps(grpc::CallbackServerContext* ctx,
                                     const v1::ListRepsRequest* req,
                                     v1::ListRepsResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateRep(grpc::CallbackServerContext* ctx,
                                      const v1::UpdateRepRequest* req,
                                      v1::UpdateRepResponse* resp) override;

 private:
  HandlerDeps d_;
};

class OpportunityHandler final : public ParseCheckedService<v1::OpportunityService::CallbackService> {
 public:
  explicit OpportunityHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &OpportunityHandler::GetOpportunity, &OpportunityHandler::ListOpportunities, &OpportunityHandler::AcceptOpportunity, &OpportunityHandler::RejectOpportunity, &OpportunityHandler::AssignOpportunity, &OpportunityHandler::LogActivity, &OpportunityHandler::ListActivities, &OpportunityHandler::GetActivity, &OpportunityHandler::UpdateActivity, &OpportunityHandler::AdvanceStage, &OpportunityHandler::CloseWon, &OpportunityHandler::CloseLost, &OpportunityHandler::CreateUpsell, &OpportunityHandler::ReopenOpportunity, &OpportunityHandler::UpdateOpportunity, &OpportunityHandler::ListTimeline, &OpportunityHandler::WatchDealEvents);
  }
  grpc::ServerUnaryReactor* GetOpportunity(grpc::CallbackServerContext* ctx,
                                           const v1::GetOpportunityRequest* req,
                                           v1::GetOpportunityResponse* resp) override;
  grpc::ServerUnaryReactor* ListOpportunities(grpc::CallbackServerContext* ctx,
                                              const v1::ListOpportunitiesRequest* req,
                                              v1::ListOpportunitiesResponse* resp) override;
  grpc::ServerUnaryReactor* AcceptOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::AcceptOpportunityRequest* req,
                                              v1::AcceptOpportunityResponse* resp) override;
  grpc::ServerUnaryReactor* RejectOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::RejectOpportunityRequest* req,
                                              v1::RejectOpportunityResponse* resp) override;
  grpc::ServerUnaryReactor* AssignOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::AssignOpportunityRequest* req,
                                              v1::AssignOpportunityResponse* resp) override;
  grpc::ServerUnaryReactor* LogActivity(grpc::CallbackServerContext* ctx,
                                        const v1::LogActivityRequest* req,
                                        v1::LogActivityResponse* resp) override;
  grpc::ServerUnaryReactor* ListActivities(grpc::CallbackServerContext* ctx,
                                           const v1::ListActivitiesRequest* req,
                                           v1::ListActivitiesResponse* resp) override;
  grpc::ServerUnaryReactor* GetActivity(grpc::CallbackServerContext* ctx, const v1::GetActivityRequest* req,
                                        v1::GetActivityResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateActivity(grpc::CallbackServerContext* ctx, const v1::UpdateActivityRequest* req,
                                           v1::UpdateActivityResponse* resp) override;
  grpc::ServerUnaryReactor* AdvanceStage(grpc::CallbackServerContext* ctx,
                                         const v1::AdvanceStageRequest* req,
                                         v1::AdvanceStageResponse* resp) override;
  grpc::ServerUnaryReactor* CloseWon(grpc::CallbackServerContext* ctx,
                                     const v1::CloseWonRequest* req,
                                     v1::CloseWonResponse* resp) override;
  grpc::ServerUnaryReactor* CloseLost(grpc::CallbackServerContext* ctx,
                                      const v1::CloseLostRequest* req,
                                      v1::CloseLostResponse* resp) override;
  grpc::ServerUnaryReactor* CreateUpsell(grpc::CallbackServerContext* ctx,
                                         const v1::CreateUpsellRequest* req,
                                         v1::CreateUpsellResponse* resp) override;
  grpc::ServerUnaryReactor* ReopenOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::ReopenOpportunityRequest* req,
                                              v1::ReopenOpportunityResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateOpportunity(grpc::CallbackServerContext* ctx,
                                              const v1::UpdateOpportunityRequest* req,
                                              v1::UpdateOpportunityResponse* resp) override;
  grpc::ServerUnaryReactor* ListTimeline(grpc::CallbackServerContext* ctx,
                                         const v1::ListTimelineRequest* req,
                                         v1::ListTimelineResponse* resp) override;
  grpc::ServerWriteReactor<v1::WatchDealEventsResponse>* WatchDealEvents(
      grpc::CallbackServerContext* ctx, const v1::WatchDealEventsRequest* req) override;

 private:
  // A mutation of one opportunity named by `name` (field `field`): parses the name,
  // runs `change(tx, id)` -> StatusOr<Opportunity> once per request_id, puts the result
  // in resp->opportunity, and wakes the outbox.
  template <typename Req, typename Resp, typename Change>
  grpc::ServerUnaryReactor* Mutate(grpc::CallbackServerContext* ctx, const char* method,
                                   const std::string& name, const char* field, const Req* req,
                                   Resp* resp, Change change) {
    return d_.runner.Run(ctx, method, *req, [this, method, name, field, req, resp, change] {
      absl::StatusOr<std::string> id = ParseNameField(name, "opportunities", field);
      if (!id.ok()) return id.status();
      absl::Status s = RunMutation(d_.store, d_.clock, method, *req, req->request_id(), resp,
                                   [&](SalesTx& tx) -> absl::Status {
                                     if (absl::Status s = d_.opportunities.CheckActor(
                                             tx, *id, CurrentCallIdentity().actor);
                                         !s.ok()) {
                                       return s;
                                     }
                                     absl::StatusOr<Opportunity> o = change(tx, *id);
                                     if (!o.ok()) return o.status();
                                     ToProto(*o, d_.opportunities, resp->mutable_opportunity());
                                     return absl::OkStatus();
                                   });
      if (s.ok()) d_.runtime.Committed();
      return s;
    });
  }

  HandlerDeps d_;
};

class PipelineReportHandler final : public ParseCheckedService<v1::PipelineReportService::CallbackService> {
 public:
  explicit PipelineReportHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &PipelineReportHandler::GetPipelineReport, &PipelineReportHandler::GetForecast, &PipelineReportHandler::ListSlaBreaches);
  }
  grpc::ServerUnaryReactor* GetPipelineReport(grpc::CallbackServerContext* ctx,
                                              const v1::GetPipelineReportRequest* req,
                                              v1::GetPipelineReportResponse* resp) override;
  grpc::ServerUnaryReactor* GetForecast(grpc::CallbackServerContext* ctx,
                                        const v1::GetForecastRequest* req,
                                        v1::GetForecastResponse* resp) override;
  grpc::ServerUnaryReactor* ListSlaBreaches(grpc::CallbackServerContext* ctx,
                                            const v1::ListSlaBreachesRequest* req,
                                            v1::ListSlaBreachesResponse* resp) override;

 private:
  // Validates the currency and rep of `req`; in one transaction reads the rows with
  // read(tx, rep_id, currency) and puts build(rows, listed reps, rules) into `resp`.
  template <typename Req, typename Resp, typename Read, typename Build>
  absl::Status FillReport(const Req& req, Resp* resp, Read read, Build build);

  HandlerDeps d_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_GRPC_HANDLERS_H_
