#include "common/error_details.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "common/grpc/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace handoff {
namespace {

std::string ReadSource(const std::string& path) {
  std::ifstream in(std::string(HANDOFF_SOURCE_DIR) + "/" + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Callers act on reasons; each one the services send is in README.md's table.
TEST(ErrorDetails, EveryReasonIsListedInTheReadme) {
  const std::string header = ReadSource("common/error_details.h");
  const std::string readme = ReadSource("README.md");
  ASSERT_FALSE(readme.empty());
  const std::regex reason(R"re(absl::string_view k\w+ = "([A-Z_]+)")re");
  int reasons = 0;
  for (std::sregex_iterator it(header.begin(), header.end(), reason), end; it != end; ++it) {
    const std::string name = (*it)[1];
    ++reasons;
    EXPECT_NE(readme.find("| `" + name + "` |"), std::string::npos) << name << " is not in README.md, \"Errors\"";
  }
  EXPECT_GT(reasons, 40);
}

// The google.rpc.Status a caller decodes from grpc-status-details-bin.
google::rpc::Status Told(const absl::Status& status) {
  const grpc::Status sent = ToCallerStatus(status, "Test/Method");
  google::rpc::Status rpc;
  EXPECT_TRUE(rpc.ParseFromString(sent.error_details()));
  EXPECT_EQ(rpc.code(), static_cast<int>(status.code()));
  EXPECT_EQ(rpc.message(), sent.error_message());
  return rpc;
}

template <typename Detail>
std::optional<Detail> Find(const google::rpc::Status& rpc) {
  for (const auto& any : rpc.details()) {
    Detail d;
    if (any.UnpackTo(&d)) return d;
  }
  return std::nullopt;
}

TEST(ErrorDetails, PreconditionCarriesReasonResourceAndViolation) {
  const google::rpc::Status rpc = Told(
      WithReason(absl::FailedPreconditionError("leads/7 is owned by sales"), reason::kOwnedBySales, "leads/7"));
  const auto info = Find<google::rpc::ErrorInfo>(rpc);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "OWNED_BY_SALES");
  EXPECT_EQ(info->domain(), "handoff");
  EXPECT_EQ(info->metadata().at("resource"), "leads/7");
  const auto failure = Find<google::rpc::PreconditionFailure>(rpc);
  ASSERT_TRUE(failure.has_value());
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).type(), "OWNED_BY_SALES");
  EXPECT_EQ(failure->violations(0).subject(), "leads/7");
  EXPECT_EQ(failure->violations(0).description(), "leads/7 is owned by sales");
}

TEST(ErrorDetails, InvalidArgumentNamesTheFieldFromTheMessage) {
  const google::rpc::Status rpc = Told(absl::InvalidArgumentError("lead.contact.email: not an e-mail address"));
  EXPECT_EQ(Find<google::rpc::ErrorInfo>(rpc)->reason(), "FIELD_INVALID");
  const auto bad = Find<google::rpc::BadRequest>(rpc);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "lead.contact.email");
  EXPECT_EQ(bad->field_violations(0).description(), "lead.contact.email: not an e-mail address");

  EXPECT_EQ(Find<google::rpc::BadRequest>(Told(absl::InvalidArgumentError("touch_id must be 1 to 128 characters")))
                ->field_violations(0)
                .field(),
            "touch_id");
  // A message that does not start with a field path gets no invented field.
  EXPECT_FALSE(Find<google::rpc::BadRequest>(Told(absl::InvalidArgumentError("The row is bad"))).has_value());
}

TEST(ErrorDetails, ExplicitFieldViolationsWin) {
  absl::Status s = WithFieldViolation(absl::InvalidArgumentError("two fields are wrong"), "a", "first");
  s = WithFieldViolation(s, "b.c", "second");
  const auto bad = Find<google::rpc::BadRequest>(Told(s));
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 2);
  EXPECT_EQ(bad->field_violations(1).field(), "b.c");
}

TEST(ErrorDetails, OverloadAndOutagesSayWhenToRetry) {
  auto delay_of = [](const google::rpc::Status& rpc) {
    const auto retry = Find<google::rpc::RetryInfo>(rpc);
    EXPECT_TRUE(retry.has_value());
    return absl::Seconds(retry->retry_delay().seconds()) + absl::Nanoseconds(retry->retry_delay().nanos());
  };
  EXPECT_EQ(delay_of(Told(absl::UnavailableError("database down"))), absl::Seconds(1));
  EXPECT_EQ(delay_of(Told(WithRetryDelay(absl::ResourceExhaustedError("slow down"), absl::Milliseconds(1500)))),
            absl::Milliseconds(1500));
  EXPECT_EQ(Find<google::rpc::ErrorInfo>(Told(absl::UnavailableError("x")))->reason(), "UNAVAILABLE");
  EXPECT_FALSE(Find<google::rpc::RetryInfo>(Told(absl::NotFoundError("leads/1 not found"))).has_value());
}

TEST(ErrorDetails, NotFoundNamesTheResource) {
  const auto where =
      Find<google::rpc::ResourceInfo>(Told(WithReason(absl::NotFoundError("leads/9 not found"), reason::kNotFound, "leads/9")));
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(where->resource_type(), "leads");
  EXPECT_EQ(where->resource_name(), "leads/9");
}

TEST(ErrorDetails, InternalErrorsShowNoneOfTheirDetails) {
  const google::rpc::Status rpc =
      Told(WithReason(absl::InternalError("SELECT failed: secret"), reason::kOwnedBySales, "leads/1"));
  EXPECT_EQ(rpc.message().find("secret"), std::string::npos);
  EXPECT_EQ(Find<google::rpc::ErrorInfo>(rpc)->reason(), "INTERNAL");
  EXPECT_TRUE(Find<google::rpc::ErrorInfo>(rpc)->metadata().empty());
}

TEST(ErrorDetails, APeersAnswerKeepsItsReasonAndDelay) {
  const absl::Status sent =
      WithRetryDelay(WithReason(absl::FailedPreconditionError("erased"), reason::kLeadErased), absl::Seconds(3));
  const absl::Status got = ToAbslStatus(ToCallerStatus(sent, "Test/Method"));
  EXPECT_EQ(got.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(got.message(), "erased");
  EXPECT_EQ(ReasonOf(got), "LEAD_ERASED");
  EXPECT_EQ(RetryDelayOf(got), absl::Seconds(3));
  // Without details (an old peer, or a status made by gRPC itself) there is no reason.
  EXPECT_EQ(ReasonOf(ToAbslStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connect failed"))), "");
  EXPECT_EQ(EffectiveReason(ToAbslStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x"))), "UNAVAILABLE");
}

}  // namespace
}  // namespace handoff
