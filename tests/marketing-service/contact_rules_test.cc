#include "marketing-service/domain/contact_rules.h"

#include "gtest/gtest.h"

namespace handoff::marketing {
namespace {

TEST(NormalizeEmail, TrimsAndLowerCases) {
  EXPECT_EQ(*NormalizeEmail("  Ada.Lovelace@Example.COM \n"), "ada.lovelace@example.com");
}

TEST(NormalizeEmail, RefusesMalformedAddressesNamingTheField) {
  for (const char* bad : {"", "plain", "@example.com", "a@b", "a@@b.com", "a b@c.com", "a@b.com."}) {
    absl::StatusOr<std::string> e = NormalizeEmail(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find("contact.email"), absl::string_view::npos);
  }
}

TEST(NormalizePhone, KeepsDigitsWithCountryCode) {
  EXPECT_EQ(*NormalizePhone("+49 (151) 1234-5678"), "+4915112345678");
  EXPECT_EQ(*NormalizePhone("0044 20 7946 0958"), "+442079460958");
}

TEST(NormalizePhone, RefusesNumbersWithoutCountryCodeOrWithLetters) {
  EXPECT_EQ(NormalizePhone("0151 12345678").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NormalizePhone("+49 151 CALL-ME").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NormalizePhone("+12").status().code(), absl::StatusCode::kInvalidArgument);
}

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
