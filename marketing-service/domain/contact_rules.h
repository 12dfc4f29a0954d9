#ifndef HANDOFF_MARKETING_DOMAIN_CONTACT_RULES_H_
#define HANDOFF_MARKETING_DOMAIN_CONTACT_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "marketing-service/domain/model.h"

namespace handoff::marketing {

// Trims and lower-cases; INVALID_ARGUMENT naming `field` unless it looks like
// local@domain.tld (no spaces, one "@", a dot in the domain, at most 254 characters).
absl::StatusOr<std::string> NormalizeEmail(absl::string_view email,
                                           absl::string_view field = "contact.email");

// Keeps "+" and digits, dropping spaces, dashes, dots and brackets; "00" prefix becomes
// "+". INVALID_ARGUMENT naming `field` without a country code or with 7 to 15 digits not
// met (E.164).
absl::StatusOr<std::string> NormalizePhone(absl::string_view phone,
                                           absl::string_view field = "contact.phone");

// Normalises a whole contact: e-mail and phone as above, names trimmed, country code
// upper-case two letters. Requires e-mail or phone. Each text field at most 200
// characters.
absl::StatusOr<Contact> NormalizeContact(const Contact& contact);

// Fills the empty fields of `into` from `from`; fields already set keep their value.
// Returns the names of the fields filled.
std::vector<std::string> FillGaps(Contact& into, const Contact& from);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_CONTACT_RULES_H_
