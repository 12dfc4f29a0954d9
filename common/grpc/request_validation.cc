#include "common/grpc/request_validation.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace handoff {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z since the Unix epoch.
constexpr int64_t kMinSeconds = -62'135'596'800;
constexpr int64_t kMaxSeconds = 253'402'300'799;

absl::Status CheckTimestamp(const Message& m, const std::string& path) {
  const auto* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  const int64_t seconds = r->GetInt64(m, d->FindFieldByNumber(1));
  const int32_t nanos = r->GetInt32(m, d->FindFieldByNumber(2));
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": seconds ", seconds,
        " is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the range of a Timestamp"));
  }
  if (nanos < 0 || nanos >= 1'000'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": nanos ", nanos, " must be 0 to 999999999"));
  }
  return absl::OkStatus();
}

absl::Status Walk(const Message& m, const std::string& prefix) {
  if (m.GetDescriptor() == google::protobuf::Timestamp::descriptor()) return CheckTimestamp(m, prefix);
  const Reflection* r = m.GetReflection();
  const auto* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    // Only set fields are walked, and only their paths are built: this runs on every call.
    if (f->is_repeated() ? r->FieldSize(m, f) == 0 : !r->HasField(m, f)) continue;
    const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (!f->is_repeated()) {
      if (absl::Status s = Walk(r->GetMessage(m, f), path); !s.ok()) return s;
      continue;
    }
    for (int k = 0; k < r->FieldSize(m, f); ++k) {
      if (absl::Status s = Walk(r->GetRepeatedMessage(m, f, k), absl::StrCat(path, "[", k, "]")); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTimestamps(const Message& request) { return Walk(request, ""); }

}  // namespace handoff
