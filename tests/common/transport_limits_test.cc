#include "common/grpc/authorization_policy.h"

#include <string>

#include "common/error_details.h"
#include "common/grpc/call_limits.h"
#include "common/grpc/status.h"
#include "common/grpc/transport_security.h"
#include "gtest/gtest.h"

namespace handoff {
namespace {

PeerIdentity Peer(const std::string& uri) {
  PeerIdentity p;
  p.authenticated = true;
  p.uri_sans = {uri};
  p.dns_sans = {"localhost"};
  p.subject = "CN=x,O=Handoff dev";
  return p;
}

constexpr const char* kPolicy = R"({
  "name": "test",
  "deny_rules": [{"name": "no-sales-budgets", "source": {"principals": ["spiffe://h/sales"]},
                  "request": {"paths": ["/p.Campaigns/*"]}}],
  "allow_rules": [
    {"name": "health", "request": {"paths": ["/grpc.health.v1.Health/*"]}},
    {"name": "everyone-known-reads", "source": {"principals": ["spiffe://h/*"]},
     "request": {"paths": ["/p.Campaigns/Get*", "*/ListThings"]}},
    {"name": "ops-all", "source": {"principals": ["spiffe://h/ops"]}}
  ]
})";

TEST(AuthorizationPolicy, DenyRulesComeFirstAndNoMatchDenies) {
  absl::StatusOr<AuthorizationPolicy> p = AuthorizationPolicy::Parse(kPolicy);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name(), "test");
  const PeerIdentity sales = Peer("spiffe://h/sales");
  const PeerIdentity ops = Peer("spiffe://h/ops");
  // Sales matches the read rule too, but the deny rule wins.
  AuthorizationPolicy::Decision d = p->Evaluate("/p.Campaigns/GetCampaign", sales);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "no-sales-budgets");
  d = p->Evaluate("/q.Other/ListThings", sales);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "everyone-known-reads");
  d = p->Evaluate("/q.Other/Update", sales);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "");  // default deny
  EXPECT_TRUE(p->Evaluate("/q.Other/Update", ops).allowed);       // a rule without "request"
  EXPECT_TRUE(p->Evaluate("/p.Campaigns/GetCampaign", ops).allowed);
  EXPECT_FALSE(p->Evaluate("/p.Campaigns/GetCampaignX", Peer("spiffe://other/ops")).allowed);
}

TEST(AuthorizationPolicy, AnUnauthenticatedCallerMatchesOnlyRulesWithoutASource) {
  absl::StatusOr<AuthorizationPolicy> p = AuthorizationPolicy::Parse(kPolicy);
  ASSERT_TRUE(p.ok());
  PeerIdentity anonymous;
  EXPECT_TRUE(p->Evaluate("/grpc.health.v1.Health/Check", anonymous).allowed);
  EXPECT_FALSE(p->Evaluate("/q.Other/ListThings", anonymous).allowed);
  // Principals match DNS SANs and the subject as well as URI SANs.
  PeerIdentity dns;
  dns.authenticated = true;
  dns.dns_sans = {"ops.example"};
  absl::StatusOr<AuthorizationPolicy> q = AuthorizationPolicy::Parse(
      R"({"name": "n", "allow_rules": [{"name": "r", "source": {"principals": ["*.example", "CN=z"]}}]})");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->Evaluate("/a/b", dns).allowed);
  PeerIdentity subject;
  subject.authenticated = true;
  subject.subject = "CN=z";
  EXPECT_TRUE(q->Evaluate("/a/b", subject).allowed);
  subject.subject = "CN=y";
  EXPECT_FALSE(q->Evaluate("/a/b", subject).allowed);
}

TEST(AuthorizationPolicy, BadPoliciesAreRefusedWithTheFieldNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"{", "not JSON"},
      {"[]", "must be a JSON object"},
      {R"({"allow_rules": [{"name": "r"}]})", "name: is required"},
      {R"({"name": "n"})", "allow_rules: is required"},
      {R"({"name": "n", "allow_rules": []})", "allow_rules: has no rule"},
      {R"({"name": "n", "allow_rules": [{"name": "r"}], "audit": 1})", "audit: unknown field"},
      {R"({"name": "n", "allow_rules": [{"source": {}}]})", "allow_rules[0].name: is required"},
      {R"({"name": "n", "allow_rules": [{"name": "r"}, {"name": "r"}]})", "allow_rules[1].name: \"r\" is used twice"},
      {R"({"name": "n", "allow_rules": [{"name": "r", "request": {"headers": []}}]})",
       "allow_rules[0].request.headers: header matching is not supported"},
      {R"({"name": "n", "allow_rules": [{"name": "r", "source": {"principals": []}}]})",
       "allow_rules[0].source.principals: is empty"},
      {R"({"name": "n", "allow_rules": [{"name": "r", "request": {"paths": ["/a/*b"]}}]})",
       "allow_rules[0].request.paths[0]: '*' may only stand alone"},
      {R"({"name": "n", "allow_rules": [{"name": "r", "request": {"paths": [7]}}]})",
       "allow_rules[0].request.paths[0]: must be a non-empty string"},
      {R"({"name": "n", "deny_rules": {}, "allow_rules": [{"name": "r"}]})", "deny_rules: must be a list"},
  };
  for (const auto& [json, says] : cases) {
    absl::StatusOr<AuthorizationPolicy> p = AuthorizationPolicy::Parse(json);
    ASSERT_FALSE(p.ok()) << json;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_NE(p.status().message().find(says), std::string::npos) << json << " -> " << p.status();
  }
}

TEST(TransportSecurity, LoopbackTargetsAreRecognisedInEveryAddressForm) {
  for (const char* target : {"127.0.0.1:50051", "127.8.9.1:1", "localhost:50051", "LOCALHOST:1", "[::1]:50052",
                             "::1", "ipv4:127.0.0.1:1,127.0.0.2:2", "ipv6:[::1]:3", "dns:///localhost:50051",
                             "dns://8.8.8.8/localhost:1"}) {
    EXPECT_TRUE(IsLoopbackTarget(target)) << target;
  }
  for (const char* target : {"0.0.0.0:50051", "[::]:50051", "10.0.0.1:1", "sales:50052", "ipv4:127.0.0.1:1,10.0.0.2:2",
                             "dns:///sales.example.com:443", "", "128.0.0.1:1", "localhost.example.com:1"}) {
    EXPECT_FALSE(IsLoopbackTarget(target)) << target;
  }
}

TEST(TransportSecurity, ClientAuthModesParseAndOthersAreRefused) {
  EXPECT_EQ(*ParseClientAuth("none"), ClientAuth::kNone);
  EXPECT_EQ(*ParseClientAuth("request"), ClientAuth::kRequest);
  EXPECT_EQ(*ParseClientAuth("require"), ClientAuth::kRequire);
  EXPECT_FALSE(ParseClientAuth("REQUIRE").ok());
  EXPECT_FALSE(ParseClientAuth("").ok());
}

TEST(TransportSecurity, PlaintextOffLoopbackAndPolicyWithoutTlsAreRefused) {
  TransportSecurityOptions o;
  absl::StatusOr<TransportSecurity> s = TransportSecurity::Create(o, "0.0.0.0:1", "127.0.0.1:2");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("--plaintext"), std::string::npos) << s.status();
  o.plaintext = true;
  EXPECT_TRUE(TransportSecurity::Create(o, "0.0.0.0:1", "sales:2").ok());
  o.plaintext = false;
  EXPECT_TRUE(TransportSecurity::Create(o, "127.0.0.1:1", "[::1]:2").ok());
  o.authz_policy_file = "/nonexistent.json";
  s = TransportSecurity::Create(o, "127.0.0.1:1", "127.0.0.1:2");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("needs TLS"), std::string::npos) << s.status();
  o = TransportSecurityOptions();
  o.key_file = "k.pem";
  EXPECT_FALSE(TransportSecurity::Create(o, "127.0.0.1:1", "127.0.0.1:2").ok());
  o = TransportSecurityOptions();
  o.refresh_interval = absl::Milliseconds(10);
  EXPECT_FALSE(TransportSecurity::Create(o, "127.0.0.1:1", "127.0.0.1:2").ok());
}

}  // namespace
}  // namespace handoff

namespace handoff {
namespace {

TEST(CallLimits, EachPrincipalHasABucketThatRefillsAtTheRate) {
  CallLimitOptions o;
  o.rate = 10;
  o.burst = 3;
  CallLimits limits(o);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limits.AdmitPrincipal("a", t0).ok()) << i;
  const grpc::Status over = limits.AdmitPrincipal("a", t0);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(over.error_message().find("a is over its rate limit of 10 calls/s (burst 3): retry in 100ms"),
            std::string::npos)
      << over.error_message();
  EXPECT_FALSE(over.error_details().empty());
  EXPECT_TRUE(limits.AdmitPrincipal("b", t0).ok());                             // its own bucket
  EXPECT_FALSE(limits.AdmitPrincipal("a", t0 + absl::Milliseconds(50)).ok());  // half a token
  EXPECT_TRUE(limits.AdmitPrincipal("a", t0 + absl::Milliseconds(100)).ok());
  // Idle for long, the bucket holds the burst, not more.
  const absl::Time later = t0 + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limits.AdmitPrincipal("a", later).ok()) << i;
  EXPECT_FALSE(limits.AdmitPrincipal("a", later).ok());
}

TEST(CallLimits, ARateOfZeroAdmitsEverythingAndTheDefaultBurstIsTwiceTheRate) {
  CallLimitOptions off;
  off.rate = 0;
  CallLimits unlimited(off);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(unlimited.AdmitPrincipal("a", t0).ok());
  CallLimitOptions o;
  o.rate = 2;
  CallLimits limits(o);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limits.AdmitPrincipal("a", t0).ok()) << i;
  EXPECT_FALSE(limits.AdmitPrincipal("a", t0).ok());
}

TEST(CallLimits, RefusalSaysRateLimitedAndWhenToRetry) {
  CallLimitOptions o;
  o.rate = 2;  // burst 4
  CallLimits limits(o);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(limits.AdmitPrincipal("a", t0).ok());
  const absl::Status refused = ToAbslStatus(limits.AdmitPrincipal("a", t0));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(refused), "RATE_LIMITED");
  ASSERT_TRUE(RetryDelayOf(refused).has_value());
  EXPECT_EQ(*RetryDelayOf(refused), absl::Milliseconds(500));  // one token at 2/s
}

}  // namespace
}  // namespace handoff
