#include "common/idempotency.h"

#include <map>

#include "gtest/gtest.h"
#include "common/call_identity.h"
#include "handoff/common/v1/money.pb.h"
#include "handoff/marketing/v1/lead_service.pb.h"

namespace handoff {
namespace {

class MemoryUnitOfWork : public UnitOfWork {
 public:
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view id) override {
    auto it = requests.find(std::string(id));
    if (it == requests.end()) return std::optional<RequestRecord>();
    return std::optional<RequestRecord>(it->second);
  }
  absl::Status SaveRequest(const RequestRecord& r) override {
    requests[r.request_id] = r;
    return absl::OkStatus();
  }
  absl::Status Enqueue(const OutboxMessage&) override { return absl::OkStatus(); }
  absl::Status AppendEvent(const EventRecord&) override { return absl::OkStatus(); }
  absl::Status ForgetResponsesContaining(const std::vector<std::string>&) override {
    return absl::OkStatus();
  }
  absl::Status AppendAudit(const AuditRecord& r) override {
    audit.push_back(r);
    return absl::OkStatus();
  }
  std::map<std::string, RequestRecord> requests;
  std::vector<AuditRecord> audit;
};

common::v1::Money Request(int64_t amount) {
  common::v1::Money m;
  m.set_amount_minor(amount);
  m.set_currency_code("EUR");
  return m;
}

TEST(RunIdempotent, RepeatReturnsFirstResponseWithoutActingAgain) {
  MemoryUnitOfWork uow;
  FakeClock clock(absl::FromUnixSeconds(1000));
  int acted = 0;
  auto act = [&](common::v1::Money* resp) {
    return [&, resp]() {
      ++acted;
      resp->set_amount_minor(100 + acted);
      return absl::OkStatus();
    };
  };
  common::v1::Money first;
  ASSERT_TRUE(RunIdempotent(uow, clock, "M", Request(1), "id-1", &first, act(&first)).ok());
  common::v1::Money second;
  ASSERT_TRUE(RunIdempotent(uow, clock, "M", Request(1), "id-1", &second, act(&second)).ok());
  EXPECT_EQ(acted, 1);
  EXPECT_EQ(second.amount_minor(), first.amount_minor());
}

TEST(RunIdempotent, SameIdForDifferentRequestIsInvalidArgument) {
  MemoryUnitOfWork uow;
  FakeClock clock(absl::FromUnixSeconds(1000));
  common::v1::Money resp;
  ASSERT_TRUE(RunIdempotent(uow, clock, "M", Request(1), "id-1", &resp, [] { return absl::OkStatus(); }).ok());
  bool acted = false;
  absl::Status s = RunIdempotent(uow, clock, "M", Request(2), "id-1", &resp, [&] {
    acted = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(acted);
  s = RunIdempotent(uow, clock, "Other", Request(1), "id-1", &resp, [] { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(RunIdempotent, FailedActionIsNotRemembered) {
  MemoryUnitOfWork uow;
  FakeClock clock(absl::FromUnixSeconds(1000));
  common::v1::Money resp;
  absl::Status s = RunIdempotent(uow, clock, "M", Request(1), "id-1", &resp,
                                 [] { return absl::FailedPreconditionError("no"); });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(uow.requests.empty());
}

TEST(ValidateRequestId, RequiresOneTo128PrintableCharacters) {
  EXPECT_TRUE(ValidateRequestId("abc-123").ok());
  EXPECT_EQ(ValidateRequestId("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateRequestId(std::string(129, 'a')).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateRequestId("has space").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace handoff

namespace handoff {
namespace {

// A store whose Run keeps what `act` did only when it returns OK (a transaction).
struct MemoryStore {
  template <typename Fn>
  absl::Status Run(Fn fn) {
    MemoryUnitOfWork tx = committed;
    absl::Status s = fn(tx);
    if (s.ok()) committed = tx;
    return s;
  }
  MemoryUnitOfWork committed;
};

TEST(RunAudited, AChangeAndItsRecordCommitTogetherWithTheCallersIdentity) {
  MemoryStore store;
  FakeClock clock(absl::FromUnixSeconds(1000));
  ScopedCallIdentity who(CallIdentity{"spiffe://handoff.local/ops", "reps/7"});
  common::v1::Money resp;
  ASSERT_TRUE(RunMutation(store, clock, "Svc/Change", Request(1), "req-1", &resp,
                          [](MemoryUnitOfWork&) { return absl::OkStatus(); })
                  .ok());
  ASSERT_EQ(store.committed.audit.size(), 1u);
  const AuditRecord& r = store.committed.audit[0];
  EXPECT_EQ(r.principal, "spiffe://handoff.local/ops");
  EXPECT_EQ(r.actor, "reps/7");
  EXPECT_EQ(r.method, "Svc/Change");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.request_id, "req-1");
  EXPECT_EQ(r.time, absl::FromUnixSeconds(1000));
  EXPECT_EQ(store.committed.requests.size(), 1u);
}

TEST(RunAudited, ARuleRefusalIsRecordedAloneAndAServiceFailureNotAtAll) {
  MemoryStore store;
  FakeClock clock(absl::FromUnixSeconds(1000));
  common::v1::Money resp;
  const absl::Status refused = RunMutation(store, clock, "Svc/Change", Request(1), "req-1", &resp,
                                           [](MemoryUnitOfWork& tx) {
                                             tx.SaveRequest(RequestRecord{"half", "x", "", "", absl::Time()})
                                                 .IgnoreError();
                                             return absl::NotFoundError("no such thing");
                                           });
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.committed.requests.empty());  // what the call did is gone
  ASSERT_EQ(store.committed.audit.size(), 1u);
  EXPECT_EQ(store.committed.audit[0].code, static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(store.committed.audit[0].principal, "");  // outside a call

  EXPECT_FALSE(RunMutation(store, clock, "Svc/Change", Request(2), "req-2", &resp,
                           [](MemoryUnitOfWork&) { return absl::UnavailableError("storage busy"); })
                   .ok());
  EXPECT_FALSE(RunMutation(store, clock, "Svc/Change", Request(3), "", &resp,
                           [](MemoryUnitOfWork&) { return absl::OkStatus(); })
                   .ok());  // a malformed request_id: refused for its form
  EXPECT_EQ(store.committed.audit.size(), 1u);
}

TEST(AuditResource, TheRequestsNameElseTheCreatedResourceElseTheLeadOrOpportunity) {
  marketing::v1::QualifyLeadRequest qualify;
  qualify.set_name("leads/1");
  EXPECT_EQ(AuditResource(qualify, nullptr), "leads/1");
  marketing::v1::CaptureLeadRequest capture;
  marketing::v1::CaptureLeadResponse captured;
  EXPECT_EQ(AuditResource(capture, &captured), "");
  captured.mutable_lead()->set_name("leads/2");
  EXPECT_EQ(AuditResource(capture, &captured), "leads/2");
  marketing::v1::RecordTouchRequest touch;
  touch.set_lead("leads/3");
  EXPECT_EQ(AuditResource(touch, nullptr), "leads/3");
}

}  // namespace
}  // namespace handoff
