#include "common/grpc/acting_rep.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/error_details.h"
#include "common/grpc/status.h"

namespace handoff {
namespace {

// "reps/" and 1 to 64 lower-case letters, digits, '-' or '_' (the form of our ids).
bool IsRepName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "reps/") || name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

grpc::Status ActingRepPolicy::ActorOf(const grpc::ServerContextBase& context, const std::string& principal,
                                      std::string* actor) const {
  actor->clear();
  const auto& metadata = context.client_metadata();
  const auto [first, last] = metadata.equal_range(kActorMetadata);
  if (first == last) return grpc::Status::OK;
  if (std::next(first) != last) {
    return CallerError(absl::InvalidArgumentError("x-handoff-actor: give it once"));
  }
  if (trusted_.count(principal) == 0) {
    return CallerError(WithReason(
        absl::PermissionDeniedError(absl::StrCat(principal, " may not act for a rep (x-handoff-actor): it is not "
                                                            "among --trusted_actor_principals")),
        reason::kActorNotTrusted));
  }
  const absl::string_view value(first->second.data(), first->second.size());
  if (!IsRepName(value)) {
    return CallerError(absl::InvalidArgumentError("x-handoff-actor: must be \"reps/{id}\""));
  }
  *actor = std::string(value);
  return grpc::Status::OK;
}

}  // namespace handoff
