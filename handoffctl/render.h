#ifndef HANDOFF_HANDOFFCTL_RENDER_H_
#define HANDOFF_HANDOFFCTL_RENDER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "handoff/common/v1/money.pb.h"
#include "handoffctl/cli_context.h"

namespace handoff::ctl {

// Rows of text under headers, printed as an aligned table (numbers right-aligned) or as
// CSV (RFC 4180, every field quoted, through libcsv).
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size(); }
  void Print(std::ostream& out, OutputFormat format) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// One CSV record (fields quoted by libcsv), newline-terminated.
std::string CsvRecord(const std::vector<std::string>& fields);

// Protobuf's own JSON printer: one message, or a list of them as a JSON array.
void PrintJson(std::ostream& out, const google::protobuf::Message& message);
void PrintJsonArray(std::ostream& out, const std::vector<const google::protobuf::Message*>& messages);

// A horizontal bar chart: one line per (label, value), bars scaled to the largest value.
void PrintBars(std::ostream& out, const std::vector<std::pair<std::string, int64_t>>& bars, int width = 40);

// An enum value for people: its name without the enum's prefix, lower case
// (LIFECYCLE_STAGE_MQL -> "mql").
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value);
// The reverse, accepting the label or the full name, any case; INVALID_ARGUMENT naming
// `flag` and the accepted values otherwise.
absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, absl::string_view text,
                              absl::string_view flag);

// Money in its currency's decimals ("1,250.00 EUR"); "" when unset.
std::string FormatMoney(const common::v1::Money& money);
// "1250.5" in `currency` -> minor units (125050 for EUR); INVALID_ARGUMENT naming `flag`
// for anything else, or more decimals than the currency has.
absl::StatusOr<int64_t> ParseAmount(absl::string_view text, absl::string_view currency, absl::string_view flag);
// RFC 3339 in UTC ("2026-12-07T10:00:00Z"); "" when unset.
std::string FormatTime(const google::protobuf::Timestamp& t);
// Parses RFC 3339 `text` into `out`; INVALID_ARGUMENT naming `flag` otherwise. Empty
// text leaves `out` untouched.
absl::Status ParseTimestamp(absl::string_view text, absl::string_view flag, google::protobuf::Timestamp* out);
// Basis points as a percentage ("12.34%").
std::string FormatBasisPoints(int64_t bp);
// Integers with thousands separators ("12,345").
std::string FormatCount(int64_t n);

}  // namespace handoff::ctl

#endif  // HANDOFF_HANDOFFCTL_RENDER_H_
