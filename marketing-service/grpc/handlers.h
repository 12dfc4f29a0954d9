#ifndef HANDOFF_MARKETING_GRPC_HANDLERS_H_
#define HANDOFF_MARKETING_GRPC_HANDLERS_H_

#include "common/clock.h"
#include "common/grpc/unary.h"
#include "common/grpc/service_runtime.h"
#include "common/worker_pool.h"
#include "handoff/marketing/v1/campaign_service.grpc.pb.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/marketing/v1/scoring_service.grpc.pb.h"
#include "marketing-service/domain/campaign_workflow.h"
#include "marketing-service/domain/lead_workflow.h"
#include "marketing-service/domain/ports.h"
#include "common/grpc/parse_check.h"

// gRPC handlers of marketing-service: proto in, domain call, proto out. No rules here.
namespace handoff::marketing {

// What the handlers share, wired in main.cc.
struct HandlerDeps {
  MarketingStore& store;
  const Clock& clock;
  WorkerPool& pool;
  UnaryRunner& runner;
  ServiceRuntime& runtime;  // Committed() after every successful mutation
  const CampaignWorkflow& campaigns;
  const LeadWorkflow& leads;
};

class CampaignHandler final : public ParseCheckedService<v1::CampaignService::CallbackService> {
 public:
  explicit CampaignHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &CampaignHandler::CreateCampaign, &CampaignHandler::GetCampaign, &CampaignHandler::LookupCampaign, &CampaignHandler::UpsertCampaign, &CampaignHandler::ListCampaigns, &CampaignHandler::UpdateCampaign, &CampaignHandler::ArchiveCampaign, &CampaignHandler::RecordSpend, &CampaignHandler::ListSpendEntries);
  }
  grpc::ServerUnaryReactor* CreateCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::CreateCampaignRequest* req,
                                           v1::CreateCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* GetCampaign(grpc::CallbackServerContext* ctx,
                                        const v1::GetCampaignRequest* req,
                                        v1::GetCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* LookupCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::LookupCampaignRequest* req,
                                           v1::LookupCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* UpsertCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::UpsertCampaignRequest* req,
                                           v1::UpsertCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* ListCampaigns(grpc::CallbackServerContext* ctx,
                                          const v1::ListCampaignsRequest* req,
                                          v1::ListCampaignsResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateCampaign(grpc::CallbackServerContext* ctx,
                                           const v1::UpdateCampaignRequest* req,
                                           v1::UpdateCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* ArchiveCampaign(grpc::CallbackServerContext* ctx,
                                            const v1::ArchiveCampaignRequest* req,
                                            v1::ArchiveCampaignResponse* resp) override;
  grpc::ServerUnaryReactor* RecordSpend(grpc::CallbackServerContext* ctx,
                                        const v1::RecordSpendRequest* req,
                                        v1::RecordSpendResponse* resp) override;
  grpc::ServerUnaryReactor* ListSpendEntries(grpc::CallbackServerContext* ctx,
                                             const v1::ListSpendEntriesRequest* req,
                                             v1::ListSpendEntriesResponse* resp) override;

 private:
  HandlerDeps d_;
};

class LeadHandler final : public ParseCheckedService<v1::LeadService::CallbackService> {
 public:
  explicit LeadHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &LeadHandler::CaptureLead, &LeadHandler::GetLead, &LeadHandler::ListLeads, &LeadHandler::RecordTouch, &LeadHandler::BatchRecordTouches, &LeadHandler::ListTouches, &LeadHandler::QualifyLead, &LeadHandler::DisqualifyLead, &LeadHandler::UpdateConsent, &LeadHandler::ListConsentChanges, &LeadHandler::UpdateLead, &LeadHandler::UpsertLead, &LeadHandler::LookupLead, &LeadHandler::MergeLeads, &LeadHandler::ReportOutcome, &LeadHandler::EraseContact, &LeadHandler::WatchLeadEvents);
    ServeImportLeadsRaw();
  }
  grpc::ServerUnaryReactor* CaptureLead(grpc::CallbackServerContext* ctx,
                                        const v1::CaptureLeadRequest* req,
                                        v1::CaptureLeadResponse* resp) override;
  grpc::ServerUnaryReactor* GetLead(grpc::CallbackServerContext* ctx,
                                    const v1::GetLeadRequest* req,
                                    v1::GetLeadResponse* resp) override;
  grpc::ServerUnaryReactor* ListLeads(grpc::CallbackServerContext* ctx,
                                      const v1::ListLeadsRequest* req,
                                      v1::ListLeadsResponse* resp) override;
  grpc::ServerUnaryReactor* RecordTouch(grpc::CallbackServerContext* ctx,
                                        const v1::RecordTouchRequest* req,
                                        v1::RecordTouchResponse* resp) override;
  grpc::ServerUnaryReactor* BatchRecordTouches(grpc::CallbackServerContext* ctx,
                                               const v1::BatchRecordTouchesRequest* req,
                                               v1::BatchRecordTouchesResponse* resp) override;
  grpc::ServerUnaryReactor* ListTouches(grpc::CallbackServerContext* ctx,
                                        const v1::ListTouchesRequest* req,
                                        v1::ListTouchesResponse* resp) override;
  grpc::ServerUnaryReactor* QualifyLead(grpc::CallbackServerContext* ctx,
                                        const v1::QualifyLeadRequest* req,
                                        v1::QualifyLeadResponse* resp) override;
  grpc::ServerUnaryReactor* DisqualifyLead(grpc::CallbackServerContext* ctx,
                                           const v1::DisqualifyLeadRequest* req,
                                           v1::DisqualifyLeadResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateConsent(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateConsentRequest* req,
                                          v1::UpdateConsentResponse* resp) override;
  grpc::ServerUnaryReactor* ListConsentChanges(grpc::CallbackServerContext* ctx,
                                               const v1::ListConsentChangesRequest* req,
                                               v1::ListConsentChangesResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateLead(grpc::CallbackServerContext* ctx,
                                       const v1::UpdateLeadRequest* req,
                                       v1::UpdateLeadResponse* resp) override;
  grpc::ServerUnaryReactor* ReportOutcome(grpc::CallbackServerContext* ctx,
                                          const v1::ReportOutcomeRequest* req,
                                          v1::ReportOutcomeResponse* resp) override;
  grpc::ServerUnaryReactor* UpsertLead(grpc::CallbackServerContext* ctx,
                                       const v1::UpsertLeadRequest* req,
                                       v1::UpsertLeadResponse* resp) override;
  grpc::ServerUnaryReactor* LookupLead(grpc::CallbackServerContext* ctx,
                                       const v1::LookupLeadRequest* req,
                                       v1::LookupLeadResponse* resp) override;
  grpc::ServerUnaryReactor* MergeLeads(grpc::CallbackServerContext* ctx,
                                       const v1::MergeLeadsRequest* req,
                                       v1::MergeLeadsResponse* resp) override;
  grpc::ServerUnaryReactor* EraseContact(grpc::CallbackServerContext* ctx,
                                         const v1::EraseContactRequest* req,
                                         v1::EraseContactResponse* resp) override;
  grpc::ServerWriteReactor<v1::WatchLeadEventsResponse>* WatchLeadEvents(
      grpc::CallbackServerContext* ctx, const v1::WatchLeadEventsRequest* req) override;

  // Handles one capture (CaptureLead or an ImportLeads row) in its own transaction.
  // Public for the import reactor.
  // An empty request_id is refused unless `request_id_optional` (import rows).
  absl::Status Capture(const v1::CaptureLeadRequest& req, v1::CaptureLeadResponse* resp,
                       bool request_id_optional);
  WorkerPool& pool() { return d_.pool; }

 private:
  // Handles one touch (RecordTouch or a BatchRecordTouches item) in its own transaction,
  // audited as `method`.
  absl::Status RecordOneTouch(const v1::RecordTouchRequest& req, v1::RecordTouchResponse* resp, const char* method);

 public:

 private:
  // ImportLeads is served on raw bytes, each row parsed by the reactor (lead_handler.cc).
  void ServeImportLeadsRaw();

  HandlerDeps d_;
};

class ScoringHandler final : public ParseCheckedService<v1::ScoringService::CallbackService> {
 public:
  explicit ScoringHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &ScoringHandler::GetScoringPolicy, &ScoringHandler::UpdateScoringPolicy);
  }
  grpc::ServerUnaryReactor* GetScoringPolicy(grpc::CallbackServerContext* ctx,
                                             const v1::GetScoringPolicyRequest* req,
                                             v1::GetScoringPolicyResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateScoringPolicy(grpc::CallbackServerContext* ctx,
                                                const v1::UpdateScoringPolicyRequest* req,
                                                v1::UpdateScoringPolicyResponse* resp) override;

 private:
  HandlerDeps d_;
};

class ReportHandler final : public ParseCheckedService<v1::MarketingReportService::CallbackService> {
 public:
  explicit ReportHandler(HandlerDeps deps) : d_(deps) {
    CheckParsing(this, &ReportHandler::GetCampaignPerformance, &ReportHandler::GetLifecycleFunnel);
  }
  grpc::ServerUnaryReactor* GetCampaignPerformance(
      grpc::CallbackServerContext* ctx, const v1::GetCampaignPerformanceRequest* req,
      v1::GetCampaignPerformanceResponse* resp) override;
  grpc::ServerUnaryReactor* GetLifecycleFunnel(grpc::CallbackServerContext* ctx,
                                               const v1::GetLifecycleFunnelRequest* req,
                                               v1::GetLifecycleFunnelResponse* resp) override;

 private:
  HandlerDeps d_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_GRPC_HANDLERS_H_
