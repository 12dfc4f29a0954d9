// libFuzzer target: page tokens as clients send them back. A token is opaque to clients
// and bound to its list and filters; any string must decode to a cursor this service
// issued for that list, or to INVALID_ARGUMENT, and an issued cursor must decode to
// itself (sequences are never negative, times may be). Input: one byte choosing the list, 16 bytes of cursor, then the token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/page_token.h"
#include "handoff/marketing/v1/lead_service.pb.h"
#include "handoff/ops/v1/audit_service.pb.h"
#include "handoff/sales/v1/opportunity_service.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 17) return 0;
  handoff::marketing::v1::ListLeadsRequest leads;
  leads.set_email("a@example.org");
  handoff::sales::v1::ListOpportunitiesRequest opportunities;
  handoff::ops::v1::ListAuditRecordsRequest audit;
  audit.set_principal("spiffe://handoff.local/ops");
  google::protobuf::Message* lists[] = {&leads, &opportunities, &audit};
  google::protobuf::Message& request = *lists[data[0] % 3];
  int64_t first = 0;
  int64_t second = 0;
  std::memcpy(&first, data + 1, 8);
  std::memcpy(&second, data + 9, 8);
  const std::string token(reinterpret_cast<const char*>(data + 17), size - 17);
  const google::protobuf::FieldDescriptor* field = request.GetDescriptor()->FindFieldByName("page_token");

  // Whatever the client sends: a cursor or INVALID_ARGUMENT, never a crash.
  request.GetReflection()->SetString(&request, field, token);
  absl::StatusOr<int64_t> one = handoff::DecodePageToken(request);
  if (!one.ok() && one.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  auto two = handoff::DecodePairPageToken(request);
  if (!two.ok() && two.status().code() != absl::StatusCode::kInvalidArgument) std::abort();

  // What the service issues comes back as it went out.
  request.GetReflection()->SetString(&request, field, "");
  const std::string issued = handoff::EncodePageToken(request, first);
  request.GetReflection()->SetString(&request, field, issued);
  absl::StatusOr<int64_t> back = handoff::DecodePageToken(request);
  if (first >= 0 && (!back.ok() || *back != first)) std::abort();
  request.GetReflection()->SetString(&request, field, "");
  const std::string pair = handoff::EncodePageToken(request, first, second);
  request.GetReflection()->SetString(&request, field, pair);
  auto pair_back = handoff::DecodePairPageToken(request);
  // Cursors are (time, sequence): a time may be before 1970, a sequence is never negative.
  if (second >= 0 &&
      (!pair_back.ok() || !pair_back->has_value() || (*pair_back)->first != first || (*pair_back)->second != second)) {
    std::abort();
  }
  return 0;
}
