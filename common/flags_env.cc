#include "common/flags_env.h"

#include <cstdlib>

#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace handoff {

absl::Status ApplyFlagsFromEnvironment(absl::string_view prefix,
                                       const std::vector<std::string>& flag_names) {
  for (const std::string& name : flag_names) {
    const std::string var = absl::StrCat(prefix, absl::AsciiStrToUpper(name));
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) return absl::InternalError(absl::StrCat("no flag --", name));
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(var, "=", value, ": ", error));
    }
  }
  return absl::OkStatus();
}

void ConfigureFlagHelp(absl::string_view program, absl::string_view usage) {
  absl::SetProgramUsageMessage(usage);
  absl::FlagsUsageConfig config;
  // Each binary defines its own flags in its main.cc (and the database and runtime flags both share); Abseil's default looks for a file
  // named after the program and found none ("No flags matched").
  config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "/main.cc") || absl::EndsWith(file, "common/database_flags.cc") ||
           absl::EndsWith(file, "common/grpc/runtime_flags.cc");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  const std::string version = absl::StrCat(program, " ", HANDOFF_VERSION, " (", HANDOFF_BUILD_TYPE, " build)\n");
  config.version_string = [version] { return version; };
  absl::SetFlagsUsageConfig(config);
}

}  // namespace handoff
