#include "handoffctl/csv_reader.h"

#include <fstream>

#include "gtest/gtest.h"
#include "tests/temp_path.h"

namespace handoff::ctl {
namespace {

std::vector<std::vector<std::string>> ReadAll(const std::string& text, absl::Status* error = nullptr) {
  testing::TempDbPath file;  // a temporary path, removed afterwards
  const std::string& path = file.path();
  std::ofstream(path, std::ios::binary) << text;
  std::vector<std::vector<std::string>> rows;
  auto reader = CsvReader::Open(path);
  EXPECT_TRUE(reader.ok());
  for (;;) {
    auto r = (*reader)->Next();
    if (!r.ok()) {
      if (error != nullptr) *error = r.status();
      break;
    }
    if (!r->has_value()) break;
    rows.push_back(**r);
  }
  return rows;
}

TEST(CsvReader, ReadsQuotedFieldsLineEndingsAndAByteOrderMark) {
  const auto rows = ReadAll("\xEF\xBB\xBF" "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,,3");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"1", "", "3"}));
}

TEST(CsvReader, AStrayQuoteIsAnErrorNamingTheRecord) {
  absl::Status error;
  const auto rows = ReadAll("a,b\n1,2\n3,x\"y\"z\n", &error);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(error.message().find("record 3"), std::string::npos) << error;
}

TEST(CsvReader, AMissingFileIsNotFound) {
  EXPECT_EQ(CsvReader::Open("/nonexistent/people.csv").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace handoff::ctl
