#include "common/page_token.h"

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

TEST(PageSize, DefaultsCapsAndRefusesNegative) {
  EXPECT_EQ(*ClampPageSize(0), kDefaultPageSize);
  EXPECT_EQ(*ClampPageSize(7), 7);
  EXPECT_EQ(*ClampPageSize(100000), kMaxPageSize);
  EXPECT_EQ(ClampPageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace handoff
