// libFuzzer target: outbox payloads, the stored requests one service delivers to the
// other (marketing -> sales: HandoffLead, UpdateLeadConsent, EraseLead; sales ->
// marketing: ReportOutcome). A payload read back from the database may be anything (a
// corrupt row, a message of an older or newer schema): decoding and the receiver's checks
// must refuse it cleanly, never crash. Input: one byte choosing the topic, then the payload.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/grpc/convert.h"
#include "common/grpc/request_validation.h"
#include "common/idempotency.h"
#include "common/validation.h"
#include "handoff/marketing/v1/lead_service.pb.h"
#include "handoff/sales/v1/handoff_service.pb.h"
#include "marketing-service/domain/contact_rules.h"
#include "marketing-service/grpc/convert.h"

namespace {

template <typename Request>
void Receive(const uint8_t* data, size_t size) {
  Request req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) return;  // DATA_LOSS: parked
  (void)handoff::ValidateTimestamps(req);
  (void)handoff::ValidateRequestId(req.request_id());
  (void)handoff::Fingerprint(req);
  (void)handoff::AuditResource(req, nullptr);
  (void)handoff::marketing::ParseLeadName(req.lead(), "lead");
  std::string again;
  req.SerializeToString(&again);  // the dispatcher re-sends what it read
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  switch (data[0] % 4) {
    case 0: {
      Receive<handoff::sales::v1::HandoffLeadRequest>(data + 1, size - 1);
      handoff::sales::v1::HandoffLeadRequest req;
      if (req.ParseFromArray(data + 1, static_cast<int>(size - 1))) {
        (void)handoff::marketing::NormalizeContact(handoff::FromProto(req.contact()));
        (void)handoff::FromProto(req.consent());
      }
      break;
    }
    case 1:
      Receive<handoff::sales::v1::UpdateLeadConsentRequest>(data + 1, size - 1);
      break;
    case 2:
      Receive<handoff::sales::v1::EraseLeadRequest>(data + 1, size - 1);
      break;
    case 3: {
      Receive<handoff::marketing::v1::ReportOutcomeRequest>(data + 1, size - 1);
      handoff::marketing::v1::ReportOutcomeRequest req;
      if (req.ParseFromArray(data + 1, static_cast<int>(size - 1))) {
        const handoff::Money amount = handoff::FromProto(req.amount());
        (void)handoff::ValidatePositiveMoney(amount, "amount");
        (void)handoff::ValidateLength(req.reason(), 1000, "reason");
      }
      break;
    }
  }
  return 0;
}
