#include "common/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace handoff {

absl::Status ValidateCurrency(absl::string_view code, absl::string_view field) {
  const bool ok = code.size() == 3 && absl::ascii_isupper(static_cast<unsigned char>(code[0])) &&
                  absl::ascii_isupper(static_cast<unsigned char>(code[1])) &&
                  absl::ascii_isupper(static_cast<unsigned char>(code[2]));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", code, "\" is not an ISO 4217 code such as EUR or USD"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePositiveMoney(const Money& money, absl::string_view field) {
  if (money.amount_minor <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".amount_minor must be greater than zero"));
  }
  return ValidateCurrency(money.currency, absl::StrCat(field, ".currency_code"));
}

absl::Status ValidateLength(absl::string_view value, size_t max, absl::string_view field) {
  if (value.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", max, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace handoff
