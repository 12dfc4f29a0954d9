#include "common/error_details.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace handoff {
namespace {

constexpr absl::string_view kTypePrefix = "type.googleapis.com/";

template <typename Message>
std::string TypeUrl() {
  return absl::StrCat(kTypePrefix, Message::descriptor()->full_name());
}

template <typename Message>
std::optional<Message> PayloadOf(const absl::Status& status) {
  auto payload = status.GetPayload(TypeUrl<Message>());
  if (!payload) return std::nullopt;
  Message message;
  if (!message.ParseFromString(std::string(*payload))) return std::nullopt;
  return message;
}

template <typename Message>
void SetPayload(absl::Status& status, const Message& message) {
  status.SetPayload(TypeUrl<Message>(), absl::Cord(message.SerializeAsString()));
}

absl::string_view DefaultReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return reason::kFieldInvalid;
    case absl::StatusCode::kNotFound:
      return reason::kNotFound;
    case absl::StatusCode::kAlreadyExists:
      return reason::kAlreadyExists;
    case absl::StatusCode::kAborted:
      return reason::kTransactionConflict;
    case absl::StatusCode::kUnavailable:
      return reason::kUnavailable;
    case absl::StatusCode::kResourceExhausted:
      return reason::kServerBusy;
    case absl::StatusCode::kPermissionDenied:
      return reason::kMethodDenied;
    case absl::StatusCode::kUnauthenticated:
      return reason::kUnauthenticated;
    default:
      return reason::kInternal;
  }
}

// A request field path: lower-case words joined by dots, with optional [index] parts, or a
// metadata key (x-handoff-actor).
bool LooksLikeFieldPath(absl::string_view word) {
  if (word.empty() || !absl::ascii_islower(static_cast<unsigned char>(word.front()))) return false;
  for (char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (!(absl::ascii_islower(u) || absl::ascii_isdigit(u) || c == '_' || c == '.' || c == '[' ||
          c == ']' || c == '-')) {
      return false;
    }
  }
  return word.back() != '.';
}

}  // namespace

bool IsFinalReason(absl::string_view why) {
  for (absl::string_view r : {reason::kLeadErased, reason::kPersonErased, reason::kDealClosed, reason::kFieldInvalid,
                              reason::kRequestIdReused, reason::kNotFound}) {
    if (why == r) return true;
  }
  return false;
}

bool IsPassingReason(absl::string_view why) {
  for (absl::string_view r : {reason::kOutcomeOutOfOrder, reason::kTransactionConflict, reason::kRateLimited,
                              reason::kServerBusy, reason::kShuttingDown, reason::kUnavailable}) {
    if (why == r) return true;
  }
  return false;
}

absl::Status WithReason(absl::Status status, absl::string_view reason, absl::string_view resource) {
  if (status.ok()) return status;
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  if (!resource.empty()) (*info.mutable_metadata())["resource"] = std::string(resource);
  SetPayload(status, info);
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = PayloadOf<google::rpc::ErrorInfo>(status);
  return info ? info->reason() : std::string();
}

std::string EffectiveReason(const absl::Status& status) {
  std::string reason = ReasonOf(status);
  return reason.empty() ? std::string(DefaultReason(status.code())) : reason;
}

absl::Status WithFieldViolation(absl::Status status, absl::string_view field, absl::string_view description) {
  if (status.ok()) return status;
  google::rpc::BadRequest bad = PayloadOf<google::rpc::BadRequest>(status).value_or(google::rpc::BadRequest());
  google::rpc::BadRequest::FieldViolation* v = bad.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(std::string(description));
  SetPayload(status, bad);
  return status;
}

std::string FieldOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument && status.code() != absl::StatusCode::kOutOfRange) {
    return std::string();
  }
  if (std::optional<google::rpc::BadRequest> bad = PayloadOf<google::rpc::BadRequest>(status);
      bad && bad->field_violations_size() > 0) {
    return bad->field_violations(0).field();
  }
  const absl::string_view text = status.message();
  const absl::string_view first = text.substr(0, text.find_first_of(" :"));
  return LooksLikeFieldPath(first) ? std::string(first) : std::string();
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  google::rpc::RetryInfo retry;
  const int64_t micros = absl::ToInt64Microseconds(delay);
  retry.mutable_retry_delay()->set_seconds(micros / 1'000'000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
  SetPayload(status, retry);
  return status;
}

std::optional<absl::Duration> RetryDelayOf(const absl::Status& status) {
  std::optional<google::rpc::RetryInfo> retry = PayloadOf<google::rpc::RetryInfo>(status);
  if (!retry) return std::nullopt;
  return absl::Seconds(retry->retry_delay().seconds()) + absl::Nanoseconds(retry->retry_delay().nanos());
}

void FillRpcStatus(const absl::Status& status, absl::string_view message, google::rpc::Status& out) {
  out.Clear();
  out.set_code(static_cast<int>(status.code()));
  out.set_message(std::string(message));
  if (status.ok()) return;

  google::rpc::ErrorInfo info = PayloadOf<google::rpc::ErrorInfo>(status).value_or(google::rpc::ErrorInfo());
  if (info.reason().empty()) {
    info.set_reason(std::string(DefaultReason(status.code())));
    info.set_domain(std::string(kErrorDomain));
  }
  const auto resource_it = info.metadata().find("resource");
  std::string resource = resource_it == info.metadata().end() ? std::string() : resource_it->second;
  if (resource.empty() && status.code() == absl::StatusCode::kNotFound) {
    // NOT_FOUND messages start with the missing resource's name: "leads/12 does not exist".
    const absl::string_view first = status.message().substr(0, status.message().find(' '));
    if (first.find('/') != absl::string_view::npos && LooksLikeFieldPath(first.substr(0, first.find('/')))) {
      resource = std::string(first);
      (*info.mutable_metadata())["resource"] = resource;
    }
  }
  out.add_details()->PackFrom(info);

  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: {
      std::optional<google::rpc::BadRequest> bad = PayloadOf<google::rpc::BadRequest>(status);
      if (!bad) {
        if (std::string field = FieldOf(status); !field.empty()) {
          bad.emplace();
          google::rpc::BadRequest::FieldViolation* v = bad->add_field_violations();
          v->set_field(std::move(field));
          v->set_description(std::string(message));
        }
      }
      if (bad) out.add_details()->PackFrom(*bad);
      break;
    }
    case absl::StatusCode::kFailedPrecondition: {
      google::rpc::PreconditionFailure failure;
      google::rpc::PreconditionFailure::Violation* v = failure.add_violations();
      v->set_type(info.reason());
      v->set_subject(resource);
      v->set_description(std::string(message));
      out.add_details()->PackFrom(failure);
      break;
    }
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable: {
      google::rpc::RetryInfo retry = PayloadOf<google::rpc::RetryInfo>(status).value_or(google::rpc::RetryInfo());
      if (!retry.has_retry_delay()) retry.mutable_retry_delay()->set_seconds(1);
      out.add_details()->PackFrom(retry);
      break;
    }
    case absl::StatusCode::kNotFound:
      if (!resource.empty()) {
        google::rpc::ResourceInfo where;
        where.set_resource_type(resource.substr(0, resource.find('/')));
        where.set_resource_name(resource);
        out.add_details()->PackFrom(where);
      }
      break;
    default:
      break;
  }
  if (status.code() != absl::StatusCode::kResourceExhausted && status.code() != absl::StatusCode::kUnavailable) {
    if (std::optional<google::rpc::RetryInfo> retry = PayloadOf<google::rpc::RetryInfo>(status)) {
      out.add_details()->PackFrom(*retry);
    }
  }
}

absl::Status StatusFromRpc(absl::StatusCode code, absl::string_view message, absl::string_view details) {
  absl::Status status(code, message);
  if (status.ok() || details.empty()) return status;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(std::string(details))) return status;
  for (const google::protobuf::Any& any : rpc.details()) {
    if (absl::StartsWith(any.type_url(), kTypePrefix)) status.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return status;
}

}  // namespace handoff
