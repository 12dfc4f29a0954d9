#ifndef HANDOFF_COMMON_VALIDATION_H_
#define HANDOFF_COMMON_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/model.h"

namespace handoff {

// A 3-letter upper-case ISO 4217 code; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateCurrency(absl::string_view code, absl::string_view field);

// amount_minor > 0 and a valid currency; INVALID_ARGUMENT naming `field`.
absl::Status ValidatePositiveMoney(const Money& money, absl::string_view field);

// At most `max` bytes; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateLength(absl::string_view value, size_t max, absl::string_view field);

}  // namespace handoff

#endif  // HANDOFF_COMMON_VALIDATION_H_
