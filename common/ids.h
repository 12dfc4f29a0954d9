#ifndef HANDOFF_COMMON_IDS_H_
#define HANDOFF_COMMON_IDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace handoff {

// A new identifier: 32 lower-case hex characters (128 bits): 48 bits of the time in
// milliseconds, then 80 random bits, so ids sort roughly by creation time.
std::string NewId();

// Builds "collection/id".
std::string ResourceName(absl::string_view collection, absl::string_view id);

// Returns the id of "collection/id" when `name` has exactly that form and the id is 1 to
// 64 characters of [a-z0-9-]; std::nullopt otherwise.
std::optional<std::string> ParseResourceName(absl::string_view name,
                                             absl::string_view collection);

// The id of a request field holding "collection/id"; INVALID_ARGUMENT naming `field` when
// it is empty or not of that form.
absl::StatusOr<std::string> ParseNameField(absl::string_view name, absl::string_view collection,
                                           absl::string_view field);

// The etag of a resource at `version`: opaque to callers, compared as a string.
std::string EtagOf(int64_t version);

}  // namespace handoff

#endif  // HANDOFF_COMMON_IDS_H_
