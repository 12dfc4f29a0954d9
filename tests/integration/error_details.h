#ifndef HANDOFF_TESTS_INTEGRATION_ERROR_DETAILS_H_
#define HANDOFF_TESTS_INTEGRATION_ERROR_DETAILS_H_

// Reads a refused call's google.rpc.Status (grpc-status-details-bin) as a client does, with
// the generated google.rpc types: no code of the services is used to decode it.

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace handoff::testing {

// The detail of type T in `s`'s details, if there is one.
template <typename T>
std::optional<T> DetailOf(const grpc::Status& s) {
  google::rpc::Status status;
  if (!status.ParseFromString(s.error_details())) return std::nullopt;
  for (const auto& any : status.details()) {
    T detail;
    if (any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

// ErrorInfo.reason, or "" when `s` carries none.
inline std::string ReasonOf(const grpc::Status& s) {
  std::optional<google::rpc::ErrorInfo> info = DetailOf<google::rpc::ErrorInfo>(s);
  return info ? info->reason() : std::string();
}

// The first BadRequest field violation's field, or "".
inline std::string BadFieldOf(const grpc::Status& s) {
  std::optional<google::rpc::BadRequest> bad = DetailOf<google::rpc::BadRequest>(s);
  return bad && bad->field_violations_size() > 0 ? bad->field_violations(0).field() : std::string();
}

// The RetryInfo delay; -1s when there is none.
inline absl::Duration RetryDelayOf(const grpc::Status& s) {
  std::optional<google::rpc::RetryInfo> retry = DetailOf<google::rpc::RetryInfo>(s);
  if (!retry) return absl::Seconds(-1);
  return absl::Seconds(retry->retry_delay().seconds()) + absl::Nanoseconds(retry->retry_delay().nanos());
}

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_INTEGRATION_ERROR_DETAILS_H_
