#ifndef HANDOFF_COMMON_CALL_IDENTITY_H_
#define HANDOFF_COMMON_CALL_IDENTITY_H_

// Who a call is made by, for the audit log, without passing it through every layer: the
// transport sets it around the work of one call (ScopedCallIdentity, on the worker thread
// that runs it), and the mutation runner reads it when it writes the call's audit record.
// Outside a call (start-up, background jobs) it is empty.

#include <string>

namespace handoff {

struct CallIdentity {
  std::string principal;  // e.g. "spiffe://handoff.local/sales", or "ip:127.0.0.1" without TLS
  std::string actor;      // who the caller acts for (a rep), when it says so; else empty
};

// The identity of the call this thread is working on.
const CallIdentity& CurrentCallIdentity();

// Sets the current call identity for its lifetime (and restores the previous one).
class ScopedCallIdentity {
 public:
  explicit ScopedCallIdentity(CallIdentity identity);
  ~ScopedCallIdentity();
  ScopedCallIdentity(const ScopedCallIdentity&) = delete;
  ScopedCallIdentity& operator=(const ScopedCallIdentity&) = delete;

 private:
  CallIdentity previous_;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_CALL_IDENTITY_H_
