#include "common/page_token.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace handoff {
namespace {

TEST(PageToken, RoundTripsTheCursor) {
  absl::StatusOr<int64_t> cursor = DecodePageToken(EncodePageToken(12345));
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(*cursor, 12345);
}

TEST(PageToken, EmptyTokenStartsAtTheBeginning) { EXPECT_EQ(*DecodePageToken(""), 0); }

TEST(PageToken, ForeignTokenIsInvalidArgumentNamingTheField) {
  for (const char* token : {"garbage!", "MTIz", "YWZ0ZXI6LTE"}) {  // "123", "after:-1"
    absl::StatusOr<int64_t> cursor = DecodePageToken(token);
    ASSERT_FALSE(cursor.ok()) << token;
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(cursor.status().message().find("page_token"), absl::string_view::npos);
  }
}

TEST(PairPageToken, RoundTripsBothPartsIncludingNegativeTimes) {
  for (const auto& [first, second] : {std::pair<int64_t, int64_t>{1'700'000'000'000'000, 42},
                                      std::pair<int64_t, int64_t>{-5, 0}}) {
    const auto decoded = DecodePairPageToken(EncodePageToken(first, second));
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(decoded->has_value());
    EXPECT_EQ((*decoded)->first, first);
    EXPECT_EQ((*decoded)->second, second);
  }
  EXPECT_FALSE(DecodePairPageToken("")->has_value());  // from the beginning
}

TEST(PairPageToken, ForeignOrSingleTokensAreInvalidArgument) {
  // A one-part token, garbage, and hand-made "after2:1" (one part) and "after2:1:-1".
  for (const std::string& token : {EncodePageToken(7), std::string("garbage!"),
                                   std::string("YWZ0ZXIyOjE"), std::string("YWZ0ZXIyOjE6LTE")}) {
    const auto decoded = DecodePairPageToken(token);
    ASSERT_FALSE(decoded.ok()) << token;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("page_token"), absl::string_view::npos);
  }
}

TEST(PageSize, DefaultsCapsAndRefusesNegative) {
  EXPECT_EQ(*ClampPageSize(0), kDefaultPageSize);
  EXPECT_EQ(*ClampPageSize(7), 7);
  EXPECT_EQ(*ClampPageSize(100000), kMaxPageSize);
  EXPECT_EQ(ClampPageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace handoff
