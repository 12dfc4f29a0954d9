#ifndef HANDOFF_TESTS_FREE_PORT_H_
#define HANDOFF_TESTS_FREE_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <set>

namespace handoff::testing {

// A free TCP port on 127.0.0.1, found by binding port 0 and releasing it. The kernel may
// hand a just-released port out again, so a port this process got before is never
// returned twice: a test that picks its database's port and then its services' ports
// (before any of them binds) gets distinct ones.
inline int FreeLoopbackPort() {
  static std::mutex mu;
  static std::set<int> given;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    socklen_t len = sizeof(addr);
    const bool named = bound && getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    close(fd);
    if (named && given.insert(ntohs(addr.sin_port)).second) return ntohs(addr.sin_port);
  }
  return 0;  // the callers' start-up then fails and says so
}

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_FREE_PORT_H_
