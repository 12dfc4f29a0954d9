#include "common/idempotency.h"

#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/error_details.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "common/call_identity.h"
#include "common/logging.h"
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
      return WithReason(absl::InvalidArgumentError(absl::StrCat(
          "request_id ", Quote(request_id), " was already used for a different request (",
          r.method, "); use a new request_id for a new call")), reason::kRequestIdReused);
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

namespace {

// The value of string field `name` of `m`; "" when it has none.
std::string StringField(const google::protobuf::Message& m, const char* name) {
  const google::protobuf::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->is_repeated() || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

}  // namespace

std::string AuditResource(const google::protobuf::Message& request, const google::protobuf::Message* response) {
  if (std::string name = StringField(request, "name"); !name.empty()) return name;
  if (response != nullptr) {
    const google::protobuf::Descriptor* d = response->GetDescriptor();
    const google::protobuf::Reflection* r = response->GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      if (f->is_repeated() || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
          !r->HasField(*response, f)) {
        continue;
      }
      if (std::string name = StringField(r->GetMessage(*response, f), "name"); !name.empty()) return name;
    }
  }
  for (const char* field : {"lead", "opportunity", "campaign"}) {
    if (std::string name = StringField(request, field); !name.empty()) return name;
  }
  return "";
}

AuditRecord MakeAuditRecord(const Clock& clock, absl::string_view method, const google::protobuf::Message& request,
                            const google::protobuf::Message* response, absl::string_view request_id,
                            const absl::Status& status) {
  AuditRecord r;
  r.time = clock.Now();
  r.principal = CurrentCallIdentity().principal;
  r.actor = CurrentCallIdentity().actor;
  r.method = std::string(method);
  r.resource = AuditResource(request, response);
  r.code = static_cast<int>(status.code());
  // A refused request_id may be anything: keep at most 128 printable ASCII characters.
  for (char c : request_id.substr(0, 128)) r.request_id.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return r;
}

bool AuditsFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      return false;
    default:
      return true;
  }
}

void LogAuditFailure(const absl::Status& written, absl::string_view method) {
  if (written.ok()) return;
  LogWarning("audit", absl::StrCat("the audit record of a failed ", method, " call was not written: ", written.message()));
}

}  // namespace handoff
