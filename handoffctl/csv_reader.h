#ifndef HANDOFF_HANDOFFCTL_CSV_READER_H_
#define HANDOFF_HANDOFFCTL_CSV_READER_H_

#include <csv.h>

#include <cstdio>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace handoff::ctl {

// Reads an RFC 4180 CSV file record by record through libcsv (quoted fields, embedded
// commas, quotes and newlines, CRLF or LF), in strict mode: a stray quote is an error
// naming the record. Blank lines are skipped. A UTF-8 byte-order mark is dropped.
class CsvReader {
 public:
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record; nullopt at the end of the file.
  absl::StatusOr<std::optional<std::vector<std::string>>> Next();
  // Records returned so far.
  int64_t records() const { return records_; }

 private:
  CsvReader(std::FILE* file, std::string path);
  static void OnField(void* data, size_t len, void* self);
  static void OnRecord(int terminator, void* self);

  std::FILE* file_;
  std::string path_;
  csv_parser parser_{};
  bool eof_ = false;
  bool first_chunk_ = true;
  int64_t records_ = 0;
  std::vector<std::string> current_;
  std::deque<std::vector<std::string>> ready_;
  absl::Status error_;  // returned once the records before it are taken
};

}  // namespace handoff::ctl

#endif  // HANDOFF_HANDOFFCTL_CSV_READER_H_
