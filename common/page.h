#ifndef HANDOFF_COMMON_PAGE_H_
#define HANDOFF_COMMON_PAGE_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace handoff {

// A keyset cursor of a listing ordered by a time and then by sequence: the items after
// (time_us, seq). The default is before everything.
struct TimeSeqCursor {
  int64_t time_us = std::numeric_limits<int64_t>::min();
  int64_t seq = 0;
};

// Incremental sync of a listing ("everything changed since T"): only items whose update
// time (microseconds since the epoch) is at least min_update_us, and, ordered by update
// time, the keyset cursor is (after_update_us, the item's sequence) instead of the
// sequence alone.
struct UpdateOrder {
  int64_t min_update_us = std::numeric_limits<int64_t>::min();
  bool by_update_time = false;
  int64_t after_update_us = std::numeric_limits<int64_t>::min();
};

// A page of a keyset-paginated listing: the items after a cursor, and the cursor of the
// last one when more follow.
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<int64_t> next_cursor;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_PAGE_H_
