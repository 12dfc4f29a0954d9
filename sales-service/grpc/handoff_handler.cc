#include "common/grpc/convert.h"
#include "sales-service/grpc/handlers.h"

namespace handoff::sales {

grpc::ServerUnaryReactor* HandoffHandler::HandoffLead(grpc::CallbackServerContext* ctx,
                                                      const v1::HandoffLeadRequest* req,
                                                      v1::HandoffLeadResponse* resp) {
  return d_.runner.Run(ctx, "HandoffService/HandoffLead", *req, [this, req, resp] {
    HandoffInput in;
    in.lead = req->lead();
    in.contact = handoff::FromProto(req->contact());
    in.consent = handoff::FromProto(req->consent());
    in.marketing.score = req->marketing_context().score();
    in.marketing.touch_count = req->marketing_context().touch_count();
    in.marketing.first_touch_time = handoff::FromProto(req->marketing_context().first_touch_time());
    in.marketing.last_touch_time = handoff::FromProto(req->marketing_context().last_touch_time());
    for (const v1::TouchTally& t : req->marketing_context().touches_by_type()) {
      in.marketing.touches_by_type.emplace_back(t.touch_type(), t.count());
    }
    in.marketing.campaigns.assign(req->marketing_context().campaigns().begin(),
                                  req->marketing_context().campaigns().end());
    in.handoff_time = handoff::FromProto(req->handoff_time());
    absl::Status s = RunMutation(
        d_.store, d_.clock, "HandoffService/HandoffLead", *req, req->request_id(), resp,
        [&](SalesTx& tx) -> absl::Status {
          absl::StatusOr<HandoffResult> r = d_.opportunities.Handoff(tx, in);
          if (!r.ok()) return r.status();
          resp->set_already_open(r->already_open);
          ToProto(r->opportunity, d_.opportunities, resp->mutable_opportunity());
          return absl::OkStatus();
        });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* HandoffHandler::UpdateLeadConsent(grpc::CallbackServerContext* ctx,
                                                            const v1::UpdateLeadConsentRequest* req,
                                                            v1::UpdateLeadConsentResponse* resp) {
  return d_.runner.Run(ctx, "HandoffService/UpdateLeadConsent", *req, [this, req, resp] {
    return RunMutation(d_.store, d_.clock, "HandoffService/UpdateLeadConsent", *req,
                       req->request_id(), resp, [&](SalesTx& tx) -> absl::Status {
                         absl::StatusOr<int> n = d_.opportunities.UpdateConsent(
                             tx, req->lead(), handoff::FromProto(req->consent()));
                         if (!n.ok()) return n.status();
                         resp->set_updated_opportunities(*n);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* HandoffHandler::UpdateLeadContact(grpc::CallbackServerContext* ctx,
                                                            const v1::UpdateLeadContactRequest* req,
                                                            v1::UpdateLeadContactResponse* resp) {
  return d_.runner.Run(ctx, "HandoffService/UpdateLeadContact", *req, [this, req, resp] {
    return RunMutation(d_.store, d_.clock, "HandoffService/UpdateLeadContact", *req,
                       req->request_id(), resp, [&](SalesTx& tx) -> absl::Status {
                         absl::StatusOr<int> n = d_.opportunities.UpdateContact(
                             tx, req->lead(), handoff::FromProto(req->contact()));
                         if (!n.ok()) return n.status();
                         resp->set_updated_opportunities(*n);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* HandoffHandler::EraseLead(grpc::CallbackServerContext* ctx,
                                                    const v1::EraseLeadRequest* req,
                                                    v1::EraseLeadResponse* resp) {
  return d_.runner.Run(ctx, "HandoffService/EraseLead", *req, [this, req, resp] {
    return RunMutation(d_.store, d_.clock, "HandoffService/EraseLead", *req, req->request_id(),
                       resp, [&](SalesTx& tx) -> absl::Status {
                         absl::StatusOr<int> n = d_.opportunities.EraseLead(tx, req->lead());
                         if (!n.ok()) return n.status();
                         resp->set_erased_opportunities(*n);
                         return absl::OkStatus();
                       });
  });
}

}  // namespace handoff::sales
