#include "common/grpc/transport_security.h"

#include <arpa/inet.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/error_details.h"
#include "common/grpc/status.h"

namespace handoff {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Every certificate in a PEM text, in order.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const std::string& flag, const std::string& path,
                                                      const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(x);
  ERR_clear_error();  // the end of the text reads as an error
  if (certs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", path, ": no PEM certificate in it"));
  }
  return certs;
}

absl::Status CheckIdentity(const TransportSecurityOptions& o) {
  absl::StatusOr<std::string> cert_pem = ReadFile("tls_cert", o.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::vector<X509Ptr>> chain = ParseCertificates("tls_cert", o.cert_file, *cert_pem);
  if (!chain.ok()) return chain.status();
  X509* leaf = chain->front().get();
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_cert=", o.cert_file, ": the certificate has expired"));
  }
  absl::StatusOr<std::string> key_pem = ReadFile("tls_key", o.key_file);
  if (!key_pem.ok()) return key_pem.status();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())),
                                               BIO_free);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key=", o.key_file, ": not an unencrypted PEM private key (", OpenSslError(), ")"));
  }
  if (X509_check_private_key(leaf, key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls_key=", o.key_file, " does not belong to the certificate in --tls_cert=",
                                                   o.cert_file));
  }
  return absl::OkStatus();
}

}  // namespace

std::string AddressHost(absl::string_view address) {
  address = absl::StripAsciiWhitespace(address);
  if (absl::ConsumePrefix(&address, "[")) return std::string(address.substr(0, address.find(']')));
  const size_t colon = address.rfind(':');
  // A bare IPv6 address has several colons and no port.
  if (colon != absl::string_view::npos && address.find(':') == colon) address = address.substr(0, colon);
  return std::string(address);
}

PeerIdentity PeerIdentityOf(const grpc::AuthContext& context) {
  PeerIdentity peer;
  auto values = [&context](const char* name) {
    std::vector<std::string> out;
    for (const grpc::string_ref& v : context.FindPropertyValues(name)) out.emplace_back(v.data(), v.size());
    return out;
  };
  // A verified client certificate is what makes the connection's peer authenticated
  // (the x509 properties exist only then).
  peer.authenticated = context.IsPeerAuthenticated() && !values(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty();
  if (!peer.authenticated) return peer;
  peer.uri_sans = values(GRPC_PEER_URI_PROPERTY_NAME);
  peer.dns_sans = values(GRPC_PEER_DNS_PROPERTY_NAME);
  std::vector<std::string> subject = values(GRPC_X509_SUBJECT_PROPERTY_NAME);
  if (!subject.empty()) peer.subject = subject.front();
  return peer;
}

namespace {

bool IsLoopbackHost(const std::string& host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

// Enforces the policy on every call, before its handler: gRPC runs it on the call's
// initial metadata (":path" among it) with the connection's verified peer.
class PolicyProcessor : public grpc::AuthMetadataProcessor {
 public:
  explicit PolicyProcessor(std::shared_ptr<PolicyWatcher> policy) : policy_(std::move(policy)) {}

  // Evaluating is a few string compares: run inline on the call's thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    auto path_it = metadata.find(":path");
    if (path_it == metadata.end()) return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "call without a method path");
    const absl::string_view path(path_it->second.data(), path_it->second.size());
    const PeerIdentity peer = PeerIdentityOf(*context);
    const AuthorizationPolicy::Decision decision = policy_->current()->Evaluate(path, peer);
    if (decision.allowed) return grpc::Status::OK;
    if (!peer.authenticated) {
      return CallerError(absl::UnauthenticatedError(absl::StrCat(path, " needs a client certificate the service trusts")));
    }
    return CallerError(absl::PermissionDeniedError(
        absl::StrCat(peer.Describe(), " may not call ", path,
                     decision.rule.empty() ? " (no rule of the authorization policy allows it)"
                                           : absl::StrCat(" (denied by rule \"", decision.rule, "\")"))));
  }

 private:

  std::shared_ptr<PolicyWatcher> policy_;
};

}  // namespace

absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text) {
  if (text == "none") return ClientAuth::kNone;
  if (text == "request") return ClientAuth::kRequest;
  if (text == "require") return ClientAuth::kRequire;
  return absl::InvalidArgumentError(absl::StrCat("--tls_client_auth=", text, ": must be none, request or require"));
}

bool IsLoopbackTarget(absl::string_view target) {
  if (!absl::ConsumePrefix(&target, "ipv4:") && !absl::ConsumePrefix(&target, "ipv6:")) {
    if (absl::ConsumePrefix(&target, "dns:")) {
      // dns:[//authority/]host:port
      if (absl::ConsumePrefix(&target, "//")) target = target.substr(std::min(target.size(), target.find('/') + 1));
    }
  }
  if (target.empty()) return false;
  for (absl::string_view address : absl::StrSplit(target, ',')) {
    if (!IsLoopbackHost(AddressHost(address))) return false;
  }
  return true;
}

absl::StatusOr<TransportSecurity> TransportSecurity::Create(const TransportSecurityOptions& options,
                                                            const std::string& listen,
                                                            const std::string& peer_address,
                                                            const std::string& component) {
  TransportSecurity security;
  security.options_ = options;
  const TransportSecurityOptions& o = security.options_;
  if (o.refresh_interval < absl::Seconds(1) || o.authz_refresh_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_refresh_interval=", absl::FormatDuration(o.refresh_interval), " and --authz_refresh_interval=",
        absl::FormatDuration(o.authz_refresh_interval), ": both must be at least 1s"));
  }
  if (o.cert_file.empty()) {
    if (!o.key_file.empty() || !o.ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_key and --tls_ca need --tls_cert (this process's certificate)");
    }
    if (!o.plaintext) {
      for (const std::string& address : {listen, peer_address}) {
        if (IsLoopbackTarget(address)) continue;
        return absl::InvalidArgumentError(absl::StrCat(
            "plaintext to or from ", address,
            " (not a loopback address): give --tls_cert, --tls_key and --tls_ca, or --plaintext to accept "
            "unencrypted, unauthenticated calls from the network"));
      }
    }
  } else {
    if (o.plaintext) return absl::InvalidArgumentError("--plaintext and --tls_cert contradict each other: choose one");
    if (o.key_file.empty()) return absl::InvalidArgumentError("--tls_cert needs --tls_key (its private key)");
    if (o.ca_file.empty() && o.client_auth != ClientAuth::kNone) {
      return absl::InvalidArgumentError(
          "--tls_client_auth=request|require needs --tls_ca (the CA that signs callers' certificates)");
    }
    if (absl::Status s = CheckIdentity(o); !s.ok()) return s;
    if (!o.ca_file.empty()) {
      absl::StatusOr<std::string> ca_pem = ReadFile("tls_ca", o.ca_file);
      if (!ca_pem.ok()) return ca_pem.status();
      if (absl::Status s = ParseCertificates("tls_ca", o.ca_file, *ca_pem).status(); !s.ok()) return s;
    }
    const auto refresh = static_cast<unsigned int>(absl::ToInt64Seconds(o.refresh_interval));
    security.certificates_ =
        o.ca_file.empty()
            ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(o.key_file, o.cert_file, refresh)
            : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(o.key_file, o.cert_file, o.ca_file,
                                                                                     refresh);
  }
  if (!o.authz_policy_file.empty()) {
    if (security.certificates_ == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--authz_policy=", o.authz_policy_file,
          " needs TLS (--tls_cert, --tls_key, --tls_ca): without certificates no caller has an identity"));
    }
    absl::StatusOr<std::shared_ptr<PolicyWatcher>> watcher =
        PolicyWatcher::Start(o.authz_policy_file, o.authz_refresh_interval, component);
    if (!watcher.ok()) return watcher.status();
    security.policy_ = *std::move(watcher);
  }
  return security;
}

TransportSecurity TransportSecurity::LoopbackPlaintext() { return TransportSecurity(); }

std::shared_ptr<grpc::ServerCredentials> TransportSecurity::ServerCredentials() const {
  if (!tls()) return grpc::InsecureServerCredentials();
  grpc::experimental::TlsServerCredentialsOptions tls(certificates_);
  tls.watch_identity_key_cert_pairs();
  if (!options_.ca_file.empty()) tls.watch_root_certs();
  switch (options_.client_auth) {
    case ClientAuth::kNone:
      tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      break;
    case ClientAuth::kRequest:
      tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case ClientAuth::kRequire:
      tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::experimental::TlsServerCredentials(tls);
  if (policy_ != nullptr) credentials->SetAuthMetadataProcessor(std::make_shared<PolicyProcessor>(policy_));
  return credentials;
}

std::shared_ptr<grpc::ChannelCredentials> TransportSecurity::ChannelCredentials() const {
  if (!tls()) return grpc::InsecureChannelCredentials();
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(certificates_);
  tls.watch_identity_key_cert_pairs();
  // Without --tls_ca the peer is verified against the system's CA store.
  if (!options_.ca_file.empty()) tls.watch_root_certs();
  tls.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(tls);
}

std::string TransportSecurity::Describe() const {
  std::string text;
  if (!tls()) {
    text = options_.plaintext ? "plaintext (--plaintext)" : "plaintext (loopback only)";
  } else {
    switch (options_.client_auth) {
      case ClientAuth::kNone:
        text = "TLS (no client certificates)";
        break;
      case ClientAuth::kRequest:
        text = "TLS (client certificates verified when sent)";
        break;
      case ClientAuth::kRequire:
        text = "mTLS (client certificates required)";
        break;
    }
  }
  absl::StrAppend(&text, policy_ != nullptr ? absl::StrCat(", authorization policy \"", policy_->current()->name(),
                                                           "\" from ", options_.authz_policy_file)
                                            : ", no authorization policy (every caller may call every method)");
  return text;
}

}  // namespace handoff
