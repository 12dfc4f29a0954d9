#include "common/grpc/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace handoff {
namespace {

prometheus::MetricFamily One(const char* name, const char* help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

int OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory handle itself
}

// System boot time (seconds since the epoch), from /proc/stat's btime.
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at field 3, "state".
  if (const size_t close = stat.rfind(')'); close != std::string::npos && ticks > 0) {
    std::istringstream fields(stat.substr(close + 2));
    std::string f[22];
    for (std::string& v : f) fields >> v;
    // f[0] is field 3; utime = 14, stime = 15, starttime = 22, vsize = 23.
    const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    out.push_back(One("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                      prometheus::MetricType::Counter, cpu));
    out.push_back(One("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                      prometheus::MetricType::Gauge, BootTime() + std::stod(f[19]) / ticks));
    out.push_back(One("process_virtual_memory_bytes", "Virtual memory size in bytes.", prometheus::MetricType::Gauge,
                      std::stod(f[20])));
  }
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (statm >> size >> resident) {
    out.push_back(One("process_resident_memory_bytes", "Resident memory size in bytes.",
                      prometheus::MetricType::Gauge, resident * page));
  }
  if (const int fds = OpenFds(); fds >= 0) {
    out.push_back(One("process_open_fds", "Number of open file descriptors.", prometheus::MetricType::Gauge, fds));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(One("process_max_fds", "Maximum number of open file descriptors.", prometheus::MetricType::Gauge,
                      static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace handoff
