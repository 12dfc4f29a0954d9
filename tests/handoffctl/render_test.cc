#include "handoffctl/render.h"

#include <sstream>

#include "gtest/gtest.h"
#include "handoff/marketing/v1/lead.pb.h"
#include "handoff/sales/v1/opportunity.pb.h"

namespace handoff::ctl {
namespace {

common::v1::Money Money(int64_t minor, const std::string& currency) {
  common::v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency_code(currency);
  return m;
}

TEST(Render, MoneyIsShownInItsCurrencysDecimals) {
  EXPECT_EQ(FormatMoney(Money(123456789, "EUR")), "1,234,567.89 EUR");
  EXPECT_EQ(FormatMoney(Money(5, "EUR")), "0.05 EUR");
  EXPECT_EQ(FormatMoney(Money(-250, "USD")), "-2.50 USD");
  EXPECT_EQ(FormatMoney(Money(1500, "JPY")), "1,500 JPY");
  EXPECT_EQ(FormatMoney(Money(1234, "KWD")), "1.234 KWD");
  EXPECT_EQ(FormatMoney(common::v1::Money()), "");
}

TEST(Render, AmountsParseExactlyAndRefuseWhatTheCurrencyCannotHold) {
  EXPECT_EQ(*ParseAmount("1250.5", "EUR", "--amount"), 125050);
  EXPECT_EQ(*ParseAmount("1250", "EUR", "--amount"), 125000);
  EXPECT_EQ(*ParseAmount("0.07", "EUR", "--amount"), 7);
  EXPECT_EQ(*ParseAmount("1500", "JPY", "--amount"), 1500);
  EXPECT_EQ(*ParseAmount("1.234", "KWD", "--amount"), 1234);
  const absl::StatusOr<int64_t> too_fine = ParseAmount("1.234", "EUR", "--amount");
  EXPECT_EQ(too_fine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_fine.status().message().find("--amount=1.234: EUR has 2 decimals"), std::string::npos);
  for (const char* bad : {"", "-5", "12,50", "1e3", "abc", ".5", "5.", "1.-5", "99999999999999999999"}) {
    EXPECT_FALSE(ParseAmount(bad, "EUR", "--amount").ok()) << bad;
  }
}

TEST(Render, EnumsReadAsLabelsBothWays) {
  EXPECT_EQ(EnumLabel(marketing::v1::LifecycleStage_descriptor(), marketing::v1::LIFECYCLE_STAGE_SALES_ACCEPTED),
            "sales_accepted");
  EXPECT_EQ(EnumLabel(sales::v1::Stage_descriptor(), sales::v1::STAGE_CLOSED_WON), "closed_won");
  EXPECT_EQ(*ParseEnum(sales::v1::Stage_descriptor(), "Closed_Won", "--stage"), sales::v1::STAGE_CLOSED_WON);
  EXPECT_EQ(*ParseEnum(sales::v1::Stage_descriptor(), "STAGE_PROPOSAL", "--stage"), sales::v1::STAGE_PROPOSAL);
  const absl::StatusOr<int> unspecified = ParseEnum(sales::v1::Stage_descriptor(), "unspecified", "--stage");
  ASSERT_FALSE(unspecified.ok());
  EXPECT_NE(unspecified.status().message().find("--stage=unspecified: not one of new, contacted"),
            std::string::npos)
      << unspecified.status();
}

TEST(Render, TablesAlignNumbersRightAndCsvQuotesEveryField) {
  Table t({"name", "count"});
  t.Add({"a", "5"});
  t.Add({"longer", "1,234"});
  std::ostringstream table, csv;
  t.Print(table, OutputFormat::kTable);
  EXPECT_EQ(table.str(), "name    count\na           5\nlonger  1,234\n");
  Table q({"text"});
  q.Add({"say \"hi\", then\nleave"});
  q.Print(csv, OutputFormat::kCsv);
  EXPECT_EQ(csv.str(), "\"text\"\r\n\"say \"\"hi\"\", then\nleave\"\r\n");
}

TEST(Render, BarsScaleToTheLargestValue) {
  std::ostringstream out;
  PrintBars(out, {{"lead", 4}, {"mql", 1}, {"customer", 0}}, 8);
  EXPECT_EQ(out.str(), "lead      4  ########\nmql       1  ##\ncustomer  0  \n");
}

TEST(Render, TimesAndRatesForPeople) {
  google::protobuf::Timestamp t;
  ASSERT_TRUE(ParseTimestamp("2026-12-07T10:00:00+01:00", "--start", &t).ok());
  EXPECT_EQ(FormatTime(t), "2026-12-07T09:00:00Z");
  EXPECT_FALSE(ParseTimestamp("yesterday", "--start", &t).ok());
  EXPECT_EQ(FormatBasisPoints(70000), "700.00%");
  EXPECT_EQ(FormatBasisPoints(-5), "-0.05%");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1000), "-1,000");
}

}  // namespace
}  // namespace handoff::ctl
