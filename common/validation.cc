#include "common/validation.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/error_details.h"

namespace handoff {
namespace {

// Sorted; generated from /usr/share/iso-codes/json/iso_4217.json (see CMakeLists.txt).
constexpr absl::string_view kIso4217Codes[] = {
#include "common/iso_4217_codes.inc"
};

}  // namespace

std::string Quote(absl::string_view value) {
  // Count characters, not bytes: a UTF-8 continuation byte (10xxxxxx) starts none.
  size_t chars = 0;
  size_t cut = value.size();
  for (size_t i = 0; i < value.size(); ++i) {
    if ((static_cast<unsigned char>(value[i]) & 0xC0) == 0x80) continue;
    if (chars == kMaxQuotedChars) {
      cut = i;
      break;
    }
    ++chars;
  }
  if (cut == value.size()) return absl::StrCat("\"", value, "\"");
  return absl::StrCat("\"", value.substr(0, cut), "\"... (", value.size(), " bytes in all)");
}

absl::Status ValidateCurrency(absl::string_view code, absl::string_view field) {
  if (!std::binary_search(std::begin(kIso4217Codes), std::end(kIso4217Codes), code)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", Quote(code), " is not an ISO 4217 currency code such as EUR or USD"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePositiveMoney(const Money& money, absl::string_view field) {
  if (money.amount_minor <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".amount_minor must be greater than zero"));
  }
  if (money.amount_minor > kMaxAmountMinor) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".amount_minor ", money.amount_minor,
                                                   " is above the maximum of ", kMaxAmountMinor,
                                                   " minor units"));
  }
  return ValidateCurrency(money.currency, absl::StrCat(field, ".currency_code"));
}

absl::StatusOr<int64_t> AddToTotal(int64_t total, int64_t amount, absl::string_view what) {
  if (amount > kMaxTotalMinor - total) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(what, " would exceed the maximum total of ",
                                                      kMaxTotalMinor, " minor units")), reason::kTotalLimitExceeded);
  }
  return total + amount;
}

absl::Status ValidateLength(absl::string_view value, size_t max, absl::string_view field) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", max, " characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRequiredText(absl::string_view value, size_t max, absl::string_view field) {
  if (absl::StripAsciiWhitespace(value).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required and must not be blank"));
  }
  return ValidateLength(value, max, field);
}

absl::Status ValidateExternalId(absl::string_view value, absl::string_view field) {
  if (value.size() > 128) return absl::InvalidArgumentError(absl::StrCat(field, " is longer than 128 characters"));
  for (const char c : value) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " may hold only printable ASCII characters without spaces"));
    }
  }
  return absl::OkStatus();
}

}  // namespace handoff
