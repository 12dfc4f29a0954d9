#include "common/logging.h"

#include <optional>
#include <string>

#include "common/trace_context.h"
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

TEST(Logging, ALineWrittenUnderATraceCarriesItsTraceId) {
  const std::string id = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogSeverity::kInfo, "access", "LeadService/GetLead OK", id),
            "2026-11-30T00:53:20.123Z INFO access: LeadService/GetLead OK trace_id=" + id + "\n");
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kTime, LogSeverity::kInfo, "access", "ok", id),
            "{\"time\":\"2026-11-30T00:53:20.123Z\",\"level\":\"INFO\",\"component\":\"access\","
            "\"msg\":\"ok\",\"trace_id\":\"" + id + "\"}\n");
  // Log itself takes the current trace's id.
  ::testing::internal::CaptureStderr();
  {
    const ScopedTrace trace(*ParseTraceparent("00-" + id + "-00f067aa0ba902b7-01"));
    LogInfo("outbox", "delivered");
  }
  LogInfo("outbox", "idle");
  const std::string written = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(written.find("INFO outbox: delivered trace_id=" + id + "\n"), std::string::npos) << written;
  EXPECT_NE(written.find("INFO outbox: idle\n"), std::string::npos) << written;
}

TEST(TraceContext, ParsesTheW3cTraceparentAndRefusesWhatTheSpecRefuses) {
  const std::optional<TraceContext> t = ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(t->flags, 1);
  EXPECT_EQ(t->ToTraceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  // A later version is read by its first four fields.
  EXPECT_TRUE(ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later").has_value());
  for (const char* bad : {
           "",                                                           // absent
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",     // short
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // version 00 is 55 long
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // separator
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // later version, no dash
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TraceContext, AHopKeepsTheTraceAndFlagsUnderANewSpan) {
  const TraceContext parent = *ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const TraceContext child = ContinueOrStart(parent.ToTraceparent());
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.flags, 1);
  EXPECT_NE(child.span_id, parent.span_id);
  EXPECT_TRUE(ParseTraceparent(child.ToTraceparent()).has_value());
  // Without a valid header a trace starts; two starts differ.
  const TraceContext a = ContinueOrStart("garbage");
  const TraceContext b = ContinueOrStart("");
  EXPECT_TRUE(ParseTraceparent(a.ToTraceparent()).has_value()) << a.ToTraceparent();
  EXPECT_NE(a.trace_id, b.trace_id);
  EXPECT_EQ(TraceContext{}.ToTraceparent(), "");
  EXPECT_TRUE(CurrentTrace().empty());
}

}  // namespace
}  // namespace handoff
