// libFuzzer target: the authorization policy file (an operator's JSON, re-read while the
// service runs) and the addresses the loopback rule reads. Any text must parse to a policy
// or to INVALID_ARGUMENT naming what is wrong; a parsed policy must decide every call, and
// the same call the same way twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/grpc/authorization_policy.h"
#include "common/grpc/transport_security.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)handoff::IsLoopbackTarget(text);
  (void)handoff::ParseClientAuth(text);
  absl::StatusOr<handoff::AuthorizationPolicy> policy = handoff::AuthorizationPolicy::Parse(text);
  if (!policy.ok()) {
    if (policy.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  handoff::PeerIdentity ops_peer;
  ops_peer.authenticated = true;
  ops_peer.uri_sans = {"spiffe://handoff.local/ops"};
  ops_peer.dns_sans = {"localhost"};
  ops_peer.subject = "CN=ops,O=Handoff dev";
  const handoff::PeerIdentity& ops = ops_peer;
  const handoff::PeerIdentity anonymous;
  for (const char* path : {"/handoff.marketing.v1.LeadService/CaptureLead", "/grpc.health.v1.Health/Check", "/x/y", ""}) {
    for (const handoff::PeerIdentity* peer : {&ops, &anonymous}) {
      const auto first = policy->Evaluate(path, *peer);
      const auto second = policy->Evaluate(path, *peer);
      if (first.allowed != second.allowed || first.rule != second.rule) std::abort();
    }
  }
  return 0;
}
