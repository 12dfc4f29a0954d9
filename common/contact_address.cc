#include "common/contact_address.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/validation.h"

namespace handoff {
namespace {

bool IsUtf8(char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; }

bool ValidLocalPart(absl::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return false;
  }
  for (char c : local) {
    if (IsUtf8(c)) continue;
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    if (absl::StrContains("()<>[]:;@\\,\"", c)) return false;
  }
  return true;
}

bool ValidDomain(absl::string_view domain) {
  const std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return false;
  for (absl::string_view label : labels) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsUtf8(c) && !absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  const absl::string_view tld = labels.back();
  bool all_digits = true;
  for (char c : tld) all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  return !all_digits;
}

}  // namespace

absl::StatusOr<std::string> NormalizeEmail(absl::string_view email, absl::string_view field) {
  std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(email));
  const size_t at = e.rfind('@');
  const bool ok = !e.empty() && e.size() <= 254 && at != std::string::npos &&
                  ValidLocalPart(absl::string_view(e).substr(0, at)) &&
                  ValidDomain(absl::string_view(e).substr(at + 1));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", Quote(email), " is not an e-mail address like name@example.com"));
  }
  return e;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view phone, absl::string_view field) {
  absl::string_view p = absl::StripAsciiWhitespace(phone);
  std::string digits;
  const bool international = absl::ConsumePrefix(&p, "+") || absl::ConsumePrefix(&p, "00");
  for (char c : p) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", Quote(phone), " contains ", Quote(std::string(1, c))));
    }
    if (digits.size() > 15) break;  // too long already; the message below says so
  }
  if (!international) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", Quote(phone), " needs the country code, e.g. +49 151 12345678"));
  }
  if (digits.size() < 7 || digits.size() > 15 || digits[0] == '0') {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", Quote(phone), " must have 7 to 15 digits after the country prefix"));
  }
  return absl::StrCat("+", digits);
}

}  // namespace handoff
