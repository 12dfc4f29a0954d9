#ifndef HANDOFF_SALES_GRPC_MARKETING_DELIVERY_H_
#define HANDOFF_SALES_GRPC_MARKETING_DELIVERY_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/unit_of_work.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"

namespace handoff::sales {

// Sends outbox messages to marketing-service's LeadService, each call with a deadline.
class MarketingDelivery {
 public:
  MarketingDelivery(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
      : stub_(marketing::v1::LeadService::NewStub(channel)), deadline_(deadline) {}
  absl::Status Deliver(const OutboxMessage& message);

 private:
  std::unique_ptr<marketing::v1::LeadService::Stub> stub_;
  absl::Duration deadline_;
};

}  // namespace handoff::sales

#endif  // HANDOFF_SALES_GRPC_MARKETING_DELIVERY_H_
