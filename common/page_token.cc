#include "common/page_token.h"

#include <openssl/sha.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace handoff {
namespace {

using google::protobuf::Message;

// "p1:<16 hex digits of the list's fingerprint>:" starts every token.
std::string Prefix(const Message& request) {
  std::unique_ptr<Message> filters(request.New());
  filters->CopyFrom(request);
  const auto* d = filters->GetDescriptor();
  for (const char* paging : {"page_token", "page_size"}) {
    if (const auto* f = d->FindFieldByName(paging); f != nullptr) filters->GetReflection()->ClearField(filters.get(), f);
  }
  std::string bytes = d->full_name();
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    filters->SerializeToCodedStream(&out);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::StrCat("p1:", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8)), ":");
}

std::string TokenOf(const Message& request) {
  const auto* f = request.GetDescriptor()->FindFieldByName("page_token");
  return f == nullptr ? std::string() : request.GetReflection()->GetString(request, f);
}

absl::Status NotOurs() {
  return absl::InvalidArgumentError(
      "page_token was not issued for this list with these filters; pass next_page_token "
      "unchanged with the same filters, or start again without a page_token");
}

// The parts of `request`'s token after its prefix; nullopt when there is no token.
absl::StatusOr<std::optional<std::vector<int64_t>>> Parts(const Message& request, size_t count) {
  const std::string token = TokenOf(request);
  if (token.empty()) return std::optional<std::vector<int64_t>>();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return NotOurs();
  absl::string_view view = raw;
  if (!absl::ConsumePrefix(&view, Prefix(request))) return NotOurs();
  const std::vector<absl::string_view> fields = absl::StrSplit(view, ':');
  if (fields.size() != count) return NotOurs();
  std::vector<int64_t> out(count);
  for (size_t i = 0; i < count; ++i) {
    if (!absl::SimpleAtoi(fields[i], &out[i])) return NotOurs();
  }
  return std::optional<std::vector<int64_t>>(std::move(out));
}

}  // namespace

absl::StatusOr<int> ClampPageSize(int32_t page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : page_size;
}

std::string EncodePageToken(const Message& request, int64_t cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(Prefix(request), cursor));
}

absl::StatusOr<int64_t> DecodePageToken(const Message& request) {
  absl::StatusOr<std::optional<std::vector<int64_t>>> parts = Parts(request, 1);
  if (!parts.ok()) return parts.status();
  if (!parts->has_value()) return 0;
  if ((**parts)[0] < 0) return NotOurs();
  return (**parts)[0];
}

std::string EncodePageToken(const Message& request, int64_t first, int64_t second) {
  return absl::WebSafeBase64Escape(absl::StrCat(Prefix(request), first, ":", second));
}

absl::StatusOr<std::optional<std::pair<int64_t, int64_t>>> DecodePairPageToken(const Message& request) {
  absl::StatusOr<std::optional<std::vector<int64_t>>> parts = Parts(request, 2);
  if (!parts.ok()) return parts.status();
  if (!parts->has_value()) return std::nullopt;
  if ((**parts)[1] < 0) return NotOurs();
  return std::optional<std::pair<int64_t, int64_t>>(std::make_pair((**parts)[0], (**parts)[1]));
}

}  // namespace handoff
