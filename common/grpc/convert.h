#ifndef HANDOFF_COMMON_GRPC_CONVERT_H_
#define HANDOFF_COMMON_GRPC_CONVERT_H_

#include "absl/time/time.h"
#include "common/model.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "handoff/common/v1/contact.pb.h"
#include "handoff/common/v1/money.pb.h"

// Conversions between handoff.common.v1 / well-known protos and the shared plain types.
namespace handoff {

Money FromProto(const common::v1::Money& m);
void ToProto(const Money& m, common::v1::Money* out);
Contact FromProto(const common::v1::Contact& c);
void ToProto(const Contact& c, common::v1::Contact* out);
Consent FromProto(const common::v1::Consent& c);
void ToProto(const Consent& c, common::v1::Consent* out);

// An unset Timestamp is absl::InfinitePast(); InfinitePast leaves `out` untouched.
absl::Time FromProto(const google::protobuf::Timestamp& t);
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
void ToProto(absl::Duration d, google::protobuf::Duration* out);
// For optional times: leaves the field absent (has_...() false) when `t` is InfinitePast.
// Use as ToProtoIfSet(t, [&] { return out->mutable_close_time(); }).
template <typename MutableField>
void ToProtoIfSet(absl::Time t, MutableField mutable_field) {
  if (t != absl::InfinitePast()) ToProto(t, mutable_field());
}

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_CONVERT_H_
