// bench/store-baseline: the raw limit of marketing's store, for comparison with CaptureLead
// in the same run. Writes the rows a new-person capture writes (lead, stage history entry,
// touch, request-log entry, event) straight through SqlMarketingStore, no gRPC and no
// rules: first one transaction per capture (what the service does; every commit fsync'ed),
// then --batch captures per transaction (what group commit could reach). With --dir (SQLite)
// it first times the disk itself: --fsync_samples appends of one 4 KiB page to a file,
// each followed by fdatasync (what every SQLite commit waits for), as "disk-fdatasync".
// Prints one line per mode and, with --json_out, appends one JSON line each.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/database.h"
#include "common/ids.h"
#include "marketing-service/storage/sql_marketing_store.h"

ABSL_FLAG(int32_t, rows, 5000, "Captures to write in each mode");
ABSL_FLAG(int32_t, batch, 100, "Captures per transaction in the batched mode");
ABSL_FLAG(std::string, dir, "", "Directory for the databases (default: a temp directory)");
ABSL_FLAG(std::string, json_out, "", "Append each result as one JSON line to this file");
ABSL_FLAG(std::string, database, "",
          "A PostgreSQL URL (postgres://USER@HOST:PORT/DB; password from PGPASSWORD) to measure instead of SQLite "
          "files in --dir; its rows are written in the store's tables, so use an empty database");
ABSL_FLAG(std::string, label_prefix, "", "Put before each result's label (e.g. pg-)");
ABSL_FLAG(int32_t, fsync_samples, 500, "SQLite: page appends + fdatasync to time first (0: none)");

namespace handoff::bench {
namespace {

using marketing::Lead;
using marketing::MarketingTx;
using marketing::Touch;

// `mode` keeps the modes' people and request ids apart when they share one database.
absl::Status WriteCapture(MarketingTx& tx, const std::string& mode, int64_t n, absl::Time now) {
  Lead lead;
  lead.id = NewId();
  lead.contact.email = absl::StrCat("raw-", mode, "-", n, "@example.org");
  lead.contact.given_name = "Bench";
  lead.contact.company = "Load Test Ltd";
  lead.consent.email = true;
  lead.touch_count = 1;
  lead.create_time = lead.update_time = now;
  if (absl::Status s = tx.InsertLead(lead); !s.ok()) return s;
  if (absl::Status s = tx.AppendStageChange(lead.id, {marketing::LifecycleStage::kLead, now, "captured"}); !s.ok()) {
    return s;
  }
  Touch touch;
  touch.touch_id = NewId();
  touch.lead_id = lead.id;
  touch.type = marketing::TouchType::kFormSubmit;
  touch.time = now;
  if (absl::StatusOr<bool> t = tx.InsertTouch(touch); !t.ok()) return t.status();
  if (absl::Status s = tx.SaveRequest(
          {absl::StrCat("raw-", mode, "-", n), "LeadService/CaptureLead", "f", std::string(120, 'r'), now});
      !s.ok()) {
    return s;
  }
  return tx.AppendEvent({0, "LEAD_EVENT_TYPE_CAPTURED", lead.id, std::string(150, 'e'), now});
}

// Prints a mode's line and appends its JSON line: `ms` are the per-transaction times.
void Report(const std::string& label, const std::string& mode, int rows, int batch, double seconds,
            std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const double p50 = ms[ms.size() / 2];
  const double p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  const double per_s = rows / seconds;
  std::printf("%-22s rows=%-7d per-tx=%-4d %9.0f rows/s  tx p50=%.2f p99=%.2f ms\n", label.c_str(), rows, batch,
              per_s, p50, p99);
  if (const std::string out = absl::GetFlag(FLAGS_json_out); !out.empty()) {
    std::ofstream json(out, std::ios::app);
    json << absl::StrCat("{\"label\": \"", label, "\", \"workload\": \"store\", \"mode\": \"", mode,
                         "\", \"batch\": ", batch, ", \"calls\": ", rows, ", \"errors\": 0, \"seconds\": ", seconds,
                         ", \"throughput\": ", per_s, ", \"p50_ms\": ", p50, ", \"p90_ms\": 0, \"p99_ms\": ", p99,
                         ", \"p999_ms\": 0, \"peak_rss_kib\": {}}\n");
  }
}

int RunMode(const std::string& dir, const std::string& mode, int rows, int batch) {
  absl::StatusOr<std::unique_ptr<marketing::SqlMarketingStore>> store;
  if (const std::string url = absl::GetFlag(FLAGS_database); !url.empty()) {
    store = marketing::SqlMarketingStore::Open(url, DatabaseOptions{});
  } else {
    const std::string path = absl::StrCat(dir, "/", mode, ".db");
    std::filesystem::remove(path);
    store = marketing::SqlMarketingStore::OpenSqlite(path);
  }
  if (!store.ok()) {
    std::fprintf(stderr, "store-baseline: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::vector<double> commit_ms;
  const absl::Time start = absl::Now();
  for (int n = 0; n < rows; n += batch) {
    const absl::Time t0 = absl::Now();
    absl::Status s = (*store)->Run([&](MarketingTx& tx) -> absl::Status {
      for (int i = n; i < std::min(rows, n + batch); ++i) {
        if (absl::Status w = WriteCapture(tx, mode, i, t0); !w.ok()) return w;
      }
      return absl::OkStatus();
    });
    if (!s.ok()) {
      std::fprintf(stderr, "store-baseline: %s\n", s.ToString().c_str());
      return 1;
    }
    commit_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  Report(absl::StrCat(absl::GetFlag(FLAGS_label_prefix), "store-", mode), mode, rows, batch,
         absl::ToDoubleSeconds(absl::Now() - start), commit_ms);
  return 0;
}

// Times `samples` appends of one 4 KiB page to a file in `dir`, each made durable with
// fdatasync: the floor under every durable commit on this disk.
int TimeFdatasync(const std::string& dir, int samples) {
  const std::string path = dir + "/fdatasync-probe";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    std::perror("store-baseline: open fdatasync-probe");
    return 1;
  }
  const std::string page(4096, 'p');
  std::vector<double> ms;
  const absl::Time start = absl::Now();
  for (int i = 0; i < samples; ++i) {
    const absl::Time t0 = absl::Now();
    if (write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size()) || fdatasync(fd) != 0) {
      std::perror("store-baseline: write/fdatasync");
      close(fd);
      return 1;
    }
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  close(fd);
  std::filesystem::remove(path);
  Report("disk-fdatasync", "fdatasync", samples, 1, absl::ToDoubleSeconds(absl::Now() - start), ms);
  return 0;
}

}  // namespace
}  // namespace handoff::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) dir = (std::filesystem::temp_directory_path() / ("store-baseline-" + handoff::NewId())).string();
  std::filesystem::create_directories(dir);
  const int rows = absl::GetFlag(FLAGS_rows);
  int rc = 0;
  if (absl::GetFlag(FLAGS_database).empty() && absl::GetFlag(FLAGS_fsync_samples) > 0) {
    rc = handoff::bench::TimeFdatasync(dir, absl::GetFlag(FLAGS_fsync_samples));
  }
  if (rc == 0) rc = handoff::bench::RunMode(dir, "one-per-tx", rows, 1);
  if (rc == 0) rc = handoff::bench::RunMode(dir, "batched", rows, absl::GetFlag(FLAGS_batch));
  if (absl::GetFlag(FLAGS_dir).empty()) std::filesystem::remove_all(dir);
  return rc;
}
