#ifndef HANDOFF_COMMON_GRPC_AUTHORIZATION_POLICY_H_
#define HANDOFF_COMMON_GRPC_AUTHORIZATION_POLICY_H_

// Per-method authorization policies in the JSON format of gRFC A43 (the gRPC
// authorization policy), and a watcher that re-reads the policy file.
//
// Why our own evaluator: gRPC 1.51 declares grpc::experimental::
// FileWatcherAuthorizationPolicyProvider, but Debian 12 does not ship the library that
// implements it (grpc_authorization_provider), so linking it fails. The format, the
// deny-first/default-deny evaluation and the reload semantics follow A43, restricted to
// what these services need: `source.principals` and `request.paths`. A policy that uses
// anything else (`request.headers`, unknown fields) is refused, never half-enforced.
//
//   {
//     "name": "marketing-service",
//     "deny_rules":  [ RULE... ],      optional; evaluated first: a match denies
//     "allow_rules": [ RULE... ]       required; a match allows; no match denies
//   }
//   RULE = {"name": "...",
//           "source":  {"principals": ["spiffe://handoff.local/ops", ...]},   optional
//           "request": {"paths": ["/pkg.Service/Method", "/pkg.Service/*", ...]}}  optional
//
// Matching (as A43): a string "x" matches exactly, "x*" by prefix, "*x" by suffix, "*"
// anything non-empty. A path is the call's "/package.Service/Method". A principal
// matches a caller whose verified client certificate has a URI SAN, a DNS SAN, or a
// subject (RFC 2253) it matches; callers without a verified certificate match only
// rules without "source". A rule without "source" matches every caller, one without
// "request" every method; an empty list is refused (it would read as "nobody").

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace handoff {

// Who is calling, as the TLS handshake established it.
struct PeerIdentity {
  bool authenticated = false;  // a client certificate was presented and verified
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;
  std::string subject;

  // The identity for messages: the first URI SAN, else DNS SAN, else subject, else
  // "an unauthenticated caller".
  std::string Describe() const;
};

class AuthorizationPolicy {
 public:
  struct Decision {
    bool allowed = false;
    std::string rule;  // the rule that decided; empty when no rule matched (default deny)
  };

  // Parses an A43 policy. INVALID_ARGUMENT naming the field that is wrong.
  static absl::StatusOr<AuthorizationPolicy> Parse(absl::string_view json);

  Decision Evaluate(absl::string_view path, const PeerIdentity& peer) const;
  const std::string& name() const { return name_; }

  // One rule as parsed (empty lists stand for "any").
  struct Rule {
    std::string name;
    std::vector<std::string> principals;  // empty: every caller
    std::vector<std::string> paths;       // empty: every method

    bool Matches(absl::string_view path, const PeerIdentity& peer) const;
  };

 private:
  std::string name_;
  std::vector<Rule> deny_;
  std::vector<Rule> allow_;
};

// Reads a policy file at start (an error is returned: the process should not start) and
// then every `interval` on a thread of its own: a changed file that parses replaces the
// policy; one that does not is logged under `component` and the last good policy stays.
class PolicyWatcher {
 public:
  static absl::StatusOr<std::shared_ptr<PolicyWatcher>> Start(std::string path, absl::Duration interval,
                                                              std::string component);
  ~PolicyWatcher();
  PolicyWatcher(const PolicyWatcher&) = delete;
  PolicyWatcher& operator=(const PolicyWatcher&) = delete;

  std::shared_ptr<const AuthorizationPolicy> current() const;
  const std::string& path() const { return path_; }

 private:
  PolicyWatcher(std::string path, absl::Duration interval, std::string component);
  void Loop();
  void Reload();

  const std::string path_;
  const absl::Duration interval_;
  const std::string component_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AuthorizationPolicy> policy_ ABSL_GUARDED_BY(mu_);
  std::string text_;        // of the file last read (only the watcher thread touches it)
  std::string last_error_;  // logged once per distinct error
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_AUTHORIZATION_POLICY_H_
