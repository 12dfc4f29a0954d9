#ifndef HANDOFF_COMMON_CONTACT_ADDRESS_H_
#define HANDOFF_COMMON_CONTACT_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace handoff {

// Trims and lower-cases; INVALID_ARGUMENT naming `field` unless it is local@domain with
// at most 254 characters in all: a local part of 1 to 64 characters without spaces,
// control characters or ()<>[]:;@\," and without a leading, trailing or doubled dot; a
// domain of at least two dot-separated labels, each 1 to 63 letters, digits or hyphens
// (or UTF-8 for internationalised names), none starting or ending with a hyphen, and a
// last label that is not all digits.
absl::StatusOr<std::string> NormalizeEmail(absl::string_view email,
                                           absl::string_view field = "contact.email");

// Keeps "+" and digits, dropping spaces, dashes, dots, slashes and brackets; a "00" prefix
// becomes "+". INVALID_ARGUMENT naming `field` without a country code or unless 7 to 15
// digits follow it (E.164).
absl::StatusOr<std::string> NormalizePhone(absl::string_view phone,
                                           absl::string_view field = "contact.phone");

}  // namespace handoff

#endif  // HANDOFF_COMMON_CONTACT_ADDRESS_H_
