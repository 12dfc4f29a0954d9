#include "absl/strings/str_cat.h"
#include "common/grpc/field_mask.h"
#include "common/grpc/list_sync.h"
#include "common/page_token.h"
#include "common/ids.h"
#include "sales-service/grpc/handlers.h"
#include "common/validation.h"

namespace handoff::sales {

grpc::ServerUnaryReactor* RepHandler::CreateRep(grpc::CallbackServerContext* ctx,
                                                const v1::CreateRepRequest* req,
                                                v1::CreateRepResponse* resp) {
  return d_.runner.Run(ctx, "RepService/CreateRep", *req, [this, req, resp] {
    const v1::Rep& p = req->rep();
    RepInput in{p.display_name(),
                p.email(),
                {p.territories().begin(), p.territories().end()},
                p.capacity(),
                static_cast<RepStatus>(p.status())};
    return RunMutation(d_.store, d_.clock, "RepService/CreateRep", *req, req->request_id(), resp,
                       [&](SalesTx& tx) -> absl::Status {
                         absl::StatusOr<Rep> r = d_.opportunities.CreateRep(tx, in);
                         if (!r.ok()) return r.status();
                         ToProto(*r, resp->mutable_rep());
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* RepHandler::GetRep(grpc::CallbackServerContext* ctx,
                                             const v1::GetRepRequest* req, v1::GetRepResponse* resp) {
  return d_.runner.Run(ctx, "RepService/GetRep", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseNameField(req->name(), "reps", "name");
    if (!id.ok()) return id.status();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<Rep> r = tx.GetRep(*id);
      if (!r.ok()) return r.status();
      ToProto(*r, resp->mutable_rep());
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* RepHandler::ListReps(grpc::CallbackServerContext* ctx,
                                               const v1::ListRepsRequest* req,
                                               v1::ListRepsResponse* resp) {
  return d_.runner.Run(ctx, "RepService/ListReps", *req, [this, req, resp] {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<ListPosition> at =
        ReadListPosition(*req, req->order_by(), req->has_min_update_time() ? &req->min_update_time() : nullptr);
    if (!at.ok()) return at.status();
    return d_.store.Read([&](SalesTx& tx) -> absl::Status {
      absl::StatusOr<Page<Rep>> page = tx.ListReps(at->sync, at->after_seq, *size);
      if (!page.ok()) return page.status();
      for (const Rep& r : page->items) ToProto(r, resp->add_reps());
      if (page->next_cursor) {
        const Rep& last = page->items.back();
        resp->set_next_page_token(NextListPageToken(*req, at->sync, last.seq, last.update_time));
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* RepHandler::UpdateRep(grpc::CallbackServerContext* ctx,
                                                const v1::UpdateRepRequest* req,
                                                v1::UpdateRepResponse* resp) {
  return d_.runner.Run(ctx, "RepService/UpdateRep", *req, [this, req, resp] {
    absl::StatusOr<std::string> id = ParseNameField(req->rep().name(), "reps", "rep.name");
    if (!id.ok()) return id.status();
    const v1::Rep& p = req->rep();
    absl::StatusOr<std::vector<std::string>> paths =
        UpdatePaths(p, req->update_mask(), {"display_name", "territories", "capacity", "status"});
    if (!paths.ok()) return paths.status();
    RepPatch patch;
    for (const std::string& path : *paths) {
      if (path == "display_name") {
        patch.display_name = p.display_name();
      } else if (path == "territories") {
        patch.territories = std::vector<std::string>(p.territories().begin(), p.territories().end());
      } else if (path == "capacity") {
        patch.capacity = p.capacity();
      } else if (path == "status") {
        patch.status = static_cast<RepStatus>(p.status());
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: ", Quote(path), " cannot be updated; allowed: display_name, territories, "
            "capacity, status"));
      }
    }
    if (!p.etag().empty()) patch.etag = p.etag();
    return RunMutation(d_.store, d_.clock, "RepService/UpdateRep", *req, req->request_id(), resp,
                       [&](SalesTx& tx) -> absl::Status {
                         absl::StatusOr<Rep> r = d_.opportunities.UpdateRep(tx, *id, patch);
                         if (!r.ok()) return r.status();
                         ToProto(*r, resp->mutable_rep());
                         return absl::OkStatus();
                       });
  });
}

}  // namespace handoff::sales
