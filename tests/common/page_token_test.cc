#include "common/page_token.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "handoff/marketing/v1/campaign_service.pb.h"
#include "handoff/marketing/v1/lead_service.pb.h"

namespace handoff {
namespace {

using marketing::v1::ListCampaignsRequest;
using marketing::v1::ListLeadsRequest;

// `request` with the token `token` in its page_token.
template <typename Request>
Request WithToken(Request request, const std::string& token) {
  request.set_page_token(token);
  return request;
}

TEST(PageToken, RoundTripsTheCursorWithTheSameListAndFilters) {
  ListLeadsRequest req;
  req.set_owner(marketing::v1::OWNER_SALES);
  const std::string token = EncodePageToken(req, 12345);
  req.set_page_size(7);  // the page size may change between pages
  absl::StatusOr<int64_t> cursor = DecodePageToken(WithToken(req, token));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, 12345);
}

TEST(PageToken, EmptyTokenStartsAtTheBeginning) { EXPECT_EQ(*DecodePageToken(ListLeadsRequest()), 0); }

TEST(PageToken, ATokenOfOtherFiltersOrAnotherListIsInvalidArgument) {
  ListLeadsRequest by_owner;
  by_owner.set_owner(marketing::v1::OWNER_SALES);
  const std::string token = EncodePageToken(by_owner, 10);
  ListLeadsRequest other_filter;
  other_filter.set_owner(marketing::v1::OWNER_MARKETING);
  ListLeadsRequest no_filter;
  for (const absl::StatusOr<int64_t>& cursor :
       {DecodePageToken(WithToken(other_filter, token)), DecodePageToken(WithToken(no_filter, token)),
        DecodePageToken(WithToken(ListCampaignsRequest(), token))}) {
    ASSERT_FALSE(cursor.ok());
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(cursor.status().message().find("page_token"), absl::string_view::npos);
  }
}

TEST(PageToken, ForeignTokenIsInvalidArgumentNamingTheField) {
  // garbage, "123", the old "after:5" form
  for (const char* token : {"garbage!", "MTIz", "YWZ0ZXI6NQ"}) {
    absl::StatusOr<int64_t> cursor = DecodePageToken(WithToken(ListLeadsRequest(), token));
    ASSERT_FALSE(cursor.ok()) << token;
    EXPECT_EQ(cursor.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(cursor.status().message().find("page_token"), absl::string_view::npos);
  }
}

TEST(PairPageToken, RoundTripsBothPartsIncludingNegativeTimes) {
  for (const auto& [first, second] : {std::pair<int64_t, int64_t>{1'700'000'000'000'000, 42},
                                      std::pair<int64_t, int64_t>{-5, 0}}) {
    const auto decoded =
        DecodePairPageToken(WithToken(ListLeadsRequest(), EncodePageToken(ListLeadsRequest(), first, second)));
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(decoded->has_value());
    EXPECT_EQ((*decoded)->first, first);
    EXPECT_EQ((*decoded)->second, second);
  }
  EXPECT_FALSE(DecodePairPageToken(ListLeadsRequest())->has_value());  // from the beginning
}

TEST(PairPageToken, OnePartTokensAreInvalidArgumentAndTheOtherWayRound) {
  const ListLeadsRequest req;
  const auto pair = DecodePairPageToken(WithToken(req, EncodePageToken(req, 7)));
  ASSERT_FALSE(pair.ok());
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
  const auto single = DecodePageToken(WithToken(req, EncodePageToken(req, 7, 8)));
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PageSize, DefaultsCapsAndRefusesNegative) {
  EXPECT_EQ(*ClampPageSize(0), kDefaultPageSize);
  EXPECT_EQ(*ClampPageSize(7), 7);
  EXPECT_EQ(*ClampPageSize(100000), kMaxPageSize);
  EXPECT_EQ(ClampPageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace handoff
