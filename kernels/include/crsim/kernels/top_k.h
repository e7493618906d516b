// Capacity-constrained selection: the top k rows of every group.
//
// What it computes: for every group g (a customs office), marks as selected the capacity[g] rows of
// that group with the highest priority among the rows not already selected; ties are broken by the
// lower row index (rows are stored in declaration-id order, so this is "lower declaration id first").
// A group with fewer eligible rows than its capacity selects all of them. NaN priorities rank below
// every number. The result is a strict total order, so it does not depend on the thread count.
//
// How: a stable counting sort groups row indices by group (O(n)); each group is then partially
// sorted with std::nth_element on (priority descending, row ascending), groups in parallel (TBB).
// SelectTopKPerGroupReference fully sorts each group: the plain definition the fast path is tested
// against.
//
// Limits: group[i] < capacity.size(); selected has the same length as priority and group; on entry
// selected[i] != 0 marks rows already taken (they are skipped and stay selected).
#pragma once

#include <cstdint>
#include <span>

namespace crsim::kernels {

// Returns the number of rows newly selected.
std::uint64_t SelectTopKPerGroup(std::span<const float> priority, std::span<const std::uint16_t> group,
                                 std::span<const std::uint32_t> capacity,
                                 std::span<std::uint8_t> selected);

std::uint64_t SelectTopKPerGroupReference(std::span<const float> priority,
                                          std::span<const std::uint16_t> group,
                                          std::span<const std::uint32_t> capacity,
                                          std::span<std::uint8_t> selected);

}  // namespace crsim::kernels
