#include "handoffctl/cli_context.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/grpc/channel.h"
#include "common/grpc/transport_security.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace handoff::ctl {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, "=", path, ": cannot be read"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* NameOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

}  // namespace

std::string CodeName(int code) { return NameOf(static_cast<grpc::StatusCode>(code)); }

absl::Status Context::Validate() {
  if (!absl::ParseDuration(options_.deadline, &deadline_) || deadline_ <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--deadline=", options_.deadline, ": not a positive duration (e.g. 10s, 2m)"));
  }
  if (options_.output == "table") {
    format_ = OutputFormat::kTable;
  } else if (options_.output == "json") {
    format_ = OutputFormat::kJson;
  } else if (options_.output == "csv") {
    format_ = OutputFormat::kCsv;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--output=", options_.output, ": one of table, json, csv"));
  }
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together (the client's certificate and key)");
  }
  if (!options_.tls_ca.empty() || !options_.tls_cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!options_.tls_ca.empty()) {
      absl::StatusOr<std::string> ca = ReadFile(options_.tls_ca, "--tls_ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options_.tls_cert.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(options_.tls_cert, "--tls_cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile(options_.tls_key, "--tls_key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    tls_ = grpc::SslCredentials(ssl);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Context::Channel(const std::string& address, const char* flag) {
  if (!valid_.has_value()) valid_ = Validate();
  if (!valid_->ok()) return *valid_;
  if (address.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " is empty: give HOST:PORT"));
  if (tls_ != nullptr) return MakeServiceChannel(address, tls_);
  if (!options_.plaintext && !IsLoopbackTarget(address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, "=", address, ": plaintext only to loopback addresses; give --tls_ca (and --tls_cert, --tls_key for "
        "mutual TLS), or --plaintext on a network you trust"));
  }
  return MakeServiceChannel(address, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Context::Call(absl::Duration deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + std::max(deadline, deadline_)));
  return ctx;
}

std::string DescribeStatus(const grpc::Status& status) {
  std::string reason, field;
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      google::rpc::ErrorInfo info;
      google::rpc::BadRequest bad;
      if (any.UnpackTo(&info)) {
        reason = info.reason();
      } else if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) {
        field = bad.field_violations(0).field();
      }
    }
  }
  std::string out = NameOf(status.error_code());
  if (!reason.empty() || !field.empty()) {
    absl::StrAppend(&out, " [", reason, !reason.empty() && !field.empty() ? ", " : "", field, "]");
  }
  absl::StrAppend(&out, ": ", status.error_message());
  return out;
}

int CallFailed(Context& ctx, const std::string& doing, const grpc::Status& status) {
  ctx.err() << "handoffctl: " << doing << ": " << DescribeStatus(status) << "\n";
  return kExitCallFailed;
}

int Failed(Context& ctx, const absl::Status& status, int exit_code) {
  ctx.err() << "handoffctl: " << status.message() << "\n";
  return exit_code;
}

}  // namespace handoff::ctl
