#ifndef HANDOFF_MARKETING_GRPC_SALES_DELIVERY_H_
#define HANDOFF_MARKETING_GRPC_SALES_DELIVERY_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/unit_of_work.h"
#include "handoff/sales/v1/handoff_service.grpc.pb.h"

namespace handoff::marketing {

// Sends outbox messages to sales-service's HandoffService, each call with a deadline.
class SalesDelivery {
 public:
  SalesDelivery(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
      : stub_(sales::v1::HandoffService::NewStub(channel)), deadline_(deadline) {}
  absl::Status Deliver(const OutboxMessage& message);

 private:
  std::unique_ptr<sales::v1::HandoffService::Stub> stub_;
  absl::Duration deadline_;
};

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_GRPC_SALES_DELIVERY_H_
