#ifndef HANDOFF_COMMON_FLAGS_ENV_H_
#define HANDOFF_COMMON_FLAGS_ENV_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace handoff {

// For each named Abseil flag, if the environment variable PREFIX + upper-case name (for
// example HANDOFF_LISTEN for "listen") is set, parses it into the flag. Call before
// absl::ParseCommandLine so that command-line flags win over the environment.
absl::Status ApplyFlagsFromEnvironment(absl::string_view prefix,
                                       const std::vector<std::string>& flag_names);

// Sets the binary's --help text (`usage`, then the flags defined in its main.cc with their
// defaults) and its --version line ("<program> <version> (<build type> build)"). Call
// before absl::ParseCommandLine.
void ConfigureFlagHelp(absl::string_view program, absl::string_view usage);

}  // namespace handoff

#endif  // HANDOFF_COMMON_FLAGS_ENV_H_
