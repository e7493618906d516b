#include "crsim/kernels/top_k.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::kernels {

namespace {

// Strict total order: higher priority first, NaN last, then lower row first.
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

// Eligible rows grouped by group, each group in increasing row order (stable counting sort).
// Returns offsets (size groups+1) and fills rows.
std::vector<std::uint32_t> GroupRows(std::span<const std::uint16_t> group, std::size_t groups,
                                     std::span<const std::uint8_t> selected, std::vector<std::uint32_t>& rows) {
  std::vector<std::uint32_t> offsets(groups + 1, 0);
  for (std::size_t i = 0; i < group.size(); ++i) {
    assert(group[i] < groups);
    if (!selected[i]) ++offsets[group[i] + 1];
  }
  for (std::size_t g = 0; g < groups; ++g) offsets[g + 1] += offsets[g];
  rows.resize(offsets[groups]);
  std::vector<std::uint32_t> cursor(offsets.begin(), offsets.end() - 1);
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!selected[i]) rows[cursor[group[i]]++] = static_cast<std::uint32_t>(i);
  }
  return offsets;
}

}  // namespace

std::uint64_t SelectTopKPerGroup(std::span<const float> priority, std::span<const std::uint16_t> group,
                                 std::span<const std::uint32_t> capacity,
                                 std::span<std::uint8_t> selected) {
  std::vector<std::uint32_t> rows;
  const std::vector<std::uint32_t> offsets = GroupRows(group, capacity.size(), selected, rows);
  std::vector<std::uint64_t> taken(capacity.size(), 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, capacity.size()),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t g = range.begin(); g != range.end(); ++g) {
                        auto first = rows.begin() + offsets[g];
                        auto last = rows.begin() + offsets[g + 1];
                        const auto available = static_cast<std::size_t>(last - first);
                        const std::size_t k = std::min<std::size_t>(capacity[g], available);
                        if (k < available) std::nth_element(first, first + k, last, HigherPriorityFirst{priority});
                        for (auto it = first; it != first + k; ++it) selected[*it] = 1;
                        taken[g] = k;
                      }
                    });
  std::uint64_t total = 0;
  for (const std::uint64_t k : taken) total += k;
  return total;
}

std::uint64_t SelectTopKPerGroupReference(std::span<const float> priority,
                                          std::span<const std::uint16_t> group,
                                          std::span<const std::uint32_t> capacity,
                                          std::span<std::uint8_t> selected) {
  std::uint64_t total = 0;
  for (std::size_t g = 0; g < capacity.size(); ++g) {
    std::vector<std::uint32_t> members;
    for (std::size_t i = 0; i < group.size(); ++i) {
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
