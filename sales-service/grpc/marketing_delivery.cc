#include "sales-service/grpc/marketing_delivery.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/status.h"
#include "common/grpc/trace_metadata.h"
#include "sales-service/messaging/outbox_marketing_gateway.h"

namespace handoff::sales {

absl::Status MarketingDelivery::Deliver(const OutboxMessage& message) {
  if (message.topic != kTopicOutcome) {
    return absl::InvalidArgumentError(absl::StrCat("unknown outbox topic ", message.topic));
  }
  marketing::v1::ReportOutcomeRequest req;
  if (!req.ParseFromString(message.payload)) return absl::DataLossError("unparsable outcome payload");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_));
  PropagateTrace(CurrentTrace(), ctx);  // the dispatcher's span of the message's trace
  marketing::v1::ReportOutcomeResponse resp;
  return ToAbslStatus(stub_->ReportOutcome(&ctx, req, &resp));
}

}  // namespace handoff::sales
