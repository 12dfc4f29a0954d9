#include "common/idempotency.h"

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "common/validation.h"

namespace handoff {

absl::Status ValidateRequestId(absl::string_view request_id, absl::string_view field) {
  if (request_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is required: send a unique id (e.g. a UUID) per logical call, "
                            "and the same id when retrying it"));
  }
  if (request_id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than 128 characters"));
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

std::string Fingerprint(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

absl::Status RunIdempotent(UnitOfWork& uow, const Clock& clock, absl::string_view method,
                           const google::protobuf::Message& request,
                           absl::string_view request_id, google::protobuf::Message* response,
                           absl::FunctionRef<absl::Status()> act) {
  const std::string fingerprint = Fingerprint(request);
  absl::StatusOr<std::optional<RequestRecord>> seen = uow.FindRequest(request_id);
  if (!seen.ok()) return seen.status();
  if (seen->has_value()) {
    const RequestRecord& r = **seen;
    if (r.method != method || r.fingerprint != fingerprint) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request_id ", Quote(request_id), " was already used for a different request (",
          r.method, "); use a new request_id for a new call"));
    }
    if (!response->ParseFromString(r.response)) {
      return absl::InternalError("stored response for this request_id cannot be parsed");
    }
    return absl::OkStatus();
  }
  if (absl::Status s = act(); !s.ok()) return s;
  RequestRecord record;
  record.request_id = std::string(request_id);
  record.method = std::string(method);
  record.fingerprint = fingerprint;
  response->SerializeToString(&record.response);
  record.create_time = clock.Now();
  return uow.SaveRequest(record);
}

}  // namespace handoff
