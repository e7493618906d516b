// Capacity-constrained selection: the top k rows of every group.
//
// What it computes: for every group g (a customs office), marks as selected the capacity[g] rows of
// that group with the highest priority among the rows not already selected; ties are broken by the
// lower row index (rows are stored in declaration-id order, so this is "lower declaration id first").
// A group with fewer eligible rows than its capacity selects all of them. NaN priorities rank below
// every number (and tie with each other); -0.0 and +0.0 are equal priorities (tie by row), as
// `a != b` says. The result is a strict total order on (priority desc, row asc), so it is one exact
// set whatever the thread count or chunk size: SelectTopKPerGroup selects exactly the rows that
// SelectTopKPerGroupReference (a full sort of every group) selects.
//
// How (SelectTopKPerGroup): a sampled lower bound, one filtering pass, an exact select among the
// few survivors.
//   0. Key: every priority maps to an order-preserving uint32 (TopKOrderedKey: sign bit flipped for
//      numbers >= 0, all bits inverted for negatives, -0.0 -> +0.0, NaN -> 0 below -inf's key), so
//      "higher priority" is "larger key" and ties between keys are ties between priorities.
//   1. Sample: the first kTopKSampleBlockRows rows of every kTopKSamplePeriodRows (1/256 of the
//      rows, at fixed positions). For group g with capacity k, with sampling fraction f, the bound
//      L[g] is the r-th largest sampled key, r = ceil(f k + 4 sqrt(f k) + 4): the sample holds about
//      f k rows of the true top k, so r is four standard deviations (plus a constant) further down
//      and, with high probability, at least k rows of the group have key >= L[g]. If the group has
//      fewer than r sampled rows (small inputs, or a capacity near the group's size), L[g] = 0:
//      every eligible row of the group is a candidate.
//   2. Filter (Highway SIMD, TBB over fixed chunks of rows): the rows with key >= L[group] that are
//      not already selected are the candidates, written in row order (vector compare against a
//      gathered per-group bound, Compress + store of the passing row indices).
//   3. Group the candidates by group, stably (counting sort), as 64-bit (key << 32 | ~row) so that
//      "larger" is "higher priority, then lower row".
//   4. Check: a group with fewer candidates than its capacity while L[g] > 0 (the sample lied,
//      rare) is filtered again with L[g] = 0 (every eligible row of it is a candidate). Exactness
//      never depends on the sample: only the amount of work does.
//   5. Resolve, groups in parallel: std::nth_element on the group's candidates picks the k largest
//      composites, which are exactly the full sort's first k; mark them selected.
// Complexity: O(n) for the filter pass (one read of priority, group and selected per row), plus
// O(n / 256) for the sample and O(m) expected for the m candidates (about k + 4 sqrt(256 k) + 1024
// per group: 1.8 % of the rows for 20 groups with 1 % capacity at 16M rows), plus O(G) per chunk
// slab for the grouping. A failed check costs a second filter pass for the groups concerned. Extra
// memory: 4 n bytes of address space for candidate rows (only the pages written are touched: one
// region of chunk_rows per chunk, each filled from its start) and 8 m bytes.
// Measured (bench/RESULTS.md, BM_TopK): see the "Top-k selection" section.
//
// Limits: group[i] < capacity.size() for every row (not checked by the SIMD pass; the reference
// checks it in debug builds); selected, priority and group have the same length, which is below
// 2^32; on entry selected[i] != 0 marks rows already taken (they are skipped and stay selected).
//
// Usage:
//   std::vector<std::uint8_t> selected(rows, 0);
//   std::uint64_t taken = SelectTopKPerGroup(risk_score, office, office_capacity, selected);
//   SelectTopKPerGroupReference(...);  // the same selection by a full sort, for tests
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace crsim::kernels {

// Sample positions of step 1: rows i with i % TopKSamplePeriodRows(n) < kTopKSampleBlockRows, for
// n rows. The period is n / 4096 rounded down to a power of two, between 16 (every row) and 4096:
// about 65536 sampled rows up to 16M rows, 1/256 of the rows beyond.
inline constexpr std::size_t kTopKSampleBlockRows = 16;
inline constexpr std::size_t kTopKMaxSamplePeriodRows = 4096;
inline constexpr std::size_t TopKSamplePeriodRows(std::size_t rows) {
  return std::clamp<std::size_t>(std::bit_floor(rows / 4096), kTopKSampleBlockRows, kTopKMaxSamplePeriodRows);
}
// Rows per chunk of the filter pass (a TBB task each): 64K rows = 448 KB of input columns.
inline constexpr std::size_t kTopKDefaultChunkRows = std::size_t{1} << 16;

// Order-preserving key: a > b (as priorities, NaN lowest, -0 == +0) iff key(a) > key(b).
inline std::uint32_t TopKOrderedKey(float priority) {
  if (std::isnan(priority)) return 0;
  if (priority == 0.0f) priority = 0.0f;  // -0.0 -> +0.0
  const auto bits = std::bit_cast<std::uint32_t>(priority);
  return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}

// What one call did, for tests and benchmarks.
struct TopKStats {
  std::uint64_t candidates = 0;       // rows collected by the filter pass(es), all groups
  std::uint32_t fallback_groups = 0;  // groups that needed the second filter pass (step 4)
  std::uint32_t overflow_chunks = 0;  // chunks filtered twice because their candidates outgrew the
                                      // room reserved from the sample's estimate (step 2)
};

// Returns the number of rows newly selected. Parallel (TBB) over chunks of kTopKDefaultChunkRows.
std::uint64_t SelectTopKPerGroup(std::span<const float> priority, std::span<const std::uint16_t> group,
                                 std::span<const std::uint32_t> capacity,
                                 std::span<std::uint8_t> selected);

// Same, with chunk_rows rows per filter task (>= 1; any value gives the same selection) and
// optional statistics. Run it inside a tbb::task_arena(1) for a single-threaded call.
std::uint64_t SelectTopKPerGroup(std::span<const float> priority, std::span<const std::uint16_t> group,
                                 std::span<const std::uint32_t> capacity, std::span<std::uint8_t> selected,
                                 std::size_t chunk_rows, TopKStats* stats = nullptr);

// Plain reference: gathers each group's eligible rows and fully sorts them (std::sort on priority
// desc, NaN last, row asc). O(G n + n log n), single-threaded.
std::uint64_t SelectTopKPerGroupReference(std::span<const float> priority,
                                          std::span<const std::uint16_t> group,
                                          std::span<const std::uint32_t> capacity,
                                          std::span<std::uint8_t> selected);

}  // namespace crsim::kernels
