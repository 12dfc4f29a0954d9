#ifndef HANDOFF_MARKETING_DOMAIN_CONTACT_RULES_H_
#define HANDOFF_MARKETING_DOMAIN_CONTACT_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/contact_address.h"
#include "marketing-service/domain/model.h"

namespace handoff::marketing {

// Normalises a whole contact: e-mail and phone as NormalizeEmail and NormalizePhone do, names trimmed, country code
// upper-case two letters. Requires e-mail or phone. Each text field at most 200
// characters.
absl::StatusOr<Contact> NormalizeContact(const Contact& contact);

// Fills the empty fields of `into` from `from`; fields already set keep their value.
// Returns the names of the fields filled.
std::vector<std::string> FillGaps(Contact& into, const Contact& from);

}  // namespace handoff::marketing

#endif  // HANDOFF_MARKETING_DOMAIN_CONTACT_RULES_H_
