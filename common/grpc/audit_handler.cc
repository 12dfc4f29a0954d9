#include "common/grpc/audit_handler.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/page_token.h"

namespace handoff {

grpc::ServerUnaryReactor* AuditHandler::ListAuditRecords(grpc::CallbackServerContext* ctx,
                                                         const ops::v1::ListAuditRecordsRequest* req,
                                                         ops::v1::ListAuditRecordsResponse* resp) {
  return runner_.Run(ctx, "AuditService/ListAuditRecords", *req, [this, req, resp]() -> absl::Status {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    AuditQuery q;
    q.principal = req->principal();
    q.method = req->method();
    q.resource = req->resource();
    if (req->has_code()) {
      if (req->code().value() < 0 || req->code().value() > 16) {
        return absl::InvalidArgumentError(absl::StrCat("code: ", req->code().value(), " is not a gRPC status code (0..16)"));
      }
      q.code = req->code().value();
    }
    if (req->has_start_time()) q.start = FromProto(req->start_time());
    if (req->has_end_time()) q.end = FromProto(req->end_time());
    if (req->has_start_time() && req->has_end_time() && q.end <= q.start) {
      return absl::InvalidArgumentError("end_time must be after start_time");
    }
    absl::StatusOr<int64_t> before = DecodePageToken(*req);
    if (!before.ok()) return before.status();
    q.before = *before;
    q.limit = *size;
    absl::StatusOr<Page<AuditRecord>> page = log_.List(q);
    if (!page.ok()) return page.status();
    for (const AuditRecord& a : page->items) {
      ops::v1::AuditRecord* r = resp->add_records();
      r->set_sequence(a.sequence);
      ToProto(a.time, r->mutable_time());
      r->set_principal(a.principal);
      r->set_actor(a.actor);
      r->set_method(a.method);
      r->set_resource(a.resource);
      r->set_code(a.code);
      r->set_request_id(a.request_id);
    }
    if (page->next_cursor) resp->set_next_page_token(EncodePageToken(*req, *page->next_cursor));
    return absl::OkStatus();
  });
}

}  // namespace handoff
