#include "common/call_identity.h"

#include <utility>

namespace handoff {
namespace {

thread_local CallIdentity current;

}  // namespace

const CallIdentity& CurrentCallIdentity() { return current; }

ScopedCallIdentity::ScopedCallIdentity(CallIdentity identity) : previous_(std::exchange(current, std::move(identity))) {}

ScopedCallIdentity::~ScopedCallIdentity() { current = std::move(previous_); }

}  // namespace handoff
