#ifndef HANDOFF_TESTS_TEMP_PATH_H_
#define HANDOFF_TESTS_TEMP_PATH_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace handoff::testing {

// A database path unique to the running test, removed (with WAL files) on destruction.
class TempDbPath {
 public:
  TempDbPath() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             (std::string("handoff-") + info->test_suite_name() + "-" + info->name() + "-" +
              std::to_string(::getpid()) + ".db"))
                .string();
    Remove();
  }
  ~TempDbPath() { Remove(); }
  const std::string& path() const { return path_; }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_TEMP_PATH_H_
