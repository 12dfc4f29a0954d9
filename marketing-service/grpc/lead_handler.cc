#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/error_details.h"
#include "common/grpc/convert.h"
#include "common/grpc/event_stream.h"
#include "common/grpc/field_mask.h"
#include "common/grpc/list_sync.h"
#include "common/grpc/request_validation.h"
#include "common/grpc/status.h"
#include "common/idempotency.h"
#include "common/ids.h"
#include "common/page_token.h"
#include "common/validation.h"
#include "marketing-service/domain/contact_rules.h"
#include "marketing-service/grpc/convert.h"
#include "marketing-service/grpc/handlers.h"

namespace handoff::marketing {
namespace {

constexpr int64_t kMaxImportRows = 100000;
constexpr int kMaxBatchTouches = 500;

// Whether a failed ImportLeads row or BatchRecordTouches item was refused for what it says
// (reported in its result, the others go on) rather than failed for the store (ends the call).
bool IsRefusalOfTheItem(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInvalidArgument || s.code() == absl::StatusCode::kNotFound ||
         s.code() == absl::StatusCode::kFailedPrecondition;
}

// Fills a proto lead from a domain lead, loading its score breakdown and history.
absl::Status FillLead(MarketingTx& tx, const LeadWorkflow& leads, const Lead& lead,
                      v1::Lead* out, const ScoreInputs* scored = nullptr) {
  absl::StatusOr<LeadView> view = leads.View(tx, lead, scored);
  if (!view.ok()) return view.status();
  ToProto(*view, out);
  return absl::OkStatus();
}

// Ends an ImportLeads call before any row is read (no deadline, over the rate limit).
class RefusedImport final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  void OnDone() override { delete this; }
};

// Reads an ImportLeads stream one row at a time: a row is read only after the previous
// one was stored, so memory stays bounded however long the stream is. Rows arrive as raw
// bytes and are parsed here: gRPC's typed reader reports a row that cannot be parsed like
// the end of the stream, which ended the import with OK and the rest of the rows unread.
class ImportReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  ImportReactor(LeadHandler& handler, grpc::ByteBuffer* response, std::string principal)
      : handler_(handler), response_out_(response), principal_(std::move(principal)) {
    StartRead(&row_bytes_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending
      bool own_buffer = false;
      const grpc::Status s =
          grpc::SerializationTraits<v1::ImportLeadsResponse>::Serialize(response_, response_out_, &own_buffer);
      Finish(s);
      return;
    }
    if (rows_ >= kMaxImportRows) {
      Finish(CallerError(WithRetryDelay(
          WithReason(absl::ResourceExhaustedError(absl::StrCat("at most ", kMaxImportRows,
                                                               " rows per ImportLeads stream; the first ", kMaxImportRows,
                                                               " were stored; send the rest in a new stream")),
                     reason::kTooManyRows),
          absl::ZeroDuration())));
      return;
    }
    if (!handler_.pool().TrySubmit([this] { HandleRow(); })) {
      Finish(CallerError(WithRetryDelay(
          WithReason(absl::ResourceExhaustedError(absl::StrCat(
                         "server busy after ", rows_, " rows (all stored); send the remaining rows again later")),
                     reason::kServerBusy),
          absl::Milliseconds(100))));
    }
  }

  void OnDone() override { delete this; }

 private:
  void HandleRow() {
    v1::CaptureLeadResponse captured;
    absl::Status s;
    if (!grpc::SerializationTraits<v1::ImportLeadsRequest>::Deserialize(&row_bytes_, &row_).ok()) {
      s = absl::InvalidArgumentError(
          "the row could not be parsed as handoff.marketing.v1.ImportLeadsRequest (invalid UTF-8 in a "
          "string field, or truncated or corrupt bytes)");
    }
    if (s.ok()) s = ValidateTimestamps(row_.row());
    if (s.ok()) s = handler_.Capture(row_.row(), &captured, /*request_id_optional=*/true);
    if (s.ok()) {
      if (captured.merged()) {
        response_.add_row_statuses(v1::IMPORT_ROW_STATUS_MERGED);
        response_.set_merged_count(response_.merged_count() + 1);
      } else {
        response_.add_row_statuses(v1::IMPORT_ROW_STATUS_CREATED);
        response_.set_created_count(response_.created_count() + 1);
      }
    } else if (IsRefusalOfTheItem(s)) {
      response_.add_row_statuses(v1::IMPORT_ROW_STATUS_REJECTED);
      v1::ImportRowRejection* rejection = response_.add_rejections();
      rejection->set_row(rows_);
      rejection->set_error(std::string(s.message()));
      rejection->set_code(static_cast<int>(s.code()));
      rejection->set_reason(EffectiveReason(s));
      rejection->set_field(FieldOf(s));
      response_.set_rejected_count(response_.rejected_count() + 1);
    } else {
      // Storage trouble is not the row's fault: stop, so the caller retries the rest.
      const grpc::Status told = ToCallerStatus(s, "LeadService/ImportLeads");
      Finish(grpc::Status(told.error_code(),
                          absl::StrCat("row ", rows_, ": ", told.error_message(), " (rows before it are stored)"),
                          told.error_details()));
      return;
    }
    ++rows_;
    row_.Clear();
    row_bytes_.Clear();
    StartRead(&row_bytes_);
  }

  LeadHandler& handler_;
  grpc::ByteBuffer* response_out_;
  const std::string principal_;  // for the rows' audit records
  v1::ImportLeadsResponse response_;
  grpc::ByteBuffer row_bytes_;
  v1::ImportLeadsRequest row_;
  int64_t rows_ = 0;
};

}  // namespace

absl::Status LeadHandler::Capture(const v1::CaptureLeadRequest& req,
                                  v1::CaptureLeadResponse* resp, bool request_id_optional) {
  CaptureInput in;
  if (!req.campaign().empty()) {
    absl::StatusOr<std::string> id = ParseCampaignName(req.campaign(), "campaign");
    if (!id.ok()) return id.status();
    in.campaign_id = *id;
  }
  in.contact = handoff::FromProto(req.contact());
  in.consent = handoff::FromProto(req.consent());
  in.time = handoff::FromProto(req.capture_time());
  in.utm = marketing::FromProto(req.utm());
  in.subscribe_only = req.subscribe_only();
  in.capture_id = req.request_id().empty() ? NewId() : req.request_id();
  in.external_id = req.external_id();
  auto act = [&](MarketingTx& tx) -> absl::Status {
    absl::StatusOr<CaptureResult> r = d_.leads.Capture(tx, in);
    if (!r.ok()) return r.status();
    resp->set_merged(r->merged);
    resp->set_matched_on(r->matched_on);
    if (!r->campaign_id.empty()) resp->set_campaign(CampaignName(r->campaign_id));
    return FillLead(tx, d_.leads, r->lead, resp->mutable_lead(), &r->scored);
  };
  absl::Status s;
  if (request_id_optional && req.request_id().empty()) {
    s = RunAudited(d_.store, d_.clock, "LeadService/ImportLeads", req, "", resp, act);
  } else {
    s = RunMutation(d_.store, d_.clock, "LeadService/CaptureLead", req, req.request_id(), resp, act);
  }
  if (s.ok()) d_.runtime.Committed();
  return s;
}

grpc::ServerUnaryReactor* LeadHandler::CaptureLead(grpc::CallbackServerContext* ctx,
                                                   const v1::CaptureLeadRequest* req,
                                                   v1::CaptureLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/CaptureLead",
                       *req, [this, req, resp] { return Capture(*req, resp, false); });
}

void LeadHandler::ServeImportLeadsRaw() {
  const google::protobuf::MethodDescriptor* m =
      v1::ImportLeadsRequest::descriptor()->file()->pool()->FindMethodByName(
          "handoff.marketing.v1.LeadService.ImportLeads");
  MarkMethodRawCallback(
      m->index(), new grpc::internal::CallbackClientStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                      [this](grpc::CallbackServerContext* ctx,
                             grpc::ByteBuffer* response) -> grpc::ServerReadReactor<grpc::ByteBuffer>* {
                        grpc::Status refused = RequireDeadline(*ctx, "LeadService/ImportLeads");
                        if (refused.ok()) refused = d_.runtime.limits().Admit(*ctx);
                        if (!refused.ok()) {
                          auto* reactor = new RefusedImport();
                          reactor->Finish(refused);
                          return reactor;
                        }
                        return new ImportReactor(*this, response, CallerPrincipal(*ctx));
                      }));
}

grpc::ServerUnaryReactor* LeadHandler::GetLead(grpc::CallbackServerContext* ctx,
                                               const v1::GetLeadRequest* req,
                                               v1::GetLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/GetLead", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->name(), "name");
    if (!id.ok()) return id.status();
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Lead> lead = tx.GetLead(*id);
      if (!lead.ok()) return lead.status();
      return FillLead(tx, d_.leads, *lead, resp->mutable_lead());
    });
  });
}

namespace {

// A list of one lead's records (touches, consent changes): parses `lead`, page_size and
// page_token, answers NOT_FOUND for an unknown lead, reads a page with `read`, writes each
// item with `add` and the token of the next page to `next_page_token`.
template <typename Item, typename Request, typename Read, typename Add>
absl::Status ListOfLead(MarketingStore& store, const Request& req, Read read, Add add,
                        std::string* next_page_token) {
  absl::StatusOr<std::string> id = ParseLeadName(req.lead(), "lead");
  if (!id.ok()) return id.status();
  absl::StatusOr<int> size = ClampPageSize(req.page_size());
  if (!size.ok()) return size.status();
  absl::StatusOr<int64_t> after = DecodePageToken(req);
  if (!after.ok()) return after.status();
  return store.Read([&](MarketingTx& tx) -> absl::Status {
    if (absl::StatusOr<Lead> lead = tx.GetLead(*id); !lead.ok()) return lead.status();
    absl::StatusOr<Page<Item>> page = read(tx, *id, *after, *size);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) add(item);
    if (page->next_cursor) *next_page_token = EncodePageToken(req, *page->next_cursor);
    return absl::OkStatus();
  });
}

}  // namespace

grpc::ServerUnaryReactor* LeadHandler::ListTouches(grpc::CallbackServerContext* ctx,
                                                   const v1::ListTouchesRequest* req,
                                                   v1::ListTouchesResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/ListTouches", *req, [this, req, resp] {
    return ListOfLead<Touch>(
        d_.store, *req,
        [](MarketingTx& tx, const std::string& id, int64_t after, int size) { return tx.ListTouches(id, after, size); },
        [resp](const Touch& t) {
          v1::TouchRecord* out = resp->add_touches();
          out->set_touch_id(t.touch_id);
          out->set_touch_type(static_cast<v1::TouchType>(t.type));
          if (!t.campaign_id.empty()) out->set_campaign(CampaignName(t.campaign_id));
          handoff::ToProto(t.time, out->mutable_occur_time());
          out->set_merged_capture(t.merged_capture);
        },
        resp->mutable_next_page_token());
  });
}

grpc::ServerUnaryReactor* LeadHandler::ListLeads(grpc::CallbackServerContext* ctx,
                                                 const v1::ListLeadsRequest* req,
                                                 v1::ListLeadsResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/ListLeads", *req, [this, req, resp] {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<ListPosition> at =
        ReadListPosition(*req, req->order_by(), req->has_min_update_time() ? &req->min_update_time() : nullptr);
    if (!at.ok()) return at.status();
    LeadFilter filter;
    filter.sync = at->sync;
    if (req->lifecycle_stage() < 0 || req->lifecycle_stage() > kLifecycleStageMax) {
      return absl::InvalidArgumentError("lifecycle_stage is not a valid LifecycleStage");
    }
    if (req->owner() < 0 || req->owner() > kOwnerMax) {
      return absl::InvalidArgumentError("owner is not a valid Owner");
    }
    filter.stage = static_cast<LifecycleStage>(req->lifecycle_stage());
    if (!req->email().empty()) {
      absl::StatusOr<std::string> email = NormalizeEmail(req->email(), "email");
      if (!email.ok()) return email.status();
      filter.email = *email;
    }
    filter.owner = static_cast<Owner>(req->owner());
    if (!req->source_campaign().empty()) {
      absl::StatusOr<std::string> id = ParseCampaignName(req->source_campaign(), "source_campaign");
      if (!id.ok()) return id.status();
      filter.source_campaign_id = *id;
    }
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<Page<Lead>> page = tx.ListLeads(filter, at->after_seq, *size);
      if (!page.ok()) return page.status();
      for (const Lead& l : page->items) {
        if (absl::Status s = FillLead(tx, d_.leads, l, resp->add_leads()); !s.ok()) return s;
      }
      if (page->next_cursor) {
        const Lead& last = page->items.back();
        resp->set_next_page_token(NextListPageToken(*req, filter.sync, last.seq, last.update_time));
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* LeadHandler::RecordTouch(grpc::CallbackServerContext* ctx,
                                                   const v1::RecordTouchRequest* req,
                                                   v1::RecordTouchResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/RecordTouch", *req,
                       [this, req, resp] { return RecordOneTouch(*req, resp, "LeadService/RecordTouch"); });
}

absl::Status LeadHandler::RecordOneTouch(const v1::RecordTouchRequest& req, v1::RecordTouchResponse* resp,
                                const char* method) {
  TouchInput in;
  absl::StatusOr<std::string> lead = ParseLeadName(req.lead(), "lead");
  if (!lead.ok()) return lead.status();
  in.lead_id = *lead;
  if (!req.campaign().empty()) {  // no campaign: a web visit, an organic touch
    absl::StatusOr<std::string> campaign = ParseCampaignName(req.campaign(), "campaign");
    if (!campaign.ok()) return campaign.status();
    in.campaign_id = *campaign;
  }
  in.type = static_cast<TouchType>(req.touch_type());
  in.touch_id = req.touch_id();
  in.time = handoff::FromProto(req.occur_time());
  // touch_id is the idempotency key here: the domain turns a repeat into a no-op.
  absl::Status s = RunAudited(d_.store, d_.clock, method, req, req.touch_id(), resp,
                              [&](MarketingTx& tx) -> absl::Status {
    absl::StatusOr<TouchResult> r = d_.leads.RecordTouch(tx, in);
    if (!r.ok()) return r.status();
    resp->set_duplicate(r->duplicate);
    return FillLead(tx, d_.leads, r->lead, resp->mutable_lead(), r->scored ? &*r->scored : nullptr);
  });
  if (s.ok()) d_.runtime.Committed();
  return s;
}

grpc::ServerUnaryReactor* LeadHandler::BatchRecordTouches(grpc::CallbackServerContext* ctx,
                                                          const v1::BatchRecordTouchesRequest* req,
                                                          v1::BatchRecordTouchesResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/BatchRecordTouches", *req, [this, req, resp]() -> absl::Status {
    if (req->requests_size() == 0 || req->requests_size() > kMaxBatchTouches) {
      return absl::InvalidArgumentError(
          absl::StrCat("requests: give 1 to ", kMaxBatchTouches, " touches (got ", req->requests_size(), ")"));
    }
    for (const v1::RecordTouchRequest& item : req->requests()) {
      v1::BatchTouchResult* result = resp->add_results();
      const absl::Status s = RecordOneTouch(item, result->mutable_touched(), "LeadService/BatchRecordTouches");
      if (s.ok()) continue;
      result->clear_touched();
      const grpc::Status told = ToCallerStatus(s, "LeadService/BatchRecordTouches");
      if (IsRefusalOfTheItem(s)) {
        result->set_code(static_cast<int>(s.code()));
        result->set_reason(EffectiveReason(s));
        result->set_message(told.error_message());
        continue;
      }
      // Storage trouble is not the item's fault: stop; the items before it are stored and
      // a retry of the whole batch is safe (touch_ids make repeats no-ops).
      return absl::Status(s.code(), absl::StrCat("requests[", resp->results_size() - 1, "]: ", told.error_message(),
                                                 " (the items before it are recorded)"));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LeadHandler::QualifyLead(grpc::CallbackServerContext* ctx,
                                                   const v1::QualifyLeadRequest* req,
                                                   v1::QualifyLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/QualifyLead", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->name(), "name");
    if (!id.ok()) return id.status();
    absl::Status s = RunMutation(d_.store, d_.clock, "LeadService/QualifyLead", *req,
                                 req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                                   absl::StatusOr<Lead> l = d_.leads.Qualify(tx, *id, req->reason());
                                   if (!l.ok()) return l.status();
                                   return FillLead(tx, d_.leads, *l, resp->mutable_lead());
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* LeadHandler::DisqualifyLead(grpc::CallbackServerContext* ctx,
                                                      const v1::DisqualifyLeadRequest* req,
                                                      v1::DisqualifyLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/DisqualifyLead", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->name(), "name");
    if (!id.ok()) return id.status();
    absl::Status s = RunMutation(d_.store, d_.clock, "LeadService/DisqualifyLead", *req,
                                 req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                                   absl::StatusOr<Lead> l = d_.leads.Disqualify(tx, *id, req->reason());
                                   if (!l.ok()) return l.status();
                                   return FillLead(tx, d_.leads, *l, resp->mutable_lead());
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* LeadHandler::UpdateConsent(grpc::CallbackServerContext* ctx,
                                                     const v1::UpdateConsentRequest* req,
                                                     v1::UpdateConsentResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/UpdateConsent", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->lead(), "lead");
    if (!id.ok()) return id.status();
    absl::Status s = RunMutation(
        d_.store, d_.clock, "LeadService/UpdateConsent", *req, req->request_id(), resp,
        [&](MarketingTx& tx) -> absl::Status {
          ConsentProvenance provenance;
          provenance.source = req->provenance().source();
          provenance.legal_basis = req->provenance().legal_basis();
          provenance.time = handoff::FromProto(req->provenance().time());
          absl::StatusOr<Lead> l =
              d_.leads.UpdateConsent(tx, *id, handoff::FromProto(req->consent()), provenance);
          if (!l.ok()) return l.status();
          return FillLead(tx, d_.leads, *l, resp->mutable_lead());
        });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

namespace {

// The change an UpdateLead (or UpsertLead) request asks for (see lead_service.proto).
absl::StatusOr<ContactPatch> LeadPatch(const v1::Lead& lead, const google::protobuf::FieldMask& mask) {
  const std::vector<std::string>& all = ContactFieldNames();
  ContactPatch patch;
  patch.contact = handoff::FromProto(lead.contact());
  patch.etag = lead.etag();
  if (mask.paths_size() == 0) {  // the fields set in the request
    if (!lead.external_id().empty()) patch.external_id = lead.external_id();
    absl::StatusOr<std::vector<std::string>> set = UpdatePaths(lead.contact(), mask, all);
    if (set.ok()) {
      patch.fields = *std::move(set);
    } else if (!patch.external_id) {
      return absl::InvalidArgumentError("lead.contact: give the fields to change, or name them in update_mask");
    }
    return patch;
  }
  for (const std::string& path : mask.paths()) {
    if (path == "*") {
      patch.fields = all;
      patch.external_id = lead.external_id();
      return patch;
    }
    if (path == "contact") {
      patch.fields = all;
      continue;
    }
    if (path == "external_id") {
      patch.external_id = lead.external_id();
      continue;
    }
    absl::string_view field = path;
    if (!absl::ConsumePrefix(&field, "contact.") ||
        std::find(all.begin(), all.end(), field) == all.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update_mask: ", Quote(path), " cannot be updated; allowed: \"*\", \"external_id\", \"contact\" and contact.",
          absl::StrJoin(all, ", contact.")));
    }
    if (std::find(patch.fields.begin(), patch.fields.end(), field) == patch.fields.end()) {
      patch.fields.emplace_back(field);
    }
  }
  return patch;
}

// A contact rule's INVALID_ARGUMENT names the field within the contact ("contact.email");
// the caller sent it as lead.contact.email.
absl::Status InLead(absl::Status s) {
  if (s.code() != absl::StatusCode::kInvalidArgument) return s;
  return absl::InvalidArgumentError(absl::StrCat("lead.", s.message()));
}

}  // namespace

grpc::ServerUnaryReactor* LeadHandler::UpdateLead(grpc::CallbackServerContext* ctx,
                                                  const v1::UpdateLeadRequest* req,
                                                  v1::UpdateLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/UpdateLead", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->lead().name(), "lead.name");
    if (!id.ok()) return id.status();
    absl::StatusOr<ContactPatch> patch = LeadPatch(req->lead(), req->update_mask());
    if (!patch.ok()) return patch.status();
    absl::Status s = RunMutation(
        d_.store, d_.clock, "LeadService/UpdateLead", *req, req->request_id(), resp,
        [&](MarketingTx& tx) -> absl::Status {
          absl::StatusOr<Lead> l = d_.leads.UpdateContact(tx, *id, *patch);
          if (!l.ok()) return InLead(l.status());
          return FillLead(tx, d_.leads, *l, resp->mutable_lead());
        });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* LeadHandler::LookupLead(grpc::CallbackServerContext* ctx,
                                                  const v1::LookupLeadRequest* req,
                                                  v1::LookupLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/LookupLead", *req, [this, req, resp] {
    if (req->external_id().empty()) return absl::InvalidArgumentError("external_id is required");
    if (absl::Status s = ValidateExternalId(req->external_id(), "external_id"); !s.ok()) return s;
    return d_.store.Read([&](MarketingTx& tx) -> absl::Status {
      absl::StatusOr<std::optional<Lead>> lead = tx.FindLeadByExternalId(req->external_id());
      if (!lead.ok()) return lead.status();
      if (!lead->has_value()) {
        return absl::NotFoundError(absl::StrCat("no lead has external_id ", Quote(req->external_id())));
      }
      return FillLead(tx, d_.leads, **lead, resp->mutable_lead());
    });
  });
}

grpc::ServerUnaryReactor* LeadHandler::UpsertLead(grpc::CallbackServerContext* ctx,
                                                  const v1::UpsertLeadRequest* req,
                                                  v1::UpsertLeadResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/UpsertLead", *req, [this, req, resp] {
    for (const std::string& path : req->update_mask().paths()) {
      if (path == "external_id") {
        return absl::InvalidArgumentError("update_mask: \"external_id\" is UpsertLead's key and cannot change here");
      }
    }
    absl::StatusOr<ContactPatch> patch = LeadPatch(req->lead(), req->update_mask());
    if (!patch.ok()) return patch.status();
    UpsertLeadInput in;
    in.patch = *std::move(patch);
    if (!req->campaign().empty()) {
      absl::StatusOr<std::string> campaign = ParseCampaignName(req->campaign(), "campaign");
      if (!campaign.ok()) return campaign.status();
      in.capture.campaign_id = *campaign;
    }
    in.capture.contact = handoff::FromProto(req->lead().contact());
    in.capture.consent = handoff::FromProto(req->consent());
    in.capture.capture_id = req->request_id();
    in.capture.external_id = req->lead().external_id();
    absl::Status s = RunMutation(d_.store, d_.clock, "LeadService/UpsertLead", *req, req->request_id(), resp,
                                 [&](MarketingTx& tx) -> absl::Status {
                                   absl::StatusOr<UpsertLeadResult> r = d_.leads.Upsert(tx, in);
                                   if (!r.ok()) return InLead(r.status());
                                   resp->set_created(r->created);
                                   return FillLead(tx, d_.leads, r->lead, resp->mutable_lead());
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* LeadHandler::ListConsentChanges(grpc::CallbackServerContext* ctx,
                                                          const v1::ListConsentChangesRequest* req,
                                                          v1::ListConsentChangesResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/ListConsentChanges", *req, [this, req, resp] {
    return ListOfLead<ConsentChange>(
        d_.store, *req,
        [](MarketingTx& tx, const std::string& id, int64_t after, int size) {
          return tx.ListConsentChanges(id, after, size);
        },
        [resp](const ConsentChange& c) {
          v1::ConsentChange* out = resp->add_changes();
          handoff::ToProto(c.consent, out->mutable_consent());
          out->mutable_provenance()->set_source(c.provenance.source);
          out->mutable_provenance()->set_legal_basis(static_cast<v1::LegalBasis>(c.provenance.legal_basis));
          handoff::ToProto(c.provenance.time, out->mutable_provenance()->mutable_time());
          out->mutable_provenance()->set_recorded_by(c.provenance.recorded_by);
          out->set_method(c.method);
        },
        resp->mutable_next_page_token());
  });
}

grpc::ServerUnaryReactor* LeadHandler::ReportOutcome(grpc::CallbackServerContext* ctx,
                                                     const v1::ReportOutcomeRequest* req,
                                                     v1::ReportOutcomeResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/ReportOutcome", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->lead(), "lead");
    if (!id.ok()) return id.status();
    if (!ParseResourceName(req->opportunity(), "opportunities")) {
      return absl::InvalidArgumentError("opportunity must be of the form opportunities/{id}");
    }
    OutcomeInput in{*id,
                    req->opportunity(),
                    static_cast<Outcome>(req->outcome()),
                    req->reason(),
                    handoff::FromProto(req->amount()),
                    handoff::FromProto(req->occur_time())};
    absl::Status s = RunMutation(d_.store, d_.clock, "LeadService/ReportOutcome", *req,
                                 req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                                   absl::StatusOr<Lead> l = d_.leads.ReportOutcome(tx, in);
                                   if (!l.ok()) return l.status();
                                   return FillLead(tx, d_.leads, *l, resp->mutable_lead());
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* LeadHandler::MergeLeads(grpc::CallbackServerContext* ctx,
                                                  const v1::MergeLeadsRequest* req,
                                                  v1::MergeLeadsResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/MergeLeads", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->lead(), "lead");
    if (!id.ok()) return id.status();
    absl::StatusOr<std::string> merged = ParseLeadName(req->merged_lead(), "merged_lead");
    if (!merged.ok()) return merged.status();
    const MergeInput in{*id, *merged, req->etag(), req->merged_lead_etag()};
    absl::Status s = RunMutation(d_.store, d_.clock, "LeadService/MergeLeads", *req, req->request_id(), resp,
                                 [&](MarketingTx& tx) -> absl::Status {
                                   absl::StatusOr<MergeResult> r = d_.leads.Merge(tx, in);
                                   if (!r.ok()) return r.status();
                                   if (absl::Status s = FillLead(tx, d_.leads, r->lead, resp->mutable_lead()); !s.ok()) {
                                     return s;
                                   }
                                   return FillLead(tx, d_.leads, r->merged_lead, resp->mutable_merged_lead());
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerUnaryReactor* LeadHandler::EraseContact(grpc::CallbackServerContext* ctx,
                                                    const v1::EraseContactRequest* req,
                                                    v1::EraseContactResponse* resp) {
  return d_.runner.Run(ctx, "LeadService/EraseContact", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseLeadName(req->lead(), "lead");
    if (!id.ok()) return id.status();
    absl::Status s = RunMutation(d_.store, d_.clock, "LeadService/EraseContact", *req,
                                 req->request_id(), resp, [&](MarketingTx& tx) -> absl::Status {
                                   absl::StatusOr<Lead> l = d_.leads.Erase(tx, *id);
                                   if (!l.ok()) return l.status();
                                   return FillLead(tx, d_.leads, *l, resp->mutable_lead());
                                 });
    if (s.ok()) d_.runtime.Committed();
    return s;
  });
}

grpc::ServerWriteReactor<v1::WatchLeadEventsResponse>* LeadHandler::WatchLeadEvents(
    grpc::CallbackServerContext* ctx, const v1::WatchLeadEventsRequest* req) {
  return StartWatch<v1::WatchLeadEventsResponse>(
      ctx, WatchRequest{req->after_sequence(), req->from_now(), {req->event_types().begin(), req->event_types().end()}},
      d_.pool, d_.runtime.events(), d_.runtime.limits(),
      [this](int64_t after, int limit) { return d_.store.ReadEvents(after, limit); },
      [this] { return d_.store.LatestEventSequence(); }, [](int type) { return v1::LeadEventType_IsValid(type); });
}

}  // namespace handoff::marketing
