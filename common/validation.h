#ifndef HANDOFF_COMMON_VALIDATION_H_
#define HANDOFF_COMMON_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/model.h"

namespace handoff {

// The largest amount one Money value may hold, in minor units: 10^15 (ten trillion euros in
// cents). Every amount a caller sends (budgets, spend, deal amounts, outcomes) is checked
// against it, so no sum of a realistic number of them can overflow.
inline constexpr int64_t kMaxAmountMinor = 1'000'000'000'000'000;
// The largest total the services keep or report of many amounts (a lead's won revenue, a
// campaign's spend, a report's sum): 10^18 minor units.
inline constexpr int64_t kMaxTotalMinor = 1'000'000'000'000'000'000;

// At most this many characters of a caller's value are quoted back in an error message.
inline constexpr size_t kMaxQuotedChars = 64;

// `value` in double quotes for an error message, cut after kMaxQuotedChars characters
// (never inside a UTF-8 sequence) with the full length noted, so a huge value cannot make
// a status larger than clients accept.
std::string Quote(absl::string_view value);

// An active ISO 4217 currency code (the list of Debian's iso-codes, taken at build time);
// INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateCurrency(absl::string_view code, absl::string_view field);

// 0 < amount_minor <= kMaxAmountMinor and a valid currency; INVALID_ARGUMENT naming `field`.
absl::Status ValidatePositiveMoney(const Money& money, absl::string_view field);

// `total` + `amount` when the sum stays within kMaxTotalMinor; FAILED_PRECONDITION saying
// that `what` would exceed it otherwise (both inputs must be in [0, kMaxTotalMinor]).
absl::StatusOr<int64_t> AddToTotal(int64_t total, int64_t amount, absl::string_view what);

// At most `max` bytes; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateLength(absl::string_view value, size_t max, absl::string_view field);

// Not empty after trimming ASCII white space, and at most `max` bytes; INVALID_ARGUMENT
// naming `field` otherwise.
absl::Status ValidateRequiredText(absl::string_view value, size_t max, absl::string_view field);

// An id a caller's system chose (external_id): empty (none), or 1 to 128 printable ASCII
// characters without spaces; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateExternalId(absl::string_view value, absl::string_view field);

}  // namespace handoff

#endif  // HANDOFF_COMMON_VALIDATION_H_
