#include "handoffctl/csv_reader.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace handoff::ctl {

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  return std::unique_ptr<CsvReader>(new CsvReader(f, path));
}

CsvReader::CsvReader(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {
  csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI);
}

CsvReader::~CsvReader() {
  csv_free(&parser_);
  std::fclose(file_);
}

void CsvReader::OnField(void* data, size_t len, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->current_.emplace_back(static_cast<const char*>(data), len);
}

void CsvReader::OnRecord(int, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  // libcsv reports a blank line as a record without fields.
  const bool blank = r->current_.empty() || (r->current_.size() == 1 && r->current_[0].empty());
  if (!blank) r->ready_.push_back(std::move(r->current_));
  r->current_.clear();
}

absl::StatusOr<std::optional<std::vector<std::string>>> CsvReader::Next() {
  char buf[1 << 16];
  while (ready_.empty() && !eof_ && error_.ok()) {
    size_t n = std::fread(buf, 1, sizeof(buf), file_);
    size_t skip = 0;
    if (first_chunk_) {
      first_chunk_ = false;
      if (n >= 3 && std::memcmp(buf, "\xEF\xBB\xBF", 3) == 0) skip = 3;
    }
    if (n > 0) {
      if (csv_parse(&parser_, buf + skip, n - skip, OnField, OnRecord, this) != n - skip) {
        error_ = absl::InvalidArgumentError(absl::StrCat(path_, ": record ", records_ + ready_.size() + 1, ": ",
                                                         csv_strerror(csv_error(&parser_))));
        break;
      }
    }
    if (n < sizeof(buf)) {
      if (std::ferror(file_)) return absl::UnavailableError(absl::StrCat(path_, ": ", std::strerror(errno)));
      eof_ = true;
      if (csv_fini(&parser_, OnField, OnRecord, this) != 0) {
        error_ = absl::InvalidArgumentError(absl::StrCat(path_, ": record ", records_ + ready_.size() + 1, ": ",
                                                         csv_strerror(csv_error(&parser_))));
      }
    }
  }
  if (ready_.empty()) {
    if (!error_.ok()) return error_;
    return std::optional<std::vector<std::string>>();
  }
  std::vector<std::string> record = std::move(ready_.front());
  ready_.pop_front();
  ++records_;
  return std::optional<std::vector<std::string>>(std::move(record));
}

}  // namespace handoff::ctl
