#include "common/grpc/delivery_handler.h"

#include <vector>

#include "common/grpc/convert.h"
#include "common/idempotency.h"
#include "common/page_token.h"

namespace handoff {

grpc::ServerUnaryReactor* DeliveryHandler::GetDeliveryBacklog(
    grpc::CallbackServerContext* ctx, const ops::v1::GetDeliveryBacklogRequest* req,
    ops::v1::GetDeliveryBacklogResponse* resp) {
  return runner_.Run(ctx, "DeliveryService/GetDeliveryBacklog", *req, [this, resp]() -> absl::Status {
    absl::StatusOr<OutboxBacklog> b = store_.Backlog(clock_.Now());
    if (!b.ok()) return b.status();
    resp->set_pending(b->pending);
    resp->set_parked(b->parked);
    ToProto(b->oldest_age, resp->mutable_oldest_age());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DeliveryHandler::ListParkedMessages(
    grpc::CallbackServerContext* ctx, const ops::v1::ListParkedMessagesRequest* req,
    ops::v1::ListParkedMessagesResponse* resp) {
  return runner_.Run(ctx, "DeliveryService/ListParkedMessages", *req, [this, req, resp]() -> absl::Status {
    absl::StatusOr<int> size = ClampPageSize(req->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<int64_t> after = DecodePageToken(*req);
    if (!after.ok()) return after.status();
    absl::StatusOr<Page<OutboxMessage>> page = store_.ListParked(*after, *size);
    if (!page.ok()) return page.status();
    for (const OutboxMessage& m : page->items) {
      ops::v1::ParkedMessage* p = resp->add_messages();
      p->set_sequence(m.sequence);
      p->set_message_id(m.message_id);
      p->set_topic(m.topic);
      p->set_key(m.key);
      p->set_attempts(m.attempts);
      p->set_last_error(m.last_error);
      ToProto(m.create_time, p->mutable_create_time());
    }
    if (page->next_cursor) resp->set_next_page_token(EncodePageToken(*req, *page->next_cursor));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* DeliveryHandler::RetryParkedMessages(
    grpc::CallbackServerContext* ctx, const ops::v1::RetryParkedMessagesRequest* req,
    ops::v1::RetryParkedMessagesResponse* resp) {
  return runner_.Run(ctx, "DeliveryService/RetryParkedMessages", *req, [this, req, resp]() -> absl::Status {
    constexpr const char* kMethod = "DeliveryService/RetryParkedMessages";
    if (req->all() == (req->sequences_size() > 0)) {
      return absl::InvalidArgumentError("give either sequences or all = true");
    }
    const std::vector<int64_t> sequences(req->sequences().begin(), req->sequences().end());
    absl::StatusOr<int64_t> moved =
        store_.Requeue(sequences, clock_.Now(), MakeAuditRecord(clock_, kMethod, *req, nullptr, "", absl::OkStatus()));
    if (!moved.ok()) return moved.status();
    resp->set_requeued(*moved);
    if (*moved > 0) requeued_();
    return absl::OkStatus();
  });
}

}  // namespace handoff
