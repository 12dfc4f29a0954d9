#include "marketing-service/domain/contact_rules.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/validation.h"

namespace handoff::marketing {

absl::StatusOr<Contact> NormalizeContact(const Contact& in) {
  Contact out;
  if (in.email.empty() && in.phone.empty()) {
    return absl::InvalidArgumentError("contact: email or phone is required");
  }
  if (!in.email.empty()) {
    absl::StatusOr<std::string> e = NormalizeEmail(in.email);
    if (!e.ok()) return e.status();
    out.email = *std::move(e);
  }
  if (!in.phone.empty()) {
    absl::StatusOr<std::string> p = NormalizePhone(in.phone);
    if (!p.ok()) return p.status();
    out.phone = *std::move(p);
  }
  struct Text {
    const std::string& in;
    std::string& out;
    const char* field;
  };
  for (const Text& t : {Text{in.given_name, out.given_name, "contact.given_name"},
                        Text{in.family_name, out.family_name, "contact.family_name"},
                        Text{in.company, out.company, "contact.company"},
                        Text{in.title, out.title, "contact.title"}}) {
    t.out = std::string(absl::StripAsciiWhitespace(t.in));
    if (t.out.size() > 200) {
      return absl::InvalidArgumentError(absl::StrCat(t.field, " is longer than 200 characters"));
    }
  }
  if (!in.country_code.empty()) {
    std::string cc = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(in.country_code));
    if (cc.size() != 2 || !absl::ascii_isalpha(static_cast<unsigned char>(cc[0])) ||
        !absl::ascii_isalpha(static_cast<unsigned char>(cc[1]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "contact.country_code: ", Quote(in.country_code), " is not an ISO 3166-1 alpha-2 code"));
    }
    out.country_code = cc;
  }
  return out;
}

std::vector<std::string> FillGaps(Contact& into, const Contact& from) {
  std::vector<std::string> filled;
  auto fill = [&](std::string& dst, const std::string& src, const char* name) {
    if (dst.empty() && !src.empty()) {
      dst = src;
      filled.emplace_back(name);
    }
  };
  fill(into.email, from.email, "email");
  fill(into.phone, from.phone, "phone");
  fill(into.given_name, from.given_name, "given_name");
  fill(into.family_name, from.family_name, "family_name");
  fill(into.company, from.company, "company");
  fill(into.title, from.title, "title");
  fill(into.country_code, from.country_code, "country_code");
  return filled;
}

}  // namespace handoff::marketing
