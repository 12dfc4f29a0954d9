#ifndef HANDOFF_COMMON_GRPC_TRANSPORT_SECURITY_H_
#define HANDOFF_COMMON_GRPC_TRANSPORT_SECURITY_H_

// Who may talk to a service and how: TLS (and mutual TLS) on its listener and on its
// channel to the other service, and the per-method authorization policy (gRFC A43), both
// from files that are watched, so rotated certificates and edited policies take effect
// without a restart. TLS is gRPC's own (TlsServerCredentials, TlsCredentials and
// FileWatcherCertificateProvider); the files are checked once at start-up so that a bad
// one stops the process with the flag named instead of failing every handshake later.
// The policy is enforced by an AuthMetadataProcessor on the server credentials, which
// runs before any handler (see authorization_policy.h for why it is not gRPC's provider).

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/grpc/authorization_policy.h"

namespace handoff {

// What a TLS listener asks of its callers.
enum class ClientAuth {
  kNone,     // no client certificate asked for: callers are anonymous
  kRequest,  // asked for and verified when sent; callers without one stay anonymous
  kRequire,  // required and verified: the handshake fails without a trusted certificate
};

// Parses "none" | "request" | "require".
absl::StatusOr<ClientAuth> ParseClientAuth(absl::string_view text);

struct TransportSecurityOptions {
  // PEM files. cert_file (the chain, leaf first) and key_file are this process's identity:
  // served to callers and presented to the other service. ca_file verifies callers'
  // certificates and the other service's. No cert_file = plaintext.
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  ClientAuth client_auth = ClientAuth::kRequire;
  // How often the three files are read again (a rotated certificate is used from the
  // next handshake on; open connections keep theirs).
  absl::Duration refresh_interval = absl::Minutes(1);
  // Plaintext is accepted without TLS only on loopback addresses, unless this is set.
  bool plaintext = false;
  // gRFC A43 JSON policy file (needs TLS); empty = every caller that passes TLS may call
  // every method.
  std::string authz_policy_file;
  absl::Duration authz_refresh_interval = absl::Minutes(1);
};

// The host of "host:port", "[v6]:port" or a bare address.
std::string AddressHost(absl::string_view address);

// Who the peer of a connection is, from its TLS handshake: authenticated only with a
// verified client certificate, whose SANs and subject are then filled in.
PeerIdentity PeerIdentityOf(const grpc::AuthContext& context);

// True when every host `target` names is a loopback address (127.0.0.0/8, ::1,
// localhost). Accepts HOST:PORT, [V6]:PORT, and gRPC targets "ipv4:a:p,b:p",
// "ipv6:...", "dns:///host:port".
bool IsLoopbackTarget(absl::string_view target);

// The checked security of one service process. Copyable; the providers are shared.
class TransportSecurity {
 public:
  // Checks `options` for the listener `listen` and the channel to `peer_address`: the
  // files exist, parse, the key belongs to the certificate, the certificate has not
  // expired; plaintext only on loopback or with `plaintext`; the policy file is a valid
  // policy. Errors are INVALID_ARGUMENT naming the flag (--tls_cert, --authz_policy...).
  // `component` names the service in the policy watcher's log lines.
  static absl::StatusOr<TransportSecurity> Create(const TransportSecurityOptions& options,
                                                  const std::string& listen, const std::string& peer_address,
                                                  const std::string& component = "handoff");

  // Plaintext on loopback, no policy (tests, the local run).
  static TransportSecurity LoopbackPlaintext();

  bool tls() const { return certificates_ != nullptr; }
  // The listener's credentials; with a policy they carry the processor that enforces it:
  // a call the policy denies ends PERMISSION_DENIED (UNAUTHENTICATED when the caller sent
  // no client certificate) before it reaches a handler.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  // Credentials of the channel to the other service: this process's certificate as
  // client identity; the peer's certificate verified against ca_file and its host name.
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() const;
  // The policy in force; null when none is configured.
  std::shared_ptr<const AuthorizationPolicy> policy() const {
    return policy_ == nullptr ? nullptr : policy_->current();
  }
  // One line for the start-up log, e.g. "mTLS (client certificates required), policy deploy/authz/x.json".
  std::string Describe() const;

 private:
  TransportSecurity() = default;

  TransportSecurityOptions options_;
  std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> certificates_;
  std::shared_ptr<PolicyWatcher> policy_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_TRANSPORT_SECURITY_H_
