#ifndef HANDOFF_TESTS_INTEGRATION_LEAD_FLOW_H_
#define HANDOFF_TESTS_INTEGRATION_LEAD_FLOW_H_

// Drives leads through the whole flow (capture, qualify, the handoff arriving at sales,
// accept, close won, the outcome back at marketing) against services that may be killed
// at any moment, and audits what both services hold afterwards. Shared by the crash test
// (one replica of each service) and the replica fault test (several).

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoff/marketing/v1/report_service.grpc.pb.h"
#include "handoff/ops/v1/delivery_service.grpc.pb.h"
#include "handoff/sales/v1/opportunity_service.grpc.pb.h"
#include "handoff/sales/v1/pipeline_report_service.grpc.pb.h"
#include "tests/integration/service_process.h"

namespace handoff::testing {

// A channel that reconnects within half a second after its server was killed (gRPC's
// default back-off grows to two minutes). `target` may list several addresses
// ("ipv4:a:p,b:p"); calls then go round_robin over the live ones.
std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& target);

// Every 1-3 s, SIGKILLs one of `targets` processes (chosen at random; `process(i)` gives
// the i-th) and starts it again, until Stop(). Counts the kills per process.
class KillLoop {
 public:
  KillLoop(int targets, std::function<ServiceProcess&(int)> process);
  ~KillLoop() { Stop(); }
  void Stop();
  int kills(int i) const { return kills_[i].load(); }

 private:
  std::vector<std::atomic<int>> kills_;
  std::atomic<bool> running_{true};
  std::thread thread_;
};

class LeadFlow {
 public:
  // Where one client sends its calls.
  struct Stubs {
    marketing::v1::LeadService::Stub* leads;
    sales::v1::OpportunityService::Stub* opportunities;
  };

  // What the services hold after the run, against what was acknowledged.
  struct Audit {
    size_t acknowledged = 0;
    int lost = 0;                 // acknowledged leads marketing does not have
    int64_t phantom = 0;          // leads marketing has that were never acknowledged
    int duplicated = 0;           // leads with more than one opportunity
    int missing = 0;              // leads with no opportunity
    int outcomes_wrong = 0;       // leads not a customer with exactly their deal's revenue
    int64_t customers = 0;        // marketing's funnel
    int64_t won = 0;              // sales' pipeline
    int64_t won_revenue_minor = 0;
    int64_t expected_revenue_minor = 0;
  };

  // Leads are numbered 0 .. leads-1; lead i has e-mail "<prefix><i>@example.org" and wins
  // 1000 + i EUR cents.
  LeadFlow(std::string prefix, int leads) : prefix_(std::move(prefix)), names_(leads) {}

  // A context with a 2 s deadline.
  static std::unique_ptr<grpc::ClientContext> Short();

  // Calls `call(ctx)` until it is answered, as the API asks of clients: transport failures
  // and ABORTED (a write that kept conflicting with concurrent ones, e.g. on another
  // replica) are retried with the same request, so the same request_id; any other error is
  // returned. Gives up after 90 s.
  template <typename Call>
  grpc::Status Retry(Call call) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (true) {
      const grpc::Status s = call(Short().get());
      const bool aborted = s.error_code() == grpc::StatusCode::ABORTED;
      if ((!aborted && !IsTransient(s)) || std::chrono::steady_clock::now() > until) return s;
      ++(aborted ? aborted_ : retries_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Drives lead i through the flow with `stubs`; an empty string, or what failed.
  std::string Drive(int i, const Stubs& stubs);
  // Drives one worker's share of the leads (first, first + step, ...) and adds what failed
  // to `errors` (shared between workers, under `mu`).
  void DriveShare(int first, int step, const Stubs& stubs, std::mutex& mu, std::vector<std::string>& errors);

  // Audits both services through `stubs` and the report services.
  Audit Check(const Stubs& stubs, marketing::v1::MarketingReportService::Stub& marketing_reports,
              sales::v1::PipelineReportService::Stub& pipeline);

  // Expects an audit of a run of `leads` leads with no fault: nothing lost, phantom,
  // duplicated or missing, every lead a customer with its deal's revenue.
  static void ExpectClean(const Audit& a, int leads);
  // Whether a delivery service reports nothing pending and nothing parked.
  static bool Drained(ops::v1::DeliveryService::Stub& delivery);

  // Calls retried after a transport failure, and after ABORTED.
  int retries() const { return retries_.load(); }
  int aborted() const { return aborted_.load(); }
  const std::vector<std::string>& lead_names() const { return names_; }

 private:
  static bool IsTransient(const grpc::Status& s);

  const std::string prefix_;
  std::vector<std::string> names_;  // by lead number, once captured
  std::atomic<int> retries_{0};
  std::atomic<int> aborted_{0};
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_INTEGRATION_LEAD_FLOW_H_
