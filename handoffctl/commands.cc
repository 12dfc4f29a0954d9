#include "handoffctl/commands.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace handoff::ctl {

std::string NewRequestId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::uniform_int_distribution<uint64_t> d;
  return absl::StrFormat("handoffctl-%016x%016x", d(gen), d(gen));
}

std::string ResourceName(const std::string& collection, const std::string& id_or_name) {
  const std::string prefix = collection + "/";
  return absl::StartsWith(id_or_name, prefix) || id_or_name.empty() ? id_or_name : prefix + id_or_name;
}

bool OptionalEnum(Context& ctx, int& exit_code, const google::protobuf::EnumDescriptor* type, const std::string& text,
                  absl::string_view flag, int* value) {
  *value = 0;
  if (text.empty()) return true;
  absl::StatusOr<int> parsed = ParseEnum(type, text, flag);
  if (!parsed.ok()) {
    exit_code = Failed(ctx, parsed.status());
    return false;
  }
  *value = *parsed;
  return true;
}

void PrintList(Context& ctx, const std::vector<const google::protobuf::Message*>& items, const Table& table) {
  if (ctx.format() == OutputFormat::kJson) {
    PrintJsonArray(ctx.out(), items);
  } else {
    table.Print(ctx.out(), ctx.format());
  }
}

}  // namespace handoff::ctl
