#include "marketing-service/domain/contact_rules.h"

#include "gtest/gtest.h"

namespace handoff::marketing {
namespace {

TEST(NormalizeContact, RequiresEmailOrPhone) {
  Contact c;
  c.given_name = "Ada";
  EXPECT_EQ(NormalizeContact(c).status().code(), absl::StatusCode::kInvalidArgument);
  c.phone = "+44 20 7946 0958";
  EXPECT_TRUE(NormalizeContact(c).ok());
}

TEST(NormalizeContact, UpperCasesCountryAndRefusesBadOnes) {
  Contact c;
  c.email = "a@b.io";
  c.country_code = "de";
  EXPECT_EQ(NormalizeContact(c)->country_code, "DE");
  c.country_code = "Germany";
  EXPECT_EQ(NormalizeContact(c).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FillGaps, FillsOnlyEmptyFields) {
  Contact into;
  into.email = "a@b.io";
  into.given_name = "Ada";
  Contact from;
  from.email = "other@b.io";
  from.given_name = "Augusta";
  from.company = "Engines";
  const std::vector<std::string> filled = FillGaps(into, from);
  EXPECT_EQ(into.email, "a@b.io");
  EXPECT_EQ(into.given_name, "Ada");
  EXPECT_EQ(into.company, "Engines");
  EXPECT_EQ(filled, std::vector<std::string>({"company"}));
}

}  // namespace
}  // namespace handoff::marketing
