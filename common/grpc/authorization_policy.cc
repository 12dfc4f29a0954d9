#include "common/grpc/authorization_policy.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace handoff {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Invalid(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// Refuses fields the policy format (or this evaluator) does not know: a typo or an
// unsupported matcher must not silently widen or narrow the policy.
absl::Status OnlyKnownFields(const Struct& object, const std::string& field, const std::set<std::string>& known) {
  for (const auto& [key, value] : object.fields()) {
    if (known.count(key) == 0) {
      return Invalid(field.empty() ? key : absl::StrCat(field, ".", key),
                     key == "headers" ? "header matching is not supported by this service"
                                      : "unknown field (see the policy format in docs/security.md)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NonEmptyString(const Struct& object, const std::string& key, const std::string& field) {
  auto it = object.fields().find(key);
  if (it == object.fields().end()) return Invalid(field, "is required");
  if (it->second.kind_case() != Value::kStringValue || it->second.string_value().empty()) {
    return Invalid(field, "must be a non-empty string");
  }
  return it->second.string_value();
}

// An optional list of match strings; absent = empty (any).
absl::StatusOr<std::vector<std::string>> MatchList(const Struct& object, const std::string& key,
                                                   const std::string& field) {
  std::vector<std::string> out;
  auto it = object.fields().find(key);
  if (it == object.fields().end()) return out;
  if (it->second.kind_case() != Value::kListValue) return Invalid(field, "must be a list of strings");
  if (it->second.list_value().values().empty()) {
    return Invalid(field, "is empty (leave it out to match everything)");
  }
  for (int i = 0; i < it->second.list_value().values_size(); ++i) {
    const Value& v = it->second.list_value().values(i);
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (v.kind_case() != Value::kStringValue || v.string_value().empty()) {
      return Invalid(item, "must be a non-empty string");
    }
    const std::string& s = v.string_value();
    // "*" alone, or one '*' at either end: A43 has no other wildcards.
    const size_t star = s.find('*');
    if (star != std::string::npos && s != "*" && !(star == 0 && s.find('*', 1) == std::string::npos) &&
        !(star == s.size() - 1)) {
      return Invalid(item, "'*' may only stand alone, at the start or at the end");
    }
    out.push_back(s);
  }
  return out;
}

absl::StatusOr<const Struct*> OptionalObject(const Struct& object, const std::string& key, const std::string& field) {
  auto it = object.fields().find(key);
  if (it == object.fields().end()) return nullptr;
  if (it->second.kind_case() != Value::kStructValue) return Invalid(field, "must be an object");
  return &it->second.struct_value();
}

// The match list `list` of the optional object `key` of a rule ("source" -> "principals",
// "request" -> "paths"); left empty (any) when the object is absent.
absl::Status OptionalMatchList(const Struct& rule, const std::string& key, const std::string& list,
                               const std::string& field, std::vector<std::string>& out) {
  const std::string object_field = absl::StrCat(field, ".", key);
  absl::StatusOr<const Struct*> object = OptionalObject(rule, key, object_field);
  if (!object.ok()) return object.status();
  if (*object == nullptr) return absl::OkStatus();
  if (absl::Status s = OnlyKnownFields(**object, object_field, {list}); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> matches = MatchList(**object, list, absl::StrCat(object_field, ".", list));
  if (!matches.ok()) return matches.status();
  out = *std::move(matches);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuthorizationPolicy::Rule>> ParseRules(const Struct& policy, const std::string& key,
                                                                   bool required, std::set<std::string>& names) {
  std::vector<AuthorizationPolicy::Rule> rules;
  auto it = policy.fields().find(key);
  if (it == policy.fields().end()) {
    if (required) return Invalid(key, "is required (with no allow rule every call is denied)");
    return rules;
  }
  if (it->second.kind_case() != Value::kListValue) return Invalid(key, "must be a list of rules");
  if (required && it->second.list_value().values().empty()) return Invalid(key, "has no rule");
  for (int i = 0; i < it->second.list_value().values_size(); ++i) {
    const std::string field = absl::StrCat(key, "[", i, "]");
    const Value& v = it->second.list_value().values(i);
    if (v.kind_case() != Value::kStructValue) return Invalid(field, "must be an object");
    const Struct& r = v.struct_value();
    if (absl::Status s = OnlyKnownFields(r, field, {"name", "source", "request"}); !s.ok()) return s;
    AuthorizationPolicy::Rule rule;
    absl::StatusOr<std::string> name = NonEmptyString(r, "name", field + ".name");
    if (!name.ok()) return name.status();
    if (!names.insert(*name).second) return Invalid(field + ".name", absl::StrCat("\"", *name, "\" is used twice"));
    rule.name = *name;
    if (absl::Status s = OptionalMatchList(r, "source", "principals", field, rule.principals); !s.ok()) return s;
    if (absl::Status s = OptionalMatchList(r, "request", "paths", field, rule.paths); !s.ok()) return s;
    rules.push_back(std::move(rule));
  }
  return rules;
}

bool MatchOne(absl::string_view pattern, absl::string_view value) {
  if (value.empty()) return false;
  if (pattern == "*") return true;
  if (absl::StartsWith(pattern, "*")) return absl::EndsWith(value, pattern.substr(1));
  if (absl::EndsWith(pattern, "*")) return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  return pattern == value;
}

bool MatchAny(const std::vector<std::string>& patterns, absl::string_view value) {
  for (const std::string& p : patterns) {
    if (MatchOne(p, value)) return true;
  }
  return false;
}

}  // namespace

std::string PeerIdentity::Describe() const {
  if (!authenticated) return "an unauthenticated caller";
  if (!uri_sans.empty()) return uri_sans.front();
  if (!dns_sans.empty()) return dns_sans.front();
  return subject;
}

bool AuthorizationPolicy::Rule::Matches(absl::string_view path, const PeerIdentity& peer) const {
  if (!paths.empty() && !MatchAny(paths, path)) return false;
  if (principals.empty()) return true;
  if (!peer.authenticated) return false;
  for (const std::string& san : peer.uri_sans) {
    if (MatchAny(principals, san)) return true;
  }
  for (const std::string& san : peer.dns_sans) {
    if (MatchAny(principals, san)) return true;
  }
  return MatchAny(principals, peer.subject);
}

absl::StatusOr<AuthorizationPolicy> AuthorizationPolicy::Parse(absl::string_view json) {
  Value root;
  google::protobuf::util::JsonParseOptions options;
  const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json), &root, options);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("not JSON: ", parsed.message().as_string()));
  if (root.kind_case() != Value::kStructValue) return absl::InvalidArgumentError("the policy must be a JSON object");
  const Struct& policy = root.struct_value();
  if (absl::Status s = OnlyKnownFields(policy, "", {"name", "deny_rules", "allow_rules"}); !s.ok()) return s;
  AuthorizationPolicy out;
  absl::StatusOr<std::string> name = NonEmptyString(policy, "name", "name");
  if (!name.ok()) return name.status();
  out.name_ = *name;
  std::set<std::string> names;
  absl::StatusOr<std::vector<Rule>> deny = ParseRules(policy, "deny_rules", /*required=*/false, names);
  if (!deny.ok()) return deny.status();
  absl::StatusOr<std::vector<Rule>> allow = ParseRules(policy, "allow_rules", /*required=*/true, names);
  if (!allow.ok()) return allow.status();
  out.deny_ = *std::move(deny);
  out.allow_ = *std::move(allow);
  return out;
}

AuthorizationPolicy::Decision AuthorizationPolicy::Evaluate(absl::string_view path, const PeerIdentity& peer) const {
  for (const Rule& r : deny_) {
    if (r.Matches(path, peer)) return {false, r.name};
  }
  for (const Rule& r : allow_) {
    if (r.Matches(path, peer)) return {true, r.name};
  }
  return {false, ""};
}

namespace {

absl::StatusOr<std::string> ReadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

PolicyWatcher::PolicyWatcher(std::string path, absl::Duration interval, std::string component)
    : path_(std::move(path)), interval_(interval), component_(std::move(component)) {}

absl::StatusOr<std::shared_ptr<PolicyWatcher>> PolicyWatcher::Start(std::string path, absl::Duration interval,
                                                                    std::string component) {
  std::shared_ptr<PolicyWatcher> watcher(new PolicyWatcher(std::move(path), interval, std::move(component)));
  absl::StatusOr<std::string> text = ReadPolicyFile(watcher->path_);
  if (!text.ok()) return absl::InvalidArgumentError(absl::StrCat("--authz_policy=", watcher->path_, ": cannot be read"));
  absl::StatusOr<AuthorizationPolicy> policy = AuthorizationPolicy::Parse(*text);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--authz_policy=", watcher->path_, ": ", policy.status().message()));
  }
  watcher->text_ = *std::move(text);
  watcher->policy_ = std::make_shared<const AuthorizationPolicy>(*std::move(policy));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Loop(); });
  return watcher;
}

PolicyWatcher::~PolicyWatcher() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const AuthorizationPolicy> PolicyWatcher::current() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

void PolicyWatcher::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) Reload();
}

void PolicyWatcher::Reload() {
  absl::StatusOr<std::string> text = ReadPolicyFile(path_);
  std::string error;
  if (!text.ok()) {
    error = "cannot be read";
  } else if (*text == text_) {
    return;
  } else if (absl::StatusOr<AuthorizationPolicy> policy = AuthorizationPolicy::Parse(*text); !policy.ok()) {
    error = std::string(policy.status().message());
  } else {
    text_ = *text;
    last_error_.clear();
    const std::string name = policy->name();
    {
      absl::MutexLock lock(&mu_);
      policy_ = std::make_shared<const AuthorizationPolicy>(*std::move(policy));
    }
    LogInfo(component_, absl::StrCat("authorization policy \"", name, "\" reloaded from ", path_));
    return;
  }
  if (error != last_error_) {
    LogWarning(component_, absl::StrCat("authorization policy ", path_, " not reloaded, keeping the last good one: ", error));
    last_error_ = error;
  }
}

}  // namespace handoff
