#include "common/grpc/call_limits.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/error_details.h"
#include "common/grpc/status.h"
#include "common/grpc/transport_security.h"

namespace handoff {
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
  return CallerError(WithRetryDelay(WithReason(absl::ResourceExhaustedError(message), reason::kRateLimited), delay));
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
    *refused = CallerError(WithReason(
        absl::ResourceExhaustedError(absl::StrCat(open, " Watch streams are open on this connection, the most "
                                                        "allowed (--max_watch_per_connection): close one first")),
        reason::kTooManyStreams));
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
  return CallerError(WithReason(absl::InvalidArgumentError(absl::StrCat(
                                    method, " needs a deadline: it may run long; set one on the call (for example 60s)")),
                                reason::kDeadlineRequired));
}

}  // namespace handoff
