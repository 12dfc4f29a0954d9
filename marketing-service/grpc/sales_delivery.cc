#include "marketing-service/grpc/sales_delivery.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/status.h"
#include "common/grpc/trace_metadata.h"
#include "marketing-service/messaging/outbox_sales_gateway.h"

namespace handoff::marketing {

absl::Status SalesDelivery::Deliver(const OutboxMessage& message) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_));
  PropagateTrace(CurrentTrace(), ctx);  // the dispatcher's span of the message's trace
  if (message.topic == kTopicHandoff) {
    sales::v1::HandoffLeadRequest req;
    if (!req.ParseFromString(message.payload)) return absl::DataLossError("unparsable handoff payload");
    sales::v1::HandoffLeadResponse resp;
    return ToAbslStatus(stub_->HandoffLead(&ctx, req, &resp));
  }
  if (message.topic == kTopicConsent) {
    sales::v1::UpdateLeadConsentRequest req;
    if (!req.ParseFromString(message.payload)) return absl::DataLossError("unparsable consent payload");
    sales::v1::UpdateLeadConsentResponse resp;
    return ToAbslStatus(stub_->UpdateLeadConsent(&ctx, req, &resp));
  }
  if (message.topic == kTopicContact) {
    sales::v1::UpdateLeadContactRequest req;
    if (!req.ParseFromString(message.payload)) return absl::DataLossError("unparsable contact payload");
    sales::v1::UpdateLeadContactResponse resp;
    return ToAbslStatus(stub_->UpdateLeadContact(&ctx, req, &resp));
  }
  if (message.topic == kTopicErasure) {
    sales::v1::EraseLeadRequest req;
    if (!req.ParseFromString(message.payload)) return absl::DataLossError("unparsable erasure payload");
    sales::v1::EraseLeadResponse resp;
    return ToAbslStatus(stub_->EraseLead(&ctx, req, &resp));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown outbox topic ", message.topic));
}

}  // namespace handoff::marketing
