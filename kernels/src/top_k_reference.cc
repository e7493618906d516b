// Plain reference of the top-k selection (see crsim/kernels/top_k.h): a full sort of every group on
// the comparator below, which defines the order the fast path must reproduce. It does not use
// TopKOrderedKey, so the key mapping is tested against the comparator, not against itself.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crsim/kernels/top_k.h"

namespace crsim::kernels {

namespace {

// Strict total order: higher priority first, NaN last, then lower row first (-0.0 == +0.0).
struct HigherPriorityFirst {
  std::span<const float> priority;
  bool operator()(std::uint32_t a, std::uint32_t b) const {
    const float pa = priority[a], pb = priority[b];
    const bool a_nan = std::isnan(pa), b_nan = std::isnan(pb);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && pa != pb) return pa > pb;
    return a < b;
  }
};

}  // namespace

std::uint64_t SelectTopKPerGroupReference(std::span<const float> priority,
                                          std::span<const std::uint16_t> group,
                                          std::span<const std::uint32_t> capacity,
                                          std::span<std::uint8_t> selected) {
  assert(group.size() == priority.size() && selected.size() == priority.size());
  std::uint64_t total = 0;
  for (std::size_t g = 0; g < capacity.size(); ++g) {
    std::vector<std::uint32_t> members;
    for (std::size_t i = 0; i < group.size(); ++i) {
      assert(group[i] < capacity.size());
      if (group[i] == g && !selected[i]) members.push_back(static_cast<std::uint32_t>(i));
    }
    std::sort(members.begin(), members.end(), HigherPriorityFirst{priority});
    const std::size_t k = std::min<std::size_t>(capacity[g], members.size());
    for (std::size_t j = 0; j < k; ++j) selected[members[j]] = 1;
    total += k;
  }
  return total;
}

}  // namespace crsim::kernels
