#include "handoffctl/lead_import.h"

#include <openssl/sha.h>
#include <unistd.h>

#include <fstream>
#include <algorithm>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "handoff/marketing/v1/lead_service.grpc.pb.h"
#include "handoffctl/csv_reader.h"
#include "handoffctl/render.h"

namespace handoff::ctl {
namespace {

namespace mv1 = ::handoff::marketing::v1;
using google::protobuf::FieldDescriptor;

// Header names of the file -> field paths of CaptureLeadRequest. A header may also be a
// path itself ("contact.email").
const std::vector<std::pair<std::string, std::string>>& KnownColumns() {
  static const auto* columns = new std::vector<std::pair<std::string, std::string>>{
      {"email", "contact.email"},
      {"phone", "contact.phone"},
      {"given_name", "contact.given_name"},
      {"family_name", "contact.family_name"},
      {"company", "contact.company"},
      {"title", "contact.title"},
      {"country_code", "contact.country_code"},
      {"consent_email", "consent.email"},
      {"consent_phone", "consent.phone"},
      {"consent_sms", "consent.sms"},
      {"consent_mail", "consent.mail"},
      {"do_not_contact", "consent.do_not_contact"},
      {"campaign", "campaign"},
      {"capture_time", "capture_time"},
      {"external_id", "external_id"},
      {"subscribe_only", "subscribe_only"},
      {"utm_source", "utm.source"},
      {"utm_medium", "utm.medium"},
      {"utm_campaign", "utm.campaign"},
  };
  return *columns;
}

// Where one column's value goes: the chain of fields from CaptureLeadRequest.
struct ColumnTarget {
  std::string path;  // "" = ignored
  std::vector<const FieldDescriptor*> fields;
};

absl::StatusOr<ColumnTarget> Resolve(const std::string& path) {
  ColumnTarget t{path, {}};
  const google::protobuf::Descriptor* d = mv1::CaptureLeadRequest::descriptor();
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    const FieldDescriptor* f = d == nullptr ? nullptr : d->FindFieldByName(std::string(part));
    if (f == nullptr || f->is_repeated() || f->name() == "request_id") return absl::NotFoundError(path);
    t.fields.push_back(f);
    d = f->message_type();
  }
  const FieldDescriptor* leaf = t.fields.back();
  const bool timestamp = leaf->message_type() == google::protobuf::Timestamp::descriptor();
  if (leaf->type() != FieldDescriptor::TYPE_STRING && leaf->type() != FieldDescriptor::TYPE_BOOL && !timestamp) {
    return absl::NotFoundError(path);
  }
  return t;
}

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (v.empty() || v == "false" || v == "no" || v == "0" || v == "n") return false;
  if (v == "true" || v == "yes" || v == "1" || v == "y") return true;
  return absl::InvalidArgumentError("not a yes/no value (true, false, yes, no, 1, 0)");
}

// Sets `value` at `target` in `row`; INVALID_ARGUMENT for a value the field cannot take.
absl::Status Set(const ColumnTarget& target, const std::string& value, mv1::CaptureLeadRequest& row) {
  google::protobuf::Message* m = &row;
  for (size_t i = 0; i + 1 < target.fields.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, target.fields[i]);
  }
  const FieldDescriptor* leaf = target.fields.back();
  const google::protobuf::Reflection* r = m->GetReflection();
  if (leaf->type() == FieldDescriptor::TYPE_STRING) {
    if (!value.empty()) r->SetString(m, leaf, value);
    return absl::OkStatus();
  }
  if (leaf->type() == FieldDescriptor::TYPE_BOOL) {
    absl::StatusOr<bool> b = ParseBool(value);
    if (!b.ok()) return b.status();
    r->SetBool(m, leaf, *b);
    return absl::OkStatus();
  }
  if (absl::StripAsciiWhitespace(value).empty()) return absl::OkStatus();
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(absl::StripAsciiWhitespace(value)), &t, &error)) {
    return absl::InvalidArgumentError("not an RFC 3339 time (2026-12-07T10:00:00Z)");
  }
  auto* ts = static_cast<google::protobuf::Timestamp*>(r->MutableMessage(m, leaf));
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(absl::ToUnixSeconds(t))) / absl::Nanoseconds(1)));
  return absl::OkStatus();
}

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The row's request_id: the file's name, the row's fields and how many identical rows
// came before it in the file -- stable across runs, whatever rows are added, removed or
// corrected around it.
std::string RequestId(const std::string& file, const std::vector<std::string>& fields, int occurrence) {
  std::string input = absl::StrCat(Basename(file), "\x1e", absl::StrJoin(fields, "\x1f"), "\x1e", occurrence);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::StrCat("handoffctl-import-",
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), 16)));
}

// Progress on stderr: a bar redrawn in place on a terminal, a line every few seconds
// otherwise.
class Progress {
 public:
  Progress(std::ostream& err, const std::string& mode, int64_t total)
      : err_(err), total_(total), start_(absl::Now()) {
    bar_ = mode == "bar" || (mode == "auto" && isatty(STDERR_FILENO));
    quiet_ = mode == "none";
  }
  void Update(int64_t done, bool final = false) {
    if (quiet_) return;
    const absl::Time now = absl::Now();
    if (!final && now - last_ < (bar_ ? absl::Milliseconds(100) : absl::Seconds(2))) return;
    last_ = now;
    const double secs = std::max(absl::ToDoubleSeconds(now - start_), 1e-3);
    const double rate = done / secs;
    const int pct = total_ > 0 ? static_cast<int>(100 * done / total_) : 100;
    const std::string eta = rate > 0 && total_ > done ? Clock((total_ - done) / rate) : "0:00";
    if (bar_) {
      constexpr int kWidth = 30;
      const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
      err_ << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
           << absl::StrFormat("%3d%% %s/%s rows  %s rows/s  ETA %s", pct, FormatCount(done), FormatCount(total_),
                              FormatCount(static_cast<int64_t>(rate)), eta)
           << "\x1b[K" << (final ? "\n" : "") << std::flush;
    } else {
      err_ << absl::StrFormat("imported %s of %s rows (%d%%), %s rows/s, ETA %s\n", FormatCount(done),
                              FormatCount(total_), pct, FormatCount(static_cast<int64_t>(rate)), eta)
           << std::flush;
    }
  }

 private:
  static std::string Clock(double seconds) {
    const int64_t s = static_cast<int64_t>(seconds + 0.5);
    return s >= 3600 ? absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                     : absl::StrFormat("%d:%02d", s / 60, s % 60);
  }
  std::ostream& err_;
  const int64_t total_;
  const absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
  bool bar_ = false;
  bool quiet_ = false;
};

// One data row of the file as read, and what becomes of it.
struct PendingRow {
  int64_t number = 0;  // 1 = the first row after the header
  std::vector<std::string> fields;
  mv1::CaptureLeadRequest request;
};

}  // namespace

std::vector<std::string> LeadImportColumns() {
  std::vector<std::string> out;
  for (const auto& [name, path] : KnownColumns()) out.push_back(name == path ? name : absl::StrCat(name, " (", path, ")"));
  return out;
}

int RunLeadImport(Context& ctx, const LeadImportOptions& options) {
  if (options.batch_rows < 1 || options.batch_rows > 100000) {
    return Failed(ctx, absl::InvalidArgumentError("--batch_rows: 1 to 100000 (the service's limit per stream)"));
  }
  if (options.progress != "auto" && options.progress != "bar" && options.progress != "lines" &&
      options.progress != "none") {
    return Failed(ctx, absl::InvalidArgumentError("--progress: one of auto, bar, lines, none"));
  }
  // First pass: count the rows, for the progress and its ETA.
  int64_t total = 0;
  {
    absl::StatusOr<std::unique_ptr<CsvReader>> counter = CsvReader::Open(options.file);
    if (!counter.ok()) return Failed(ctx, counter.status());
    for (;;) {
      absl::StatusOr<std::optional<std::vector<std::string>>> r = (*counter)->Next();
      if (!r.ok()) return Failed(ctx, r.status());
      if (!r->has_value()) break;
    }
    total = std::max<int64_t>((*counter)->records() - 1, 0);
  }
  absl::StatusOr<std::unique_ptr<CsvReader>> reader = CsvReader::Open(options.file);
  if (!reader.ok()) return Failed(ctx, reader.status());
  absl::StatusOr<std::optional<std::vector<std::string>>> header = (*reader)->Next();
  if (!header.ok()) return Failed(ctx, header.status());
  if (!header->has_value()) return Failed(ctx, absl::InvalidArgumentError(options.file + ": empty (no header row)"));

  // Map the header to fields.
  std::map<std::string, std::string> renames;
  for (const std::string& m : options.column_maps) {
    const size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Failed(ctx, absl::InvalidArgumentError(absl::StrCat("--column=", m, ": give HEADER=COLUMN (or HEADER=-)")));
    }
    renames[m.substr(0, eq)] = m.substr(eq + 1);
  }
  std::vector<ColumnTarget> targets;
  for (const std::string& raw : **header) {
    const std::string name(absl::StripAsciiWhitespace(raw));
    std::string column = renames.count(name) ? renames[name] : absl::AsciiStrToLower(name);
    if (column == "-") {
      targets.push_back(ColumnTarget{});
      continue;
    }
    std::string path = column;
    for (const auto& [known, known_path] : KnownColumns()) {
      if (known == column) path = known_path;
    }
    absl::StatusOr<ColumnTarget> t = Resolve(path);
    if (!t.ok()) {
      return Failed(ctx, absl::InvalidArgumentError(absl::StrCat(
                             options.file, ": header \"", name, "\" is not a known column (",
                             absl::StrJoin(LeadImportColumns(), ", "),
                             "); map it with --column='", name, "=COLUMN' or skip it with --column='", name, "=-'")));
    }
    targets.push_back(*std::move(t));
  }

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ctx.Marketing();
  if (!channel.ok()) return Failed(ctx, channel.status());
  auto leads = mv1::LeadService::NewStub(*channel);

  mv1::ImportLeadsResponse summary;
  const std::string errors_path = options.errors_file.empty() ? options.file + ".errors.csv" : options.errors_file;
  std::ofstream errors;
  std::vector<std::string> error_header = {"row", "code", "reason", "field", "error"};
  error_header.insert(error_header.end(), (*header)->begin(), (*header)->end());
  // A batch's rejections, by row, written in file order once the batch is answered.
  std::map<int64_t, std::vector<std::string>> rejected;
  const auto report = [&](const PendingRow& row, int code, const std::string& reason, const std::string& field,
                          const std::string& error) {
    std::vector<std::string> line = {absl::StrCat(row.number), CodeName(code), reason, field, error};
    line.insert(line.end(), row.fields.begin(), row.fields.end());
    rejected[row.number] = std::move(line);
    summary.set_rejected_count(summary.rejected_count() + 1);
    mv1::ImportRowRejection* rej = summary.add_rejections();
    rej->set_row(row.number - 1);
    rej->set_error(error);
    rej->set_code(code);
    rej->set_reason(reason);
    rej->set_field(field);
  };
  const auto flush_rejected = [&] {
    if (rejected.empty()) return;
    if (!errors.is_open()) {
      errors.open(errors_path, std::ios::binary | std::ios::trunc);
      errors << CsvRecord(error_header);
    }
    for (const auto& [number, line] : rejected) errors << CsvRecord(line);
    errors.flush();
    rejected.clear();
  };

  Progress progress(ctx.err(), options.progress, total);
  absl::flat_hash_map<std::string, int> seen;  // row content -> occurrences so far
  int64_t done = 0;
  bool at_end = false;
  while (!at_end) {
    // Read a batch; rows this program cannot turn into a request are reported at once.
    std::vector<PendingRow> batch;
    while (static_cast<int>(batch.size()) < options.batch_rows) {
      absl::StatusOr<std::optional<std::vector<std::string>>> rec = (*reader)->Next();
      if (!rec.ok()) return Failed(ctx, rec.status());
      if (!rec->has_value()) {
        at_end = true;
        break;
      }
      PendingRow row;
      row.number = (*reader)->records() - 1;
      row.fields = **std::move(rec);
      constexpr int kInvalid = static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT);
      bool bad = false;
      if (row.fields.size() != targets.size()) {
        bad = true;
        report(row, kInvalid, "FIELD_INVALID", "",
               absl::StrCat("the row has ", row.fields.size(), " fields, the header ", targets.size()));
      } else {
        for (size_t c = 0; c < targets.size() && !bad; ++c) {
          if (targets[c].path.empty()) continue;
          if (absl::Status s = Set(targets[c], row.fields[c], row.request); !s.ok()) {
            bad = true;
            report(row, kInvalid, "FIELD_INVALID", targets[c].path,
                   absl::StrCat(targets[c].path, ": \"", row.fields[c], "\" is ", s.message()));
          }
        }
      }
      if (bad) {
        ++done;
        continue;
      }
      if (!options.campaign.empty() && row.request.campaign().empty()) row.request.set_campaign(options.campaign);
      const std::string content = absl::StrJoin(row.fields, "\x1f");
      row.request.set_request_id(RequestId(options.file, row.fields, seen[content]++));
      batch.push_back(std::move(row));
    }
    if (batch.empty()) {
      flush_rejected();
      continue;
    }
    // One stream per batch; the service answers it as a whole.
    std::unique_ptr<grpc::ClientContext> call = ctx.Call(absl::Minutes(10));
    mv1::ImportLeadsResponse response;
    std::unique_ptr<grpc::ClientWriter<mv1::ImportLeadsRequest>> stream = leads->ImportLeads(call.get(), &response);
    mv1::ImportLeadsRequest message;
    for (const PendingRow& row : batch) {
      *message.mutable_row() = row.request;
      if (!stream->Write(message)) break;  // the stream ended early: Finish says why
      progress.Update(++done);
    }
    stream->WritesDone();
    grpc::Status s = stream->Finish();
    if (!s.ok()) {
      progress.Update(done, true);
      ctx.err() << "handoffctl: rows " << batch.front().number << " to " << batch.back().number
                << " may be partly stored; run the same import again to finish it (each row acts once)\n";
      return CallFailed(ctx, "ImportLeads", s);
    }
    summary.set_created_count(summary.created_count() + response.created_count());
    summary.set_merged_count(summary.merged_count() + response.merged_count());
    for (const mv1::ImportRowRejection& r : response.rejections()) {
      if (r.row() < 0 || r.row() >= static_cast<int64_t>(batch.size())) continue;
      report(batch[r.row()], r.code(), r.reason(), r.field(), r.error());
    }
    flush_rejected();
  }
  progress.Update(done, true);
  if (errors.is_open()) errors.close();
  std::sort(summary.mutable_rejections()->begin(), summary.mutable_rejections()->end(),
            [](const mv1::ImportRowRejection& a, const mv1::ImportRowRejection& b) { return a.row() < b.row(); });
  if (ctx.format() == OutputFormat::kJson) {
    PrintJson(ctx.out(), summary);
  } else {
    Table t({"rows", "created", "merged", "rejected", "errors"});
    t.Add({FormatCount(done), FormatCount(summary.created_count()), FormatCount(summary.merged_count()),
           FormatCount(summary.rejected_count()), summary.rejected_count() > 0 ? errors_path : ""});
    t.Print(ctx.out(), ctx.format());
  }
  return summary.rejected_count() > 0 ? kExitRowsRejected : kExitOk;
}

}  // namespace handoff::ctl
