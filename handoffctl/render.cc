#include "handoffctl/render.h"

#include <csv.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace handoff::ctl {
namespace {

bool LooksNumeric(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != ',' && c != '.' && c != '-' && c != '%') {
      return false;
    }
  }
  return true;
}

// Display width of UTF-8 text: code points, not bytes.
size_t Width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// Decimals of ISO 4217 currencies that do not have two.
int CurrencyDecimals(absl::string_view code) {
  static constexpr absl::string_view kNone[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
                                                "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr absl::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (absl::string_view c : kNone) {
    if (c == code) return 0;
  }
  for (absl::string_view c : kThree) {
    if (c == code) return 3;
  }
  return 2;
}

}  // namespace

std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& f = fields[i];
    std::string quoted(csv_write(nullptr, 0, f.data(), f.size()), '\0');
    csv_write(quoted.data(), quoted.size(), f.data(), f.size());
    line += quoted;
  }
  line += "\r\n";  // RFC 4180
  return line;
}

void Table::Print(std::ostream& out, OutputFormat format) const {
  if (format == OutputFormat::kCsv) {
    out << CsvRecord(headers_);
    for (const auto& row : rows_) out << CsvRecord(row);
    return;
  }
  std::vector<size_t> width(headers_.size());
  std::vector<bool> numeric(headers_.size(), !rows_.empty());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = Width(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], Width(row[c]));
      if (!row[c].empty() && !LooksNumeric(row[c])) numeric[c] = false;
    }
  }
  const auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string text;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const std::string pad(width[c] - Width(cell), ' ');
      if (c > 0) text += "  ";
      text += numeric[c] && !header ? pad + cell : cell + (c + 1 < width.size() ? pad : "");
    }
    out << text << "\n";
  };
  line(headers_, true);
  for (const auto& row : rows_) line(row, false);
}

void PrintJson(std::ostream& out, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  out << json;
  if (json.empty() || json.back() != '\n') out << "\n";
}

void PrintJsonArray(std::ostream& out, const std::vector<const google::protobuf::Message*>& messages) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  out << "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(*messages[i], &json, options);
    out << (i > 0 ? ",\n " : "\n ") << json;
  }
  out << (messages.empty() ? "]\n" : "\n]\n");
}

void PrintBars(std::ostream& out, const std::vector<std::pair<std::string, int64_t>>& bars, int width) {
  size_t label_width = 0;
  int64_t top = 0;
  size_t value_width = 0;
  for (const auto& [label, value] : bars) {
    label_width = std::max(label_width, Width(label));
    top = std::max(top, value);
    value_width = std::max(value_width, FormatCount(value).size());
  }
  for (const auto& [label, value] : bars) {
    const int n = top <= 0 ? 0 : static_cast<int>((value * width + top - 1) / top);
    const std::string count = FormatCount(value);
    out << label << std::string(label_width - Width(label), ' ') << "  " << std::string(value_width - count.size(), ' ')
        << count << "  " << std::string(std::max(n, 0), '#') << "\n";
  }
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int value) {
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  // The prefix is the enum's name in UPPER_SNAKE ("LifecycleStage" -> "LIFECYCLE_STAGE_").
  std::string prefix;
  for (char c : type->name()) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  prefix += '_';
  absl::string_view name = v->name();
  if (absl::StartsWith(name, prefix)) name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, absl::string_view text,
                              absl::string_view flag) {
  std::vector<std::string> accepted;
  for (int i = 0; i < type->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = type->value(i);
    if (v->number() == 0) continue;  // UNSPECIFIED is never a choice
    const std::string label = EnumLabel(type, v->number());
    if (absl::EqualsIgnoreCase(text, label) || absl::EqualsIgnoreCase(text, v->name())) return v->number();
    accepted.push_back(label);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, "=", text, ": not one of ", absl::StrJoin(accepted, ", ")));
}

std::string FormatMoney(const common::v1::Money& money) {
  if (money.currency_code().empty()) return "";
  const int decimals = CurrencyDecimals(money.currency_code());
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const bool negative = money.amount_minor() < 0;
  const uint64_t abs = negative ? -static_cast<uint64_t>(money.amount_minor()) : money.amount_minor();
  std::string text = absl::StrCat(negative ? "-" : "", FormatCount(static_cast<int64_t>(abs / scale)));
  if (decimals > 0) {
    std::string frac = absl::StrCat(abs % scale);
    text += "." + std::string(decimals - frac.size(), '0') + frac;
  }
  return absl::StrCat(text, " ", money.currency_code());
}

absl::StatusOr<int64_t> ParseAmount(absl::string_view text, absl::string_view currency, absl::string_view flag) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(flag, "=", text, ": ", why));
  };
  const int decimals = CurrencyDecimals(currency);
  absl::string_view whole = text, frac;
  if (const size_t dot = text.find('.'); dot != absl::string_view::npos) {
    whole = text.substr(0, dot);
    frac = text.substr(dot + 1);
  }
  if (static_cast<int>(frac.size()) > decimals) {
    return bad(absl::StrCat(currency, " has ", decimals, " decimals"));
  }
  const auto digits = [](absl::string_view v) {
    return !v.empty() && v.size() <= 18 && v.find_first_not_of("0123456789") == absl::string_view::npos;
  };
  const bool has_dot = text.find('.') != absl::string_view::npos;
  int64_t units = 0, minor = 0;
  if (!digits(whole) || (has_dot && !digits(frac)) || !absl::SimpleAtoi(whole, &units) ||
      (has_dot && !absl::SimpleAtoi(frac, &minor))) {
    return bad("not an amount (e.g. 1250.50)");
  }
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  for (size_t i = frac.size(); static_cast<int>(i) < decimals; ++i) minor *= 10;
  if (units > (INT64_MAX - minor) / scale) return bad("too large");
  return units * scale + minor;
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()), absl::UTCTimeZone());
}

absl::Status ParseTimestamp(absl::string_view text, absl::string_view flag, google::protobuf::Timestamp* out) {
  const std::string trimmed(absl::StripAsciiWhitespace(text));
  if (trimmed.empty()) return absl::OkStatus();
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, trimmed, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, "=", text, ": not an RFC 3339 time (2026-12-07T10:00:00Z)"));
  }
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return absl::OkStatus();
}

std::string FormatBasisPoints(int64_t bp) {
  const bool negative = bp < 0;
  const int64_t abs = negative ? -bp : bp;
  std::string frac = absl::StrCat(abs % 100);
  return absl::StrCat(negative ? "-" : "", abs / 100, ".", std::string(2 - frac.size(), '0'), frac, "%");
}

std::string FormatCount(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

}  // namespace handoff::ctl
