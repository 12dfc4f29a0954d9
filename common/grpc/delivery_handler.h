#ifndef HANDOFF_COMMON_GRPC_DELIVERY_HANDLER_H_
#define HANDOFF_COMMON_GRPC_DELIVERY_HANDLER_H_

#include <functional>

#include "common/clock.h"
#include "common/grpc/unary.h"
#include "common/outbox.h"
#include "handoff/ops/v1/delivery_service.grpc.pb.h"
#include "common/grpc/parse_check.h"

namespace handoff {

// handoff.ops.v1.DeliveryService over a service's outbox: the backlog, parked messages,
// and requeueing them (`requeued` wakes the dispatcher; the requeue is audited in its
// transaction).
class DeliveryHandler final : public ParseCheckedService<ops::v1::DeliveryService::CallbackService> {
 public:
  DeliveryHandler(OutboxStore& store, const Clock& clock, UnaryRunner& runner, std::function<void()> requeued)
      : store_(store), clock_(clock), runner_(runner), requeued_(std::move(requeued)) {
    CheckParsing(this, &DeliveryHandler::GetDeliveryBacklog, &DeliveryHandler::ListParkedMessages,
                 &DeliveryHandler::RetryParkedMessages);
  }

  grpc::ServerUnaryReactor* GetDeliveryBacklog(grpc::CallbackServerContext* ctx,
                                               const ops::v1::GetDeliveryBacklogRequest* req,
                                               ops::v1::GetDeliveryBacklogResponse* resp) override;
  grpc::ServerUnaryReactor* ListParkedMessages(grpc::CallbackServerContext* ctx,
                                               const ops::v1::ListParkedMessagesRequest* req,
                                               ops::v1::ListParkedMessagesResponse* resp) override;
  grpc::ServerUnaryReactor* RetryParkedMessages(grpc::CallbackServerContext* ctx,
                                                const ops::v1::RetryParkedMessagesRequest* req,
                                                ops::v1::RetryParkedMessagesResponse* resp) override;

 private:
  OutboxStore& store_;
  const Clock& clock_;
  UnaryRunner& runner_;
  std::function<void()> requeued_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_DELIVERY_HANDLER_H_
