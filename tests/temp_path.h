#ifndef HANDOFF_TESTS_TEMP_PATH_H_
#define HANDOFF_TESTS_TEMP_PATH_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

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
  // Another database path beside this one (path() + suffix), removed with it.
  std::string Sibling(const std::string& suffix) {
    siblings_.push_back(suffix);
    Remove(path_ + suffix);
    return path_ + suffix;
  }

 private:
  static void Remove(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  void Remove() {
    Remove(path_);
    for (const std::string& s : siblings_) Remove(path_ + s);
  }
  std::string path_;
  std::vector<std::string> siblings_;
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_TEMP_PATH_H_
