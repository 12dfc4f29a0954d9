#include "common/contact_address.h"

#include <string>

#include "gtest/gtest.h"

namespace handoff {
namespace {

TEST(NormalizeEmail, TrimsAndLowerCases) {
  EXPECT_EQ(*NormalizeEmail("  Ada.Lovelace@Example.COM \n"), "ada.lovelace@example.com");
}

TEST(NormalizeEmail, RefusesMalformedAddressesNamingTheField) {
  for (const char* bad : {"", "plain", "@example.com", "a@b", "a@@b.com", "a b@c.com", "a@b.com.",
                          "a@example..com", "a@-example.com", "a@example-.com", "a@.example.com",
                          ".a@example.com", "a.@example.com", "a..b@example.com", "a@example.123",
                          "a<b>@example.com", "a@exam_ple.com"}) {
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

TEST(NormalizeEmail, AcceptsCommonRealAddresses) {
  for (const char* good : {"ada@example.com", "first.last+tag@mail.example.co.uk", "o'brien@example.ie",
                           "x@xn--mnchen-3ya.de", "j\xc3\xb6rg@m\xc3\xbcnchen.de", "a-b@a-b.example"}) {
    EXPECT_TRUE(NormalizeEmail(good).ok()) << good;
  }
}

TEST(NormalizeEmail, AHugeValueIsQuotedShort) {
  const std::string huge = std::string(1'000'000, 'a') + "@";
  absl::StatusOr<std::string> e = NormalizeEmail(huge);
  ASSERT_FALSE(e.ok());
  EXPECT_LT(e.status().message().size(), 200u) << e.status().message().substr(0, 300);
  EXPECT_NE(e.status().message().find("1000001 bytes"), absl::string_view::npos) << e.status().message();
}

}  // namespace
}  // namespace handoff
