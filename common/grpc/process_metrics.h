#ifndef HANDOFF_COMMON_GRPC_PROCESS_METRICS_H_
#define HANDOFF_COMMON_GRPC_PROCESS_METRICS_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace handoff {

// The process metrics every Prometheus client library exports, under their standard names
// (read from /proc/self at each scrape): process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds.
class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_GRPC_PROCESS_METRICS_H_
