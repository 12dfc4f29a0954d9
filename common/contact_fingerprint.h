#ifndef HANDOFF_COMMON_CONTACT_FINGERPRINT_H_
#define HANDOFF_COMMON_CONTACT_FINGERPRINT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace handoff {

// SHA-256 (hex) of a normalised e-mail or phone, so an erased person can be recognised
// without keeping the address itself.
std::string ContactFingerprint(absl::string_view normalized_value);

}  // namespace handoff

#endif  // HANDOFF_COMMON_CONTACT_FINGERPRINT_H_
