#include "common/grpc/status.h"

#include <string>

#include "common/error_details.h"
#include "common/logging.h"
#include "google/rpc/status.pb.h"

namespace handoff {

grpc::Status ToCallerStatus(const absl::Status& status, absl::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message;
  absl::Status told = status;
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    LogError(method, status.ToString());
    message = "internal error: the server logged the details; retrying may not help";
    told = absl::Status(status.code(), message);  // no detail of a bug reaches the caller
  } else {
    message = std::string(status.message());
    if (message.size() > kMaxStatusMessageBytes) {
      size_t cut = kMaxStatusMessageBytes;
      while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
      message.resize(cut);
      message += "...";
    }
  }
  google::rpc::Status details;
  FillRpcStatus(told, message, details);
  return grpc::Status(code, message, details.SerializeAsString());
}

grpc::Status CallerError(const absl::Status& status) { return ToCallerStatus(status, "transport"); }

absl::Status ToAbslStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return StatusFromRpc(static_cast<absl::StatusCode>(status.error_code()), status.error_message(),
                       status.error_details());
}

}  // namespace handoff
