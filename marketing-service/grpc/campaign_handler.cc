#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/grpc/field_mask.h"
#include "common/grpc/list_sync.h"
#include "common/idempotency.h"
#include "common/page_token.h"
#include "marketing-service/grpc/convert.h"
#include "marketing-service/grpc/handlers.h"
#include "common/validation.h"

namespace handoff::marketing {
namespace {

// The id of an optional "campaigns/{id}" field; "" when empty.
absl::StatusOr<std::string> OptionalCampaign(const std::string& name, const std::string& field) {
  if (name.empty()) return std::string();
  return ParseCampaignName(name, field);
}

absl::StatusOr<Campaign> FromProto(const v1::Campaign& p) {
  Campaign c;
  absl::StatusOr<std::string> parent = OptionalCampaign(p.parent(), "campaign.parent");
  if (!parent.ok()) return parent.status();
  c.parent_id = *parent;
  c.utm = marketing::FromProto(p.utm());
  c.display_name = p.display_name();
  c.channel = static_cast<Channel>(p.channel());
  c.state = static_cast<CampaignState>(p.state());
  c.budget = handoff::FromProto(p.budget());
  c.start_time = handoff::FromProto(p.start_time());
  c.end_time = handoff::FromProto(p.end_time());
  c.external_id = p.external_id();
  return c;
}

// The change an UpdateCampaign (or UpsertCampaign) request asks for.
absl::StatusOr<CampaignPatch> PatchFromProto(const v1::Campaign& p, const google::protobuf::FieldMask& mask) {
  absl::StatusOr<std::vector<std::string>> paths = UpdatePaths(
      p, mask, {"display_name", "state", "budget", "start_time", "end_time", "parent", "utm", "external_id"});
  if (!paths.ok()) return paths.status();
  CampaignPatch patch;
  for (const std::string& path : *paths) {
    if (path == "display_name") {
      patch.display_name = p.display_name();
    } else if (path == "state") {
      patch.state = static_cast<CampaignState>(p.state());
    } else if (path == "budget") {
      patch.budget = handoff::FromProto(p.budget());
    } else if (path == "start_time") {
      patch.start_time = handoff::FromProto(p.start_time());
    } else if (path == "end_time") {
      patch.end_time = handoff::FromProto(p.end_time());
    } else if (path == "parent") {
      absl::StatusOr<std::string> parent = OptionalCampaign(p.parent(), "campaign.parent");
      if (!parent.ok()) return parent.status();
      patch.parent = *parent;
    } else if (path == "utm") {
      patch.utm = marketing::FromProto(p.utm());
    } else if (path == "external_id") {
      patch.external_id = p.external_id();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_mask: ", Quote(path), " cannot be updated; allowed: display_name, state, budget, "
          "start_time, end_time, parent, utm, external_id"));
    }
  }
  if (!p.etag().empty()) patch.etag = p.etag();
  return patch;
}

}  // namespace

grpc::ServerUnaryReactor* CampaignHandler::CreateCampaign(grpc::CallbackServerContext* ctx,
                                                          const v1::CreateCampaignRequest* req,
                                                          v1::CreateCampaignResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/CreateCampaign", *req, [this, req, resp] {
    absl::StatusOr<Campaign> input = FromProto(req->campaign());
    if (!input.ok()) return input.status();
    return RunMutation(d_.store, d_.clock, "CampaignService/CreateCampaign", *req,
                       req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                         absl::StatusOr<Campaign> c = d_.campaigns.Create(tx, *input);
                         if (!c.ok()) return c.status();
                         ToProto(*c, resp->mutable_campaign());
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::GetCampaign(grpc::CallbackServerContext* ctx,
                                                       const v1::GetCampaignRequest* req,
                                                       v1::GetCampaignResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/GetCampaign", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseCampaignName(req->name(), "name");
    if (!id.ok()) return id.status();
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Campaign> c = tx.GetCampaign(*id);
      if (!c.ok()) return c.status();
      ToProto(*c, resp->mutable_campaign());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::LookupCampaign(grpc::CallbackServerContext* ctx,
                                                          const v1::LookupCampaignRequest* req,
                                                          v1::LookupCampaignResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/LookupCampaign", *req, [this, req, resp] {
    if (req->external_id().empty()) return absl::InvalidArgumentError("external_id is required");
    if (absl::Status s = ValidateExternalId(req->external_id(), "external_id"); !s.ok()) return s;
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<std::optional<Campaign>> c = tx.FindCampaignByExternalId(req->external_id());
      if (!c.ok()) return c.status();
      if (!c->has_value()) {
        return absl::NotFoundError(absl::StrCat("no campaign has external_id ", Quote(req->external_id())));
      }
      ToProto(**c, resp->mutable_campaign());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::UpsertCampaign(grpc::CallbackServerContext* ctx,
                                                          const v1::UpsertCampaignRequest* req,
                                                          v1::UpsertCampaignResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/UpsertCampaign", *req, [this, req, resp] {
    absl::StatusOr<Campaign> input = FromProto(req->campaign());
    if (!input.ok()) return input.status();
    absl::StatusOr<CampaignPatch> patch = PatchFromProto(req->campaign(), req->update_mask());
    if (!patch.ok()) return patch.status();
    return RunMutation(d_.store, d_.clock, "CampaignService/UpsertCampaign", *req, req->request_id(), resp,
                       [&](MarketingTx& tx) -> absl::Status {
                         absl::StatusOr<UpsertResult> r = d_.campaigns.Upsert(tx, *input, *patch);
                         if (!r.ok()) return r.status();
                         ToProto(r->campaign, resp->mutable_campaign());
                         resp->set_created(r->created);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::ListCampaigns(grpc::CallbackServerContext* ctx,
                                                         const v1::ListCampaignsRequest* req,
                                                         v1::ListCampaignsResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/ListCampaigns", *req, [this, req, resp] {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<ListPosition> at =
        ReadListPosition(*req, req->order_by(), req->has_min_update_time() ? &req->min_update_time() : nullptr);
    if (!at.ok()) return at.status();
    if (req->state() < 0 || req->state() > kCampaignStateMax) {
      return absl::InvalidArgumentError("state is not a valid CampaignState");
    }
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Page<Campaign>> page =
          tx.ListCampaigns(static_cast<CampaignState>(req->state()), at->sync, at->after_seq, *size);
      if (!page.ok()) return page.status();
      for (const Campaign& c : page->items) ToProto(c, resp->add_campaigns());
      if (page->next_cursor) {
        const Campaign& last = page->items.back();
        resp->set_next_page_token(NextListPageToken(*req, at->sync, last.seq, last.update_time));
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::UpdateCampaign(grpc::CallbackServerContext* ctx,
                                                          const v1::UpdateCampaignRequest* req,
                                                          v1::UpdateCampaignResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/UpdateCampaign", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseCampaignName(req->campaign().name(), "campaign.name");
    if (!id.ok()) return id.status();
    absl::StatusOr<CampaignPatch> patch = PatchFromProto(req->campaign(), req->update_mask());
    if (!patch.ok()) return patch.status();
    return RunMutation(d_.store, d_.clock, "CampaignService/UpdateCampaign", *req,
                       req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                         absl::StatusOr<Campaign> c = d_.campaigns.Update(tx, *id, *patch);
                         if (!c.ok()) return c.status();
                         ToProto(*c, resp->mutable_campaign());
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::ArchiveCampaign(grpc::CallbackServerContext* ctx,
                                                           const v1::ArchiveCampaignRequest* req,
                                                           v1::ArchiveCampaignResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/ArchiveCampaign", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseCampaignName(req->name(), "name");
    if (!id.ok()) return id.status();
    return RunMutation(d_.store, d_.clock, "CampaignService/ArchiveCampaign", *req,
                       req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                         absl::StatusOr<Campaign> c = d_.campaigns.Archive(tx, *id);
                         if (!c.ok()) return c.status();
                         ToProto(*c, resp->mutable_campaign());
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::RecordSpend(grpc::CallbackServerContext* ctx,
                                                       const v1::RecordSpendRequest* req,
                                                       v1::RecordSpendResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/RecordSpend", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseCampaignName(req->campaign(), "campaign");
    if (!id.ok()) return id.status();
    SpendRequest spend{*id,
                       handoff::FromProto(req->amount()),
                       req->note(),
                       req->recorded_by(),
                       req->allow_over_budget(),
                       req->over_budget_reason()};
    return RunMutation(d_.store, d_.clock, "CampaignService/RecordSpend", *req, req->request_id(),
                       resp, [&](MarketingTx& tx) -> absl::Status {
                         absl::StatusOr<Campaign> c = d_.campaigns.RecordSpend(tx, spend);
                         if (!c.ok()) return c.status();
                         ToProto(*c, resp->mutable_campaign());
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* CampaignHandler::ListSpendEntries(grpc::CallbackServerContext* ctx,
                                                            const v1::ListSpendEntriesRequest* req,
                                                            v1::ListSpendEntriesResponse* resp) {
  return d_.runner.Run(ctx, "CampaignService/ListSpendEntries", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseCampaignName(req->campaign(), "campaign");
    if (!id.ok()) return id.status();
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<int64_t> after = DecodePageToken(*req);
    if (!after.ok()) return after.status();
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Campaign> c = tx.GetCampaign(*id);
      if (!c.ok()) return c.status();
      absl::StatusOr<Page<SpendEntry>> page = tx.ListSpend(*id, *after, *size);
      if (!page.ok()) return page.status();
      for (const SpendEntry& e : page->items) {
        v1::SpendEntry* p = resp->add_entries();
        handoff::ToProto(Money{e.amount_minor, c->budget.currency}, p->mutable_amount());
        p->set_note(e.note);
        p->set_recorded_by(e.recorded_by);
        p->set_over_budget_reason(e.over_budget_reason);
        handoff::ToProto(e.time, p->mutable_record_time());
      }
      if (page->next_cursor) resp->set_next_page_token(EncodePageToken(*req, *page->next_cursor));
      return absl::OkStatus();
    });
  });
}

}  // namespace handoff::marketing
