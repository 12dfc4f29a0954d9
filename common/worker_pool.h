#ifndef HANDOFF_COMMON_WORKER_POOL_H_
#define HANDOFF_COMMON_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace handoff {

// A fixed set of threads running queued tasks, with a bounded queue so that a burst of
// calls is refused (the caller answers RESOURCE_EXHAUSTED) instead of growing memory.
// gRPC callback handlers hand their blocking storage work to it and return at once.
class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();  // Runs every queued task, then joins.
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is shutting down.
  bool TrySubmit(std::function<void()> task);
  // Stops taking tasks, runs the queued ones, joins the threads. Idempotent.
  void Shutdown();

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_WORKER_POOL_H_
