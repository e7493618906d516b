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
//   1. Sample: blocks of kTopKSampleBlockRows rows every TopKSamplePeriodRows(n) rows (fixed
//      positions: every row below 32K rows, about 16384 rows from there to 4M, 1/256 beyond).
//      For group g with capacity k and sampling fraction f, the bound L[g] is the r-th largest
//      sampled key, r = ceil(f k + 4 sqrt(f k) + 4): the sample holds about f k rows of the true
//      top k, so r is four standard deviations (plus a constant) further down and, with high
//      probability, at least k rows of the group have key >= L[g]. If the group has fewer than r
//      sampled rows (a capacity near the group's size), L[g] = 0: every eligible row of the group
//      is a candidate. Capacity 0: no candidate.
//   2. Filter (Highway SIMD, TBB over fixed chunks of rows): the rows with key >= L[group] that are
//      not already selected are the candidates; each chunk writes their (row, key, group) in row
//      order (vector compare against the per-group bound looked up in registers, Compress + store).
//      Each chunk has room for twice the expected count; a chunk that needs more is filtered again
//      into room for all its rows (TopKStats::overflow_chunks), so the guess only costs time.
//   3. Group the candidates by group, stably (counting sort over slabs of chunks, in parallel), as
//      64-bit composites (key << 32 | ~row): "larger" is "higher priority, then lower row", and
//      composites are distinct, so the top k of a group is a set with no ties left.
//   4. Check: a group with fewer candidates than its capacity while L[g] > 0 (the sample misled,
//      rare) is filtered again with L[g] = 0 (TopKStats::fallback_groups). Exactness never depends
//      on the sample: only the amount of work does.
//   5. Resolve, groups in parallel: std::nth_element finds each group's k-th largest composite T[g]
//      (which is the full sort's k-th); then, chunks in parallel, every candidate with composite
//      >= T[g] is marked selected (writes in row order).
// Complexity: O(n) for the filter pass (one read of priority, group and selected per row: 7 bytes),
// plus O(n / 256 + 16384) for the sample and O(m) expected for the m candidates, about
// k + 4 sqrt(k / f) + 4 / f per group (2% of the rows for 20 groups at 1% capacity and 16M rows,
// about 1.8 k), plus O(G) per slab for the grouping. A failed check costs a second filter pass
// for the groups concerned; in the worst case (every group failing) the work is that of the
// all-candidates path, O(n) expected (nth_element). Extra memory: about 24 m bytes (candidate
// arrays and composites) plus the sample (8 bytes per sampled row).
// Results do not depend on the thread count, the chunk size, the SIMD target or the sample: the
// selection is fixed by the strict order above (tests/kernels/top_k_test.cc checks all four).
// Measured (bench/RESULTS.md, BM_TopK, 20 offices, 1% capacity): see "Top-k selection".
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
// n rows. The period is n / 1024 rounded down to a power of two, between 16 (every row) and 4096:
// about 16384 sampled rows from 32K to 4M rows, 1/256 of the rows beyond. Why that size: a sampled
// row costs about 10 ns (fill + nth_element) and a candidate about 16 ns (group, nth_element,
// mark); with 65536 sampled rows (period n / 4096) a 64K-row call took 1.08 ms of CPU, now 0.19,
// and a 1M-row call 1.48 ms, now 0.95 (perf and CPU time, 20 groups, 1% capacity).
inline constexpr std::size_t kTopKSampleBlockRows = 16;
inline constexpr std::size_t kTopKMaxSamplePeriodRows = 4096;
inline constexpr std::size_t TopKSamplePeriodRows(std::size_t rows) {
  return std::clamp<std::size_t>(std::bit_floor(rows / 1024), kTopKSampleBlockRows, kTopKMaxSamplePeriodRows);
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
