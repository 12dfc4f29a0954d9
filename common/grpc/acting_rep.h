#ifndef HANDOFF_COMMON_GRPC_ACTING_REP_H_
#define HANDOFF_COMMON_GRPC_ACTING_REP_H_

// Calls made on behalf of a rep (OWASP API1, object-level authorization): a front end
// that serves reps says which rep a call acts for in the metadata `x-handoff-actor:
// reps/{id}`. Only callers trusted to assert actors (--trusted_actor_principals) may send
// it; the service then lets the call change only what that rep may (sales: opportunities
// assigned to the rep), and records the rep in the audit log and on activities.

#include <grpcpp/grpcpp.h>

#include <set>
#include <string>
#include <vector>

namespace handoff {

inline constexpr char kActorMetadata[] = "x-handoff-actor";

class ActingRepPolicy {
 public:
  explicit ActingRepPolicy(std::vector<std::string> trusted_principals)
      : trusted_(trusted_principals.begin(), trusted_principals.end()) {}

  // The rep the call acts for ("reps/{id}"), or "" when it names none. PERMISSION_DENIED
  // when `principal` may not assert actors; INVALID_ARGUMENT when the value is not one
  // "reps/{id}".
  grpc::Status ActorOf(const grpc::ServerContextBase& context, const std::string& principal,
                       std::string* actor) const;

 private:
  const std::set<std::string> trusted_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_ACTING_REP_H_
