// handoffctl through the real binaries: both services on loopback, the command line run
// as a child process, its output (tables, CSV, protobuf JSON) read back and checked.

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "handoffctl/csv_reader.h"
#include "tests/integration/handoff_system.h"

namespace handoff::testing {
namespace {

namespace mv1 = ::handoff::marketing::v1;
namespace sv1 = ::handoff::sales::v1;

struct CtlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

template <typename Message>
Message FromJson(const std::string& json) {
  Message m;
  const auto s = google::protobuf::util::JsonStringToMessage(json, &m);
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << json;
  return m;
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  auto reader = ctl::CsvReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return rows;
  for (;;) {
    auto r = (*reader)->Next();
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || !r->has_value()) break;
    rows.push_back(**r);
  }
  return rows;
}

class HandoffctlTest : public HandoffSystem {
 protected:
  // Runs handoffctl with `args` against this test's services (stdin empty, not a
  // terminal), waiting for it to end.
  CtlRun Ctl(const std::vector<std::string>& args) {
    std::string cmd = Quote(HANDOFFCTL_BINARY);
    for (const std::string& a : args) cmd += " " + Quote(a);
    const std::string out = dir_.path() + "/ctl.out", err = dir_.path() + "/ctl.err";
    cmd = "HANDOFF_MARKETING=127.0.0.1:" + std::to_string(marketing_port_) +
          " HANDOFF_SALES=127.0.0.1:" + std::to_string(sales_port_) + " " + cmd + " </dev/null >" + Quote(out) +
          " 2>" + Quote(err);
    const int status = std::system(cmd.c_str());
    CtlRun r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::vector<mv1::Lead> AllLeads() {
    mv1::ListLeadsRequest req;
    req.set_page_size(1000);
    mv1::ListLeadsResponse resp;
    EXPECT_TRUE(leads_->ListLeads(Ctx().get(), req, &resp).ok());
    return {resp.leads().begin(), resp.leads().end()};
  }
};

// Good, duplicate and bad rows: each row's fate in the summary (JSON, parsed back) and in
// the error report (row by row, with the service's code, reason and field, or this
// program's for a value it cannot parse); a second run of the same file acts on no row
// again.
TEST_F(HandoffctlTest, ImportReportsEveryRowAndARerunActsOnce) {
  const std::string file = WriteFile("people.csv",
                                     "Email,given_name,company,consent_email,campaign\r\n"
                                     "ada@example.org,Ada,Analytical,yes,\r\n"
                                     "grace@example.org,Grace,\"Navy, US\",no,\r\n"
                                     "ADA@example.org,Ada,,yes,\r\n"            // the same person: merged
                                     "not-an-email,Bad,,,\r\n"                  // the service refuses it
                                     "bob@example.org,Bob,,maybe,\r\n"          // a value this program refuses
                                     "carol@example.org,Carol,,,campaigns/nope\r\n"  // no such campaign
                                     "dave@example.org,Dave\r\n");              // too few fields
  CtlRun r = Ctl({"--output=json", "leads", "import", file, "--progress=lines"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto summary = FromJson<mv1::ImportLeadsResponse>(r.out);
  EXPECT_EQ(summary.created_count(), 2);
  EXPECT_EQ(summary.merged_count(), 1);
  EXPECT_EQ(summary.rejected_count(), 4);
  ASSERT_EQ(summary.rejections_size(), 4);
  EXPECT_EQ(summary.rejections(0).row(), 3);  // zero-based data rows, as ImportLeads numbers them
  EXPECT_EQ(summary.rejections(3).row(), 6);
  EXPECT_NE(r.err.find("imported 7 of 7 rows (100%)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "a bar was drawn on a pipe";

  const auto report = ReadCsv(file + ".errors.csv");
  ASSERT_EQ(report.size(), 5u);
  EXPECT_EQ(report[0], (std::vector<std::string>{"row", "code", "reason", "field", "error", "Email", "given_name",
                                                  "company", "consent_email", "campaign"}));
  EXPECT_EQ(report[1][0], "4");
  EXPECT_EQ(report[1][1], "INVALID_ARGUMENT");
  EXPECT_EQ(report[1][2], "FIELD_INVALID");
  EXPECT_EQ(report[1][3], "contact.email");
  EXPECT_EQ(report[1][5], "not-an-email");
  EXPECT_EQ(report[2][0], "5");
  EXPECT_EQ(report[2][3], "consent.email");
  EXPECT_NE(report[2][4].find("\"maybe\""), std::string::npos) << report[2][4];
  EXPECT_EQ(report[3][0], "6");
  EXPECT_EQ(report[3][1], "NOT_FOUND");
  EXPECT_EQ(report[3][9], "campaigns/nope");
  EXPECT_EQ(report[4][0], "7");
  EXPECT_NE(report[4][4].find("2 fields"), std::string::npos) << report[4][4];

  std::vector<mv1::Lead> leads = AllLeads();
  ASSERT_EQ(leads.size(), 2u);
  EXPECT_EQ(leads[0].contact().email(), "ada@example.org");
  EXPECT_EQ(leads[0].touch_count(), 2);  // the capture and the merged one
  EXPECT_EQ(leads[1].contact().company(), "Navy, US");
  EXPECT_TRUE(leads[0].consent().email());
  EXPECT_FALSE(leads[1].consent().email());

  // The same file again (as after an interruption): every row answered as the first time,
  // nothing captured or counted twice.
  r = Ctl({"--output=json", "leads", "import", file, "--progress=none"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto again = FromJson<mv1::ImportLeadsResponse>(r.out);
  EXPECT_EQ(again.created_count(), 2);
  EXPECT_EQ(again.merged_count(), 1);
  leads = AllLeads();
  ASSERT_EQ(leads.size(), 2u);
  EXPECT_EQ(leads[0].touch_count(), 2) << "a row of the first run acted again";

  // A corrected row is a new row: it acts, the others still do not.
  const std::string fixed = WriteFile("people.csv", Slurp(file).replace(Slurp(file).find("not-an-email"), 12,
                                                                        "eve@example.org"));
  r = Ctl({"--output=json", "leads", "import", fixed, "--progress=none"});
  EXPECT_EQ(FromJson<mv1::ImportLeadsResponse>(r.out).rejected_count(), 3);
  EXPECT_EQ(AllLeads().size(), 3u);
  EXPECT_EQ(AllLeads()[0].touch_count(), 2);
}

TEST_F(HandoffctlTest, AnUnknownHeaderIsRefusedBeforeAnyRowAndCanBeMapped) {
  const std::string file = WriteFile("crm.csv", "E-Mail,Vorname\nada@example.org,Ada\n");
  CtlRun r = Ctl({"leads", "import", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("header \"E-Mail\" is not a known column"), std::string::npos) << r.err;
  EXPECT_TRUE(AllLeads().empty());
  r = Ctl({"leads", "import", file, "--column=E-Mail=email", "--column=Vorname=given_name", "--progress=none"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(AllLeads().size(), 1u);
  EXPECT_EQ(AllLeads()[0].contact().given_name(), "Ada");
}

// A terminal gets a bar redrawn in place, with rows/s and an ETA (tmux stands in for one).
TEST_F(HandoffctlTest, OnATerminalTheImportDrawsAProgressBar) {
  if (std::system("command -v tmux >/dev/null 2>&1") != 0) GTEST_SKIP() << "tmux is not installed";
  std::string csv = "email\n";
  for (int i = 0; i < 3000; ++i) csv += "person" + std::to_string(i) + "@example.org\n";
  const std::string file = WriteFile("many.csv", csv);
  const std::string done = dir_.path() + "/done";
  const std::string session = "handoffctl-" + std::to_string(marketing_port_);
  const std::string cmd = "HANDOFF_MARKETING=127.0.0.1:" + std::to_string(marketing_port_) + " " +
                          Quote(HANDOFFCTL_BINARY) + " leads import " + Quote(file) + " --batch_rows=500; touch " +
                          Quote(done) + "; sleep 30";
  ASSERT_EQ(std::system(("tmux new-session -d -s " + session + " -x 160 -y 10 " + Quote(cmd)).c_str()), 0);
  EXPECT_TRUE(Eventually([&] { return std::ifstream(done).good(); }, std::chrono::seconds(60)));
  const std::string pane = dir_.path() + "/pane";
  ASSERT_EQ(std::system(("tmux capture-pane -p -t " + session + " > " + Quote(pane)).c_str()), 0);
  (void)std::system(("tmux kill-session -t " + session).c_str());
  const std::string screen = Slurp(pane);
  EXPECT_NE(screen.find("[##############################] 100% 3,000/3,000 rows"), std::string::npos) << screen;
  EXPECT_NE(screen.find("rows/s  ETA"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("imported "), std::string::npos) << "lines instead of a bar:\n" << screen;
  const CtlRun list = Ctl({"--output=csv", "leads", "list", "--all", "--page_size=500"});
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 3001) << "a header and every lead, over 6 pages";
}

// Campaign, deals and reports through the command line, the figures checked against
// numbers worked out by hand: 4 leads from a campaign with 250 EUR spent, 2 handed off,
// one rejected and one won at 2,000 EUR.
TEST_F(HandoffctlTest, ReportsShowTheFiguresOfWhatWasDoneThroughTheCommandLine) {
  CreateRep("alice", "", 10);
  CtlRun r = Ctl({"--output=json", "campaigns", "create", "Spring webinar", "--channel=webinar", "--budget=1000",
               "--state=active"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string campaign = FromJson<mv1::Campaign>(r.out).name();
  ASSERT_FALSE(campaign.empty());
  r = Ctl({"campaigns", "spend", campaign, "250", "--note=venue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("250.00 EUR"), std::string::npos) << r.out;
  // More than the budget is refused, with the reason printed.
  r = Ctl({"campaigns", "spend", campaign, "800"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("FAILED_PRECONDITION"), std::string::npos) << r.err;

  std::vector<std::string> leads;
  for (const char* who : {"a", "b", "c", "d"}) {
    r = Ctl({"--output=json", "leads", "capture", std::string("--email=") + who + "@example.org", "--consent=email",
             "--campaign=" + campaign});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    leads.push_back(FromJson<mv1::CaptureLeadResponse>(r.out).lead().name());
  }
  Qualify(leads[0]);
  Qualify(leads[1]);
  const std::string won = AwaitOpportunities(leads[0]).at(0).name();
  const std::string rejected = AwaitOpportunities(leads[1]).at(0).name();
  r = Ctl({"deals", "accept", won});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A call is refused: the person consented to e-mail only (sales honours it too).
  r = Ctl({"deals", "log", won, "--type=call", "--call_outcome=connected", "--summary=discovery call"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("FAILED_PRECONDITION [CONSENT_MISSING]"), std::string::npos) << r.err;
  r = Ctl({"deals", "log", won, "--type=email", "--summary=sent the proposal"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Ctl({"deals", "advance", won, "--stage=proposal", "--amount=2000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Ctl({"--output=json", "deals", "won", won, "--amount=2000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FromJson<sv1::Opportunity>(r.out).stage(), sv1::STAGE_CLOSED_WON);
  r = Ctl({"deals", "reject", rejected, "--reason=no_budget", "--text=next year"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The outcome goes back to marketing.
  ASSERT_TRUE(Eventually([&] { return GetLead(leads[0]).last_outcome() == mv1::OUTCOME_WON; }));
  ASSERT_TRUE(Eventually([&] { return GetLead(leads[1]).last_outcome() == mv1::OUTCOME_REJECTED; }));

  r = Ctl({"--output=json", "reports", "campaign", campaign});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto perf = FromJson<mv1::GetCampaignPerformanceResponse>(r.out);
  EXPECT_EQ(perf.leads(), 4);
  EXPECT_EQ(perf.mqls(), 2);
  EXPECT_EQ(perf.accepted(), 1);
  EXPECT_EQ(perf.rejected(), 1);
  EXPECT_EQ(perf.won(), 1);
  EXPECT_EQ(perf.revenue().amount_minor(), 200000);
  EXPECT_EQ(perf.spend().amount_minor(), 25000);
  EXPECT_EQ(perf.cost_per_lead().amount_minor(), 6250);
  EXPECT_EQ(perf.roi_basis_points(), 70000);  // (2000 - 250) / 250
  r = Ctl({"reports", "campaign", campaign});
  EXPECT_NE(r.out.find("cost per lead         62.50 EUR"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("roi                   700.00%"), std::string::npos) << r.out;

  r = Ctl({"--output=csv", "reports", "pipeline"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"closed_won\",\"1\",\"2,000.00 EUR\""), std::string::npos) << r.out;
  r = Ctl({"reports", "pipeline"});
  EXPECT_NE(r.out.find("win rate 100.00%"), std::string::npos) << r.out;

  r = Ctl({"reports", "funnel"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Every lead entered "lead": the longest bar, 40 wide.
  EXPECT_NE(r.out.find("lead             4  " + std::string(40, '#') + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mql              2  " + std::string(20, '#') + "\n"), std::string::npos) << r.out;

  r = Ctl({"--output=json", "deals", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"STAGE_CLOSED_WON\""), std::string::npos) << r.out;

  // The won deal closed now: it is in this hour's forecast, overall and for its rep.
  const std::string start = absl::FormatTime(absl::RFC3339_sec, absl::Now() - absl::Hours(1), absl::UTCTimeZone());
  const std::string end = absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Hours(1), absl::UTCTimeZone());
  r = Ctl({"--output=json", "reports", "forecast", "--start=" + start, "--end=" + end});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto forecast = FromJson<sv1::GetForecastResponse>(r.out);
  EXPECT_EQ(forecast.overall().won().amount_minor(), 200000);
  EXPECT_EQ(forecast.overall().won_count(), 1);
  r = Ctl({"--output=csv", "reports", "forecast", "--start=" + start, "--end=" + end});
  EXPECT_NE(r.out.find("\"overall\",\"2,000.00 EUR\",\"1\",\"0.00 EUR\",\"0\""), std::string::npos) << r.out;

  // Nothing is parked; retrying all of nothing requeues nothing.
  r = Ctl({"--output=csv", "ops", "parked", "--service=sales"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "\"sequence\",\"topic\",\"key\",\"attempts\",\"created\",\"last_error\"\r\n");
  r = Ctl({"--output=json", "ops", "retry", "--service=marketing", "--all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("{"), std::string::npos) << r.out;
  r = Ctl({"ops", "retry", "--service=marketing"});
  EXPECT_EQ(r.exit_code, 2) << "neither sequences nor --all";

  // The lead stream from the start: the four captures first.
  r = Ctl({"--output=csv", "watch", "leads", "--count=4", "--types=captured"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5) << r.out;
  EXPECT_NE(r.out.find(leads[3]), std::string::npos) << r.out;

  r = Ctl({"--output=json", "watch", "deals", "--count=3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_EQ(FromJson<sv1::DealEvent>(r.out.substr(0, r.out.find('\n'))).type(), sv1::DEAL_EVENT_TYPE_CREATED);
}

TEST_F(HandoffctlTest, ErrorsNameTheirReasonAndFieldAndJsonReadsBack) {
  CtlRun r = Ctl({"leads", "capture", "--email=not-an-address"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("CaptureLead: INVALID_ARGUMENT [FIELD_INVALID, contact.email]"), std::string::npos) << r.err;
  r = Ctl({"leads", "show", "leads/doesnotexist"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.err;
  r = Ctl({"leads", "list", "--stage=nonsense"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--stage=nonsense: not one of subscriber, lead, mql"), std::string::npos) << r.err;
  r = Ctl({"--deadline=soon", "leads", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--deadline=soon"), std::string::npos) << r.err;
  r = Ctl({"--marketing=10.1.2.3:50051", "leads", "list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("plaintext only to loopback"), std::string::npos) << r.err;

  r = Ctl({"--output=json", "leads", "capture", "--email=ada@example.org", "--given_name=Ada", "--company=Analytical"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string name = FromJson<mv1::CaptureLeadResponse>(r.out).lead().name();
  r = Ctl({"--output=json", "leads", "show", name});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lead = FromJson<mv1::Lead>(r.out);
  EXPECT_EQ(lead.name(), name);
  EXPECT_EQ(lead.contact().company(), "Analytical");
  ASSERT_GT(lead.score_breakdown_size(), 0);
  r = Ctl({"leads", "show", name});
  EXPECT_NE(r.out.find("score breakdown"), std::string::npos);
  EXPECT_NE(r.out.find("stage timeline"), std::string::npos);
  EXPECT_NE(r.out.find("captured"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace handoff::testing
