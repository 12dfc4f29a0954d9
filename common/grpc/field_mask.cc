#include "common/grpc/field_mask.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace handoff {

absl::StatusOr<std::vector<std::string>> UpdatePaths(const google::protobuf::Message& resource,
                                                     const google::protobuf::FieldMask& mask,
                                                     const std::vector<std::string>& updatable) {
  std::vector<std::string> paths;
  if (mask.paths_size() > 0) {
    for (const std::string& path : mask.paths()) {
      if (path == "*") return updatable;
      paths.push_back(path);
    }
    return paths;
  }
  const google::protobuf::Descriptor* d = resource.GetDescriptor();
  const google::protobuf::Reflection* r = resource.GetReflection();
  for (const std::string& name : updatable) {
    const google::protobuf::FieldDescriptor* f = d->FindFieldByName(name);
    if (f == nullptr) continue;
    const bool set = f->is_repeated() ? r->FieldSize(resource, f) > 0 : r->HasField(resource, f);
    if (set) paths.push_back(name);
  }
  if (paths.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("update_mask: give the fields to change (",
                                                   absl::StrJoin(updatable, ", "),
                                                   "), \"*\" for all of them, or set them in the request"));
  }
  return paths;
}

}  // namespace handoff
