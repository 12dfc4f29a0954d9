#ifndef HANDOFF_COMMON_PAGE_H_
#define HANDOFF_COMMON_PAGE_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace handoff {

// A page of a keyset-paginated listing: the items after a cursor, and the cursor of the
// last one when more follow.
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<int64_t> next_cursor;
};

}  // namespace handoff

#endif  // HANDOFF_COMMON_PAGE_H_
