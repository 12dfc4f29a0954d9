#include "common/grpc/call_limits.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/grpc/transport_security.h"

namespace handoff {
namespace {

using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

// Field numbers of google.rpc.Status and google.rpc.RetryInfo (google/rpc/status.proto,
// google/rpc/error_details.proto): the wire contract clients decode.
constexpr int kStatusCode = 1;
constexpr int kStatusMessage = 2;
constexpr int kStatusDetails = 3;
constexpr int kRetryInfoRetryDelay = 1;

void WriteBytesField(CodedOutputStream& out, int field, const std::string& bytes) {
  out.WriteTag(static_cast<uint32_t>(field << 3 | 2));  // length-delimited
  out.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  out.WriteString(bytes);
}

}  // namespace

std::string CallerPrincipal(const grpc::ServerContextBase& context) {
  if (const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context(); auth != nullptr) {
    const PeerIdentity peer = PeerIdentityOf(*auth);
    if (peer.authenticated) {
      std::string name = peer.Describe();  // first URI SAN, else DNS SAN, else subject
      if (!name.empty()) return name;
    }
  }
  // "ipv4:127.0.0.1:54321" -> "127.0.0.1"; "ipv6:[::1]:54321" -> "::1".
  const std::string peer = context.peer();
  absl::string_view address = peer;
  for (absl::string_view scheme : {"ipv4:", "ipv6:", "unix:"}) {
    if (absl::ConsumePrefix(&address, scheme)) break;
  }
  return "ip:" + AddressHost(address);
}

std::string RetryInfoDetails(grpc::StatusCode code, const std::string& message, absl::Duration retry_delay) {
  google::protobuf::Duration delay;
  const int64_t micros = std::max<int64_t>(0, absl::ToInt64Microseconds(retry_delay));
  delay.set_seconds(micros / 1000000);
  delay.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  std::string retry_info;
  {
    StringOutputStream stream(&retry_info);
    CodedOutputStream out(&stream);
    WriteBytesField(out, kRetryInfoRetryDelay, delay.SerializeAsString());
  }
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/google.rpc.RetryInfo");
  any.set_value(retry_info);
  std::string status;
  {
    StringOutputStream stream(&status);
    CodedOutputStream out(&stream);
    out.WriteTag(kStatusCode << 3);  // varint
    out.WriteVarint32(static_cast<uint32_t>(code));
    WriteBytesField(out, kStatusMessage, message);
    WriteBytesField(out, kStatusDetails, any.SerializeAsString());
  }
  return status;
}

CallLimits::CallLimits(CallLimitOptions options)
    : options_(options), burst_(options.burst > 0 ? options.burst : std::max(1.0, 2 * options.rate)) {}

grpc::Status CallLimits::Admit(const grpc::ServerContextBase& context, absl::Time now) {
  if (options_.rate <= 0) return grpc::Status::OK;
  return AdmitPrincipal(CallerPrincipal(context), now);
}

grpc::Status CallLimits::AdmitPrincipal(const std::string& principal, absl::Time now) {
  if (options_.rate <= 0) return grpc::Status::OK;
  double missing;
  {
    absl::MutexLock lock(&mu_);
    if (buckets_.size() > 10000) DropIdleBuckets(now);
    auto [it, fresh] = buckets_.try_emplace(principal, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * options_.rate);
      b.last = std::max(b.last, now);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return grpc::Status::OK;
    }
    missing = 1 - b.tokens;
  }
  const absl::Duration delay = absl::Microseconds(std::ceil(missing / options_.rate * 1e6));
  const std::string message =
      absl::StrFormat("%s is over its rate limit of %g calls/s (burst %g): retry in %s", principal, options_.rate,
                      burst_, absl::FormatDuration(delay));
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message,
                      RetryInfoDetails(grpc::StatusCode::RESOURCE_EXHAUSTED, message, delay));
}

void CallLimits::DropIdleBuckets(absl::Time now) {
  // A bucket that has refilled completely holds no state worth keeping.
  const absl::Duration refill = absl::Seconds(burst_ / options_.rate);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.last > refill) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
}

std::unique_ptr<CallLimits::WatchSlot> CallLimits::AcquireWatch(const grpc::ServerContextBase& context,
                                                                 grpc::Status* refused) {
  const std::string connection = context.peer();
  absl::MutexLock lock(&mu_);
  int& open = watches_[connection];
  if (open >= options_.max_watch_per_connection) {
    *refused = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat(open, " Watch streams are open on this connection, the most allowed "
                                               "(--max_watch_per_connection): close one first"));
    if (open == 0) watches_.erase(connection);
    return nullptr;
  }
  ++open;
  return std::make_unique<WatchSlot>(this, connection);
}

void CallLimits::ReleaseWatch(const std::string& connection) {
  absl::MutexLock lock(&mu_);
  auto it = watches_.find(connection);
  if (it == watches_.end()) return;
  if (--it->second <= 0) watches_.erase(it);
}

CallLimits::WatchSlot::~WatchSlot() { limits_->ReleaseWatch(connection_); }

grpc::Status RequireDeadline(const grpc::ServerContextBase& context, const char* method) {
  if (context.deadline() != std::chrono::system_clock::time_point::max()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat(method, " needs a deadline: it may run long; set one on the call (for example 60s)"));
}

}  // namespace handoff
