#include "common/idempotency.h"

#include <map>

#include "gtest/gtest.h"
#include "handoff/common/v1/money.pb.h"

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
  std::map<std::string, RequestRecord> requests;
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
