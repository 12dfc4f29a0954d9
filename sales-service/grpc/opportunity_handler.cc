#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc/convert.h"
#include "common/grpc/field_mask.h"
#include "common/grpc/list_sync.h"
#include "common/ids.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "sales-service/grpc/handlers.h"

namespace handoff::sales {
namespace {
std::optional<Money> OptionalMoney(bool has, const common::v1::Money& m) {
  if (!has) return std::nullopt;
  return handoff::FromProto(m);
}
}  // namespace

grpc::ServerUnaryReactor* OpportunityHandler::GetOpportunity(grpc::CallbackServerContext* ctx,
                                                             const v1::GetOpportunityRequest* req,
                                                             v1::GetOpportunityResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/GetOpportunity", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseNameField(req->name(), "opportunities", "name");
    if (!id.ok()) return id.status();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<Opportunity> o = tx.GetOpportunity(*id);
      if (!o.ok()) return o.status();
      ToProto(*o, d_.opportunities, resp->mutable_opportunity());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* OpportunityHandler::ListOpportunities(
    grpc::CallbackServerContext* ctx, const v1::ListOpportunitiesRequest* req,
    v1::ListOpportunitiesResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/ListOpportunities", *req, [this, req, resp] {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<ListPosition> at =
        ReadListPosition(*req, req->order_by(), req->has_min_update_time() ? &req->min_update_time() : nullptr);
    if (!at.ok()) return at.status();
    OpportunityFilter filter;
    filter.sync = at->sync;
    absl::StatusOr<std::string> rep = ParseOptionalRep(req->rep());
    if (!rep.ok()) return rep.status();
    filter.rep_id = *rep;
    if (req->stage() < 0 || req->stage() > kStageMax) {
      return absl::InvalidArgumentError("stage is not a valid Stage");
    }
    filter.stage = static_cast<Stage>(req->stage());
    if (!req->lead().empty()) {
      if (absl::Status s = ParseNameField(req->lead(), "leads", "lead").status(); !s.ok()) return s;
    }
    filter.lead = req->lead();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<Page<Opportunity>> page = tx.ListOpportunities(filter, at->after_seq, *size);
      if (!page.ok()) return page.status();
      for (const Opportunity& o : page->items) ToProto(o, d_.opportunities, resp->add_opportunities());
      if (page->next_cursor) {
        const Opportunity& last = page->items.back();
        resp->set_next_page_token(NextListPageToken(*req, filter.sync, last.seq, last.update_time));
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* OpportunityHandler::AcceptOpportunity(
    grpc::CallbackServerContext* ctx, const v1::AcceptOpportunityRequest* req,
    v1::AcceptOpportunityResponse* resp) {
  return Mutate(ctx, "OpportunityService/AcceptOpportunity", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.Accept(tx, id, req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::RejectOpportunity(
    grpc::CallbackServerContext* ctx, const v1::RejectOpportunityRequest* req,
    v1::RejectOpportunityResponse* resp) {
  return Mutate(ctx, "OpportunityService/RejectOpportunity", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.Reject(tx, id, static_cast<RejectReason>(req->reason()),
                                                 req->reason_text(), req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::AssignOpportunity(
    grpc::CallbackServerContext* ctx, const v1::AssignOpportunityRequest* req,
    v1::AssignOpportunityResponse* resp) {
  return Mutate(ctx, "OpportunityService/AssignOpportunity", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) -> absl::StatusOr<Opportunity> {
                  absl::StatusOr<std::string> rep = ParseNameField(req->rep(), "reps", "rep");
                  if (!rep.ok()) return rep.status();
                  return d_.opportunities.Assign(tx, id, *rep, req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::LogActivity(grpc::CallbackServerContext* ctx,
                                                          const v1::LogActivityRequest* req,
                                                          v1::LogActivityResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/LogActivity", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseNameField(req->opportunity(), "opportunities", "opportunity");
    if (!id.ok()) return id.status();
    absl::Status s = RunMutation(d_.store, d_.clock, "OpportunityService/LogActivity", *req,
                                 req->request_id(), resp, [&](SalesTx& tx) -> absl::Status {
                                   const CallIdentity& who = CurrentCallIdentity();
                                   if (absl::Status s = d_.opportunities.CheckActor(tx, *id, who.actor); !s.ok()) {
                                     return s;
                                   }
                                   Activity activity = FromProto(req->activity());
                                   activity.performed_by = who.actor.empty() ? who.principal : who.actor;
                                   absl::StatusOr<Activity> a = d_.opportunities.LogActivity(
                                       tx, *id, std::move(activity), req->etag());
                                   if (!a.ok()) return a.status();
                                   ToProto(*a, resp->mutable_activity());
                                   return absl::OkStatus();
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

namespace {

// "opportunities/{opportunity_id}/activities/{activity_id}" -> the two ids.
absl::StatusOr<std::pair<std::string, std::string>> ParseActivityName(const std::string& name,
                                                                      const std::string& field) {
  const std::vector<std::string> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "opportunities" || parts[1].empty() || parts[2] != "activities" ||
      parts[3].empty() || name.size() > 300) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be of the form opportunities/{opportunity_id}/activities/{activity_id}"));
  }
  return std::pair{parts[1], parts[3]};
}

}  // namespace

grpc::ServerUnaryReactor* OpportunityHandler::GetActivity(grpc::CallbackServerContext* ctx,
                                                          const v1::GetActivityRequest* req,
                                                          v1::GetActivityResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/GetActivity", *req, [this, req, resp] {
    absl::StatusOr<std::pair<std::string, std::string>> ids = ParseActivityName(req->name(), "name");
    if (!ids.ok()) return ids.status();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<Activity> a = d_.opportunities.GetActivity(tx, ids->first, ids->second);
      if (!a.ok()) return a.status();
      ToProto(*a, resp->mutable_activity());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* OpportunityHandler::UpdateActivity(grpc::CallbackServerContext* ctx,
                                                             const v1::UpdateActivityRequest* req,
                                                             v1::UpdateActivityResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/UpdateActivity", *req, [this, req, resp] {
    absl::StatusOr<std::pair<std::string, std::string>> ids = ParseActivityName(req->activity().name(), "activity.name");
    if (!ids.ok()) return ids.status();
    const v1::Activity& p = req->activity();
    absl::StatusOr<std::vector<std::string>> paths = UpdatePaths(
        p, req->update_mask(), {"summary", "next_step", "next_step_due_time", "meeting_status", "call_outcome"});
    if (!paths.ok()) return paths.status();
    ActivityPatch patch;
    patch.etag = p.etag();
    for (const std::string& path : *paths) {
      if (path == "summary") {
        patch.summary = p.summary();
      } else if (path == "next_step") {
        patch.next_step = p.next_step();
      } else if (path == "next_step_due_time") {
        patch.next_step_due = handoff::FromProto(p.next_step_due_time());
      } else if (path == "meeting_status") {
        patch.meeting_status = static_cast<MeetingStatus>(p.meeting_status());
      } else if (path == "call_outcome") {
        patch.call_outcome = static_cast<CallOutcome>(p.call_outcome());
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: ", Quote(path),
            " cannot be changed; allowed: summary, next_step, next_step_due_time, meeting_status, call_outcome"));
      }
    }
    absl::Status s = RunMutation(d_.store, d_.clock, "OpportunityService/UpdateActivity", *req, req->request_id(),
                                 resp, [&](SalesTx& tx) -> absl::Status {
                                   const CallIdentity& who = CurrentCallIdentity();
                                   if (absl::Status s = d_.opportunities.CheckActor(tx, ids->first, who.actor);
                                       !s.ok()) {
                                     return s;
                                   }
                                   absl::StatusOr<Activity> a = d_.opportunities.UpdateActivity(
                                       tx, ids->first, ids->second, patch, req->etag());
                                   if (!a.ok()) return a.status();
                                   ToProto(*a, resp->mutable_activity());
                                   return absl::OkStatus();
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* OpportunityHandler::ListActivities(grpc::CallbackServerContext* ctx,
                                                             const v1::ListActivitiesRequest* req,
                                                             v1::ListActivitiesResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/ListActivities", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseNameField(req->opportunity(), "opportunities", "opportunity");
    if (!id.ok()) return id.status();
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<int64_t> after = DecodePageToken(*req);
    if (!after.ok()) return after.status();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      if (absl::StatusOr<Opportunity> o = tx.GetOpportunity(*id); !o.ok()) return o.status();
      absl::StatusOr<Page<Activity>> page = tx.ListActivities(*id, *after, *size);
      if (!page.ok()) return page.status();
      for (const Activity& a : page->items) ToProto(a, resp->add_activities());
      if (page->next_cursor) resp->set_next_page_token(EncodePageToken(*req, *page->next_cursor));
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* OpportunityHandler::AdvanceStage(grpc::CallbackServerContext* ctx,
                                                           const v1::AdvanceStageRequest* req,
                                                           v1::AdvanceStageResponse* resp) {
  return Mutate(ctx, "OpportunityService/AdvanceStage", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.Advance(tx, id, static_cast<Stage>(req->stage()),
                                                  OptionalMoney(req->has_amount(), req->amount()),
                                                  req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::CloseWon(grpc::CallbackServerContext* ctx,
                                                       const v1::CloseWonRequest* req,
                                                       v1::CloseWonResponse* resp) {
  return Mutate(ctx, "OpportunityService/CloseWon", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.CloseWon(tx, id, handoff::FromProto(req->amount()),
                                                   handoff::FromProto(req->close_time()), req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::CloseLost(grpc::CallbackServerContext* ctx,
                                                        const v1::CloseLostRequest* req,
                                                        v1::CloseLostResponse* resp) {
  return Mutate(ctx, "OpportunityService/CloseLost", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.CloseLost(tx, id, static_cast<LossReason>(req->reason()),
                                                    req->reason_text(), req->competitor(),
                                                    handoff::FromProto(req->close_time()), req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::CreateUpsell(grpc::CallbackServerContext* ctx,
                                                           const v1::CreateUpsellRequest* req,
                                                           v1::CreateUpsellResponse* resp) {
  return Mutate(ctx, "OpportunityService/CreateUpsell", req->opportunity(), "opportunity", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.CreateUpsell(
                      tx, id, OptionalMoney(req->has_amount(), req->amount()));
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::ReopenOpportunity(
    grpc::CallbackServerContext* ctx, const v1::ReopenOpportunityRequest* req,
    v1::ReopenOpportunityResponse* resp) {
  return Mutate(ctx, "OpportunityService/ReopenOpportunity", req->name(), "name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) {
                  return d_.opportunities.Reopen(tx, id, static_cast<Stage>(req->stage()),
                                                 req->reason_text(), req->etag());
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::UpdateOpportunity(
    grpc::CallbackServerContext* ctx, const v1::UpdateOpportunityRequest* req,
    v1::UpdateOpportunityResponse* resp) {
  return Mutate(ctx, "OpportunityService/UpdateOpportunity", req->opportunity().name(),
                "opportunity.name", req, resp,
                [this, req](SalesTx& tx, const std::string& id) -> absl::StatusOr<Opportunity> {
                  const v1::Opportunity& o = req->opportunity();
                  absl::StatusOr<std::vector<std::string>> paths =
                      UpdatePaths(o, req->update_mask(), {"amount", "expected_close_time", "committed"});
                  if (!paths.ok()) return paths.status();
                  // One etag style: the resource's, as UpdateCampaign and UpdateRep take it;
                  // the request's own etag field (the first version's) still works.
                  if (!o.etag().empty() && !req->etag().empty() && o.etag() != req->etag()) {
                    return absl::InvalidArgumentError(
                        "etag: opportunity.etag and etag differ; send one of them (opportunity.etag)");
                  }
                  const std::string& etag = o.etag().empty() ? req->etag() : o.etag();
                  ForecastPatch patch;
                  for (const std::string& path : *paths) {
                    if (path == "amount") {
                      patch.amount = OptionalMoney(o.has_amount(), o.amount());
                    } else if (path == "expected_close_time") {
                      patch.expected_close = handoff::FromProto(o.expected_close_time());
                    } else if (path == "committed") {
                      patch.committed = o.committed();
                    } else {
                      return absl::InvalidArgumentError(absl::StrCat(
                          "update_mask: ", Quote(path),
                          " cannot be changed here; allowed: amount, expected_close_time, committed"));
                    }
                  }
                  return d_.opportunities.Update(tx, id, patch, etag);
                });
}

grpc::ServerUnaryReactor* OpportunityHandler::ListTimeline(grpc::CallbackServerContext* ctx,
                                                           const v1::ListTimelineRequest* req,
                                                           v1::ListTimelineResponse* resp) {
  return d_.runner.Run(ctx, "OpportunityService/ListTimeline", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseNameField(req->name(), "opportunities", "name");
    if (!id.ok()) return id.status();
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> token = DecodePairPageToken(*req);
    if (!token.ok()) return token.status();
    TimelineCursor after;
    if (token->has_value()) after = {absl::FromUnixMicros((*token)->first), (*token)->second};
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      if (absl::StatusOr<Opportunity> o = tx.GetOpportunity(*id); !o.ok()) return o.status();
      absl::StatusOr<TimelinePage> page = tx.ListTimeline(*id, after, *size);
      if (!page.ok()) return page.status();
      for (const TimelineEntry& e : page->entries) ToProto(e, resp->add_entries());
      if (page->next) {
        resp->set_next_page_token(EncodePageToken(*req, absl::ToUnixMicros(page->next->time), page->next->seq));
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerWriteReactor<v1::WatchDealEventsResponse>* OpportunityHandler::WatchDealEvents(
    grpc::CallbackServerContext* ctx, const v1::WatchDealEventsRequest* req) {
  return StartWatch<v1::WatchDealEventsResponse>(
      ctx, WatchRequest{req->after_sequence(), req->from_now(), {req->event_types().begin(), req->event_types().end()}},
      d_.runtime.pool(), d_.runtime.events(), d_.runtime.limits(),
      [this](int64_t after, int limit) { return d_.store.ReadEvents(after, limit); },
      [this] { return d_.store.LatestEventSequence(); }, [](int type) { return v1::DealEventType_IsValid(type); });
}

}  // namespace handoff::sales
