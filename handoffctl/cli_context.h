#ifndef HANDOFF_HANDOFFCTL_CLI_CONTEXT_H_
#define HANDOFF_HANDOFFCTL_CLI_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace handoff::ctl {

// Exit codes of handoffctl (README.md, "handoffctl").
inline constexpr int kExitOk = 0;
inline constexpr int kExitCallFailed = 1;    // a call failed (the error is printed)
inline constexpr int kExitUsage = 2;         // bad command line
inline constexpr int kExitRowsRejected = 3;  // leads import: some rows were rejected

enum class OutputFormat { kTable, kJson, kCsv };

// What every command shares: where the services are, how to reach them, the deadline of
// each call, and how results are printed.
struct GlobalOptions {
  std::string marketing = "127.0.0.1:50051";
  std::string sales = "127.0.0.1:50052";
  // PEM files: tls_ca verifies the services' certificates (TLS on); tls_cert and tls_key
  // are this client's identity for mutual TLS. Without them the channel is plaintext,
  // accepted only to loopback addresses unless `plaintext` is set.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool plaintext = false;
  std::string deadline = "10s";
  std::string output = "table";
};

class Context {
 public:
  // `options` is read when a command first asks for a channel, so it may be filled in
  // after the context is made (by the command-line parser).
  explicit Context(const GlobalOptions& options) : options_(options) {}

  absl::StatusOr<std::shared_ptr<grpc::Channel>> Marketing() { return Channel(options_.marketing, "--marketing"); }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Sales() { return Channel(options_.sales, "--sales"); }
  // A context for one call, with the --deadline (or `deadline`, when longer work needs it).
  std::unique_ptr<grpc::ClientContext> Call(absl::Duration deadline = absl::ZeroDuration()) const;

  OutputFormat format() const { return format_; }
  absl::Duration deadline() const { return deadline_; }
  std::ostream& out() { return std::cout; }
  std::ostream& err() { return std::cerr; }

 private:
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Channel(const std::string& address, const char* flag);
  // Checks the options (deadline, output format, TLS files) once; its verdict is kept.
  absl::Status Validate();

  const GlobalOptions& options_;
  std::optional<absl::Status> valid_;
  absl::Duration deadline_ = absl::Seconds(10);
  OutputFormat format_ = OutputFormat::kTable;
  std::shared_ptr<grpc::ChannelCredentials> tls_;
};

// A failed call in one line for people: the code, the stable reason and the field from
// the google.rpc.Status details when the service sent them, and the message, e.g.
// "INVALID_ARGUMENT [FIELD_INVALID, contact.email]: contact.email: ... is not an e-mail address".
std::string DescribeStatus(const grpc::Status& status);
// "INVALID_ARGUMENT" for 3, as grpc::StatusCode names it.
std::string CodeName(int code);

// Prints `status` (DescribeStatus) to stderr, prefixed with what was being done, and
// returns kExitCallFailed.
int CallFailed(Context& ctx, const std::string& doing, const grpc::Status& status);
// Prints a non-call error (a bad file, a bad value) and returns `exit_code`.
int Failed(Context& ctx, const absl::Status& status, int exit_code = kExitUsage);

}  // namespace handoff::ctl

#endif  // HANDOFF_HANDOFFCTL_CLI_CONTEXT_H_
