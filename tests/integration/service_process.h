#ifndef HANDOFF_TESTS_INTEGRATION_SERVICE_PROCESS_H_
#define HANDOFF_TESTS_INTEGRATION_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/free_port.h"

namespace handoff::testing {

// A fresh temporary directory (removed by the destructor).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One real service binary running as a child process, its stderr in a log file.
class ServiceProcess {
 public:
  ServiceProcess(std::string binary, std::vector<std::string> args, std::string log_path);
  ~ServiceProcess();  // SIGKILLs a process still running

  // Starts the binary and waits (up to 10 s) until this run logs "listening on". False
  // when it did not; exit_code() then tells how it ended.
  bool Start();
  // The exit status of a run that ended during Start (-1 if killed by a signal or still
  // running).
  int exit_code() const { return exit_code_; }
  // SIGTERM, then waits for exit; returns the exit status (-1 on timeout or signal).
  int Stop();
  void Kill();
  std::string Log() const;
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// GET http://127.0.0.1:PORT/PATH (HTTP/1.0): the whole response, headers included; empty
// when nothing answered.
std::string HttpGet(int port, const std::string& path);

// The value of the sample `series` (name and labels exactly as exposed) on the /metrics
// page at `port`; -1 if absent.
double MetricSample(int port, const std::string& series);

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_INTEGRATION_SERVICE_PROCESS_H_
