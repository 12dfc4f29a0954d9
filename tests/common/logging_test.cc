#include "common/logging.h"

#include <string>

#include "gtest/gtest.h"

namespace handoff {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1'796'000'000'123);

TEST(Logging, TextLinesKeepTheirShape) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogSeverity::kWarning, "sales-service", "health probe failed"),
            "2026-11-30T00:53:20.123Z WARN sales-service: health probe failed\n");
}

TEST(Logging, JsonLinesAreOneEscapedObjectEach) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kTime, LogSeverity::kError, "outbox",
                          "refused \"x\"\\y\nnext\x01 caf\xc3\xa9"),
            "{\"time\":\"2026-11-30T00:53:20.123Z\",\"level\":\"ERROR\",\"component\":\"outbox\","
            "\"msg\":\"refused \\\"x\\\"\\\\y\\nnext\\u0001 caf\xc3\xa9\"}\n");
  LogFormat f = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON ", &f));
}

}  // namespace
}  // namespace handoff
