// Highway translation unit of the top-k selection: compiles the filter pass of top_k-inl.h once per
// SIMD target (foreach_target.h re-includes this file) and dispatches it at run time; the sample,
// grouping, check and exact resolution steps around it (see crsim/kernels/top_k.h) are plain C++
// with TBB, compiled once.
#include "crsim/kernels/top_k.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "top_k.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include "top_k-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

// The per-target entry point the dispatch table points at.
HWY_NOINLINE std::size_t FilterCandidatesTarget(const float* priority, const std::uint16_t* group,
                                                const std::uint8_t* selected, std::size_t count,
                                                std::uint32_t first_row, const std::uint32_t* lower_bound,
                                                std::size_t groups, std::uint32_t min_bound,
                                                const std::uint32_t* padded_bound, std::uint32_t* row_out,
                                                std::uint32_t* key_out, std::uint32_t* group_out,
                                                std::size_t capacity) {
  return FilterCandidatesChunk(priority, group, selected, count, first_row, lower_bound, groups, min_bound,
                               padded_bound, CandidateOutput{row_out, key_out, group_out, capacity});
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace crsim::kernels {

HWY_EXPORT(FilterCandidatesTarget);

namespace {

// A lower bound no key reaches (the largest key, +inf's, is 0xFF800000): the group has no candidate.
constexpr std::uint32_t kNoCandidates = 0xFFFFFFFFu;
// A threshold no composite (key << 32 | ~row) reaches.
constexpr std::uint64_t kSelectNone = ~std::uint64_t{0};
// Grouping works on at most this many slabs (contiguous runs of chunks) with a count table of
// slabs x groups entries; the cap keeps the table small when there are many groups.
constexpr std::size_t kMaxSlabs = 16;
constexpr std::size_t kMaxSlabCounts = std::size_t{1} << 18;
// Bounds table padded for the in-register lookup: 4 vectors of up to 64 u32 lanes (2048 bits).
constexpr std::size_t kPaddedBounds = 4 * 64;
// Widest vector of any target, in u32 lanes: slack a chunk's output needs for full-vector stores.
constexpr std::size_t kMaxLanes = 64;
// What FilterCandidatesTarget returns when the output was too small (kFilterOverflow in -inl.h).
constexpr std::size_t kFilterOverflowResult = ~std::size_t{0};

struct Columns {
  std::span<const float> priority;
  std::span<const std::uint16_t> group;
  std::span<const std::uint32_t> capacity;
  std::span<std::uint8_t> selected;
};

// Step 1 result: the bound of each group and the number of candidates it is expected to let through.
struct SampledBounds {
  std::vector<std::uint32_t> lower_bound;
  std::vector<double> eligible_estimate;  // eligible rows of each group, estimated from the sample
  double expected_candidates = 0;
};

// Step 1: per group, a key that at least capacity[g] eligible rows of the group reach, with high
// probability (0 when the sample is too small to say; kNoCandidates when the capacity is 0).
SampledBounds SampleLowerBounds(const Columns& columns) {
  const std::size_t rows = columns.priority.size();
  const std::size_t groups = columns.capacity.size();
  const std::size_t period = TopKSamplePeriodRows(rows);
  const std::size_t blocks = (rows + period - 1) / period;
  const std::size_t slots = blocks * kTopKSampleBlockRows;
  // Fixed slot per sampled row (group `groups` marks a row that is selected or past the end), so
  // the blocks can be read in parallel: at the longest period the reads
  // are one cache line per 16 KB, latency-bound: hence the prefetch.
  std::vector<std::uint32_t> sample_group(slots), sample_key(slots);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 256), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t block = range.begin(); block != range.end(); ++block) {
      const std::size_t ahead = (block + 8) * period;
      if (ahead < rows) {
        hwy::Prefetch(columns.priority.data() + ahead);
        hwy::Prefetch(columns.group.data() + ahead);
        hwy::Prefetch(columns.selected.data() + ahead);
      }
      for (std::size_t j = 0; j < kTopKSampleBlockRows; ++j) {
        const std::size_t i = block * period + j;
        const std::size_t slot = block * kTopKSampleBlockRows + j;
        const bool eligible = i < rows && columns.selected[i] == 0;
        sample_group[slot] = eligible ? columns.group[i] : static_cast<std::uint32_t>(groups);
        sample_key[slot] = eligible ? TopKOrderedKey(columns.priority[i]) : 0;
      }
    }
  });
  // Sampled keys grouped by group (counting sort; the order inside a group does not matter).
  std::vector<std::size_t> offsets(groups + 2, 0);
  for (std::size_t slot = 0; slot < slots; ++slot) ++offsets[sample_group[slot] + std::size_t{1}];
  for (std::size_t g = 0; g <= groups; ++g) offsets[g + 1] += offsets[g];
  std::vector<std::uint32_t> keys(offsets[groups]);
  {
    std::vector<std::size_t> cursor(offsets.begin(), offsets.end() - 2);
    for (std::size_t slot = 0; slot < slots; ++slot) {
      if (sample_group[slot] < groups) keys[cursor[sample_group[slot]]++] = sample_key[slot];
    }
  }

  const double sample_fraction = static_cast<double>(kTopKSampleBlockRows) / static_cast<double>(period);
  SampledBounds bounds;
  bounds.lower_bound.assign(groups, 0);
  bounds.eligible_estimate.assign(groups, 0);
  std::vector<double> expected(groups, 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, groups), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t g = range.begin(); g != range.end(); ++g) {
      if (columns.capacity[g] == 0) {
        bounds.lower_bound[g] = kNoCandidates;
        continue;
      }
      const std::size_t sampled = offsets[g + 1] - offsets[g];
      bounds.eligible_estimate[g] = static_cast<double>(sampled) / sample_fraction;
      const double in_sample = sample_fraction * columns.capacity[g];
      const double rank = std::ceil(in_sample + 4.0 * std::sqrt(in_sample) + 4.0);  // 1-based
      if (rank > static_cast<double>(sampled)) {  // bound 0: every eligible row
        expected[g] = static_cast<double>(sampled) / sample_fraction;
        continue;
      }
      const auto first = keys.begin() + static_cast<std::ptrdiff_t>(offsets[g]);
      const auto nth = first + static_cast<std::ptrdiff_t>(rank) - 1;
      std::nth_element(first, nth, keys.begin() + static_cast<std::ptrdiff_t>(offsets[g + 1]), std::greater<>());
      bounds.lower_bound[g] = *nth;
      expected[g] = rank / sample_fraction;
    }
  });
  for (const double e : expected) bounds.expected_candidates += e;
  return bounds;
}

// The candidates of one filter pass: per chunk, parallel arrays (row, key, group) in row order.
struct Candidates {
  std::size_t chunk_rows = 0;
  std::size_t stride = 0;  // entries reserved per chunk in row/key/group
  // Uninitialised (new[] of a trivial type): every entry read was written by the filter first, and
  // zero-filling them cost 3% of a call at 16M rows (perf).
  std::unique_ptr<std::uint32_t[]> row, key, group;
  std::vector<std::size_t> found;  // per chunk
  std::vector<std::uint8_t> overflowed;  // per chunk
  // Chunks whose candidates overflowed `stride`: their own arrays of one entry per row.
  std::vector<std::vector<std::uint32_t>> overflow_row, overflow_key, overflow_group;

  std::size_t total() const {
    std::size_t sum = 0;
    for (const std::size_t count : found) sum += count;
    return sum;
  }
  std::uint32_t Overflows() const {
    return static_cast<std::uint32_t>(std::count(overflowed.begin(), overflowed.end(), 1));
  }
  const std::uint32_t* Rows(std::size_t chunk) const {
    return overflow_row[chunk].empty() ? row.get() + chunk * stride : overflow_row[chunk].data();
  }
  const std::uint32_t* Keys(std::size_t chunk) const {
    return overflow_key[chunk].empty() ? key.get() + chunk * stride : overflow_key[chunk].data();
  }
  const std::uint32_t* Groups(std::size_t chunk) const {
    return overflow_group[chunk].empty() ? group.get() + chunk * stride : overflow_group[chunk].data();
  }
};

// Step 2: the filter pass over chunks. Each chunk gets room for about twice the expected number of
// candidates (plus slack); a chunk that needs more is filtered again into arrays of its own size,
// so the memory follows the candidates, not the rows, and the result does not depend on the guess.
Candidates FilterCandidates(const Columns& columns, std::span<const std::uint32_t> lower_bound,
                            double expected_candidates, std::size_t chunk_rows) {
  const std::size_t rows = columns.priority.size();
  const std::size_t groups = columns.capacity.size();
  const std::size_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  const double expected_share = std::min(1.0, expected_candidates / static_cast<double>(rows));
  Candidates out;
  out.chunk_rows = chunk_rows;
  // The filter needs `lanes` free entries before each full-vector store, hence the slack; a room of
  // chunk_rows entries never overflows (a chunk never has more candidates than rows read so far).
  out.stride = std::min(chunk_rows, static_cast<std::size_t>(2.0 * expected_share * static_cast<double>(chunk_rows)) +
                                        kMaxLanes + 256);
  out.row.reset(new std::uint32_t[chunks * out.stride]);
  out.key.reset(new std::uint32_t[chunks * out.stride]);
  out.group.reset(new std::uint32_t[chunks * out.stride]);
  out.found.assign(chunks, 0);
  out.overflowed.assign(chunks, 0);
  out.overflow_row.resize(chunks);
  out.overflow_key.resize(chunks);
  out.overflow_group.resize(chunks);

  const std::uint32_t min_bound = *std::min_element(lower_bound.begin(), lower_bound.end());
  alignas(64) std::uint32_t padded_bound[kPaddedBounds];
  std::fill(std::begin(padded_bound), std::end(padded_bound), kNoCandidates);
  std::copy_n(lower_bound.begin(), std::min(groups, kPaddedBounds), padded_bound);

  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, chunks, 1),
      [&](const tbb::blocked_range<std::size_t>& range) {
        for (std::size_t chunk = range.begin(); chunk != range.end(); ++chunk) {
          const std::size_t begin = chunk * chunk_rows;
          const std::size_t count = std::min(chunk_rows, rows - begin);
          const auto filter = [&](std::uint32_t* row, std::uint32_t* key, std::uint32_t* group,
                                  std::size_t capacity) {
            return HWY_DYNAMIC_DISPATCH(FilterCandidatesTarget)(
                columns.priority.data() + begin, columns.group.data() + begin,
                columns.selected.data() + begin, count, static_cast<std::uint32_t>(begin), lower_bound.data(),
                groups, min_bound, padded_bound, row, key, group, capacity);
          };
          std::size_t found = filter(out.row.get() + chunk * out.stride, out.key.get() + chunk * out.stride,
                                     out.group.get() + chunk * out.stride, out.stride);
          if (found == kFilterOverflowResult) {
            out.overflowed[chunk] = 1;
            out.overflow_row[chunk].resize(count);
            out.overflow_key[chunk].resize(count);
            out.overflow_group[chunk].resize(count);
            found = filter(out.overflow_row[chunk].data(), out.overflow_key[chunk].data(),
                           out.overflow_group[chunk].data(), count);
          }
          out.found[chunk] = found;
        }
      },
      tbb::simple_partitioner());
  return out;
}

// Step 3: the candidates of every group, contiguous per group (entries[offsets[g] .. offsets[g+1])),
// as (key << 32 | ~row): larger = higher priority, then lower row. Stable grouping in slabs of
// chunks: count per (slab, group), exclusive prefix in (group, slab) order, scatter.
struct CandidateLists {
  std::vector<std::size_t> offsets;
  std::unique_ptr<std::uint64_t[]> entries;
};

CandidateLists GroupCandidates(const Candidates& candidates, std::size_t groups) {
  const std::size_t chunks = candidates.found.size();
  const std::size_t slabs =
      std::max<std::size_t>(1, std::min({kMaxSlabs, chunks, kMaxSlabCounts / std::max<std::size_t>(groups, 1)}));
  const auto slab_chunks = [&](std::size_t slab) {
    return std::pair{slab * chunks / slabs, (slab + 1) * chunks / slabs};
  };
  std::vector<std::size_t> slab_cursor(slabs * groups, 0);
  tbb::parallel_for(std::size_t{0}, slabs, [&](std::size_t slab) {
    std::size_t* count = slab_cursor.data() + slab * groups;
    const auto [first_chunk, last_chunk] = slab_chunks(slab);
    for (std::size_t chunk = first_chunk; chunk < last_chunk; ++chunk) {
      const std::uint32_t* group_of = candidates.Groups(chunk);
      for (std::size_t j = 0; j < candidates.found[chunk]; ++j) ++count[group_of[j]];
    }
  });
  CandidateLists lists;
  lists.offsets.resize(groups + 1);
  std::size_t total = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    lists.offsets[g] = total;
    for (std::size_t slab = 0; slab < slabs; ++slab) {
      const std::size_t count = slab_cursor[slab * groups + g];
      slab_cursor[slab * groups + g] = total;
      total += count;
    }
  }
  lists.offsets[groups] = total;
  lists.entries.reset(new std::uint64_t[total]);  // uninitialised: every entry is written below
  tbb::parallel_for(std::size_t{0}, slabs, [&](std::size_t slab) {
    std::size_t* cursor = slab_cursor.data() + slab * groups;
    const auto [first_chunk, last_chunk] = slab_chunks(slab);
    for (std::size_t chunk = first_chunk; chunk < last_chunk; ++chunk) {
      const std::uint32_t* row = candidates.Rows(chunk);
      const std::uint32_t* key = candidates.Keys(chunk);
      const std::uint32_t* group = candidates.Groups(chunk);
      for (std::size_t j = 0; j < candidates.found[chunk]; ++j) {
        lists.entries[cursor[group[j]]++] = (std::uint64_t{key[j]} << 32) | std::uint64_t{~row[j]};
      }
    }
  });
  return lists;
}

// Step 5a: per group, the smallest composite that is selected (kSelectNone: none, 0: every
// candidate) and the number selected.
void Thresholds(CandidateLists& lists, std::span<const std::uint32_t> capacity, std::span<const std::uint8_t> use,
                std::span<std::uint64_t> threshold, std::span<std::uint64_t> taken) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, capacity.size()),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t g = range.begin(); g != range.end(); ++g) {
                        if (!use[g]) continue;
                        std::uint64_t* begin = lists.entries.get() + lists.offsets[g];
                        std::uint64_t* end = lists.entries.get() + lists.offsets[g + 1];
                        const auto available = static_cast<std::size_t>(end - begin);
                        const std::size_t k = std::min<std::size_t>(capacity[g], available);
                        taken[g] = k;
                        if (k == 0) {
                          threshold[g] = kSelectNone;
                        } else if (k == available) {
                          threshold[g] = 0;
                        } else {
                          std::uint64_t* kth = begin + k - 1;
                          std::nth_element(begin, kth, end, std::greater<>());
                          threshold[g] = *kth;
                        }
                      }
                    });
}

// Step 5b: marks the candidates at or above their group's threshold, chunks in parallel (each chunk
// writes only its own rows, in increasing order).
void MarkSelected(const Candidates& candidates, std::span<const std::uint64_t> threshold,
                  std::span<std::uint8_t> selected) {
  tbb::parallel_for(std::size_t{0}, candidates.found.size(), [&](std::size_t chunk) {
    const std::uint32_t* row = candidates.Rows(chunk);
    const std::uint32_t* key = candidates.Keys(chunk);
    const std::uint32_t* group = candidates.Groups(chunk);
    for (std::size_t j = 0; j < candidates.found[chunk]; ++j) {
      const std::uint64_t composite = (std::uint64_t{key[j]} << 32) | std::uint64_t{~row[j]};
      if (composite >= threshold[group[j]]) selected[row[j]] = 1;
    }
  });
}

}  // namespace

std::uint64_t SelectTopKPerGroup(std::span<const float> priority, std::span<const std::uint16_t> group,
                                 std::span<const std::uint32_t> capacity, std::span<std::uint8_t> selected,
                                 std::size_t chunk_rows, TopKStats* stats) {
  // O(1) checks of the invariants the passes rely on; a mismatch is a caller bug.
  const std::size_t rows = priority.size();
  HWY_ASSERT(group.size() == rows && selected.size() == rows);
  HWY_ASSERT(rows <= std::size_t{0xFFFFFFFFu});
  HWY_ASSERT(chunk_rows >= 1);
  if (stats != nullptr) *stats = TopKStats{};
  const std::size_t groups = capacity.size();
  if (rows == 0 || groups == 0) return 0;
  const Columns columns{priority, group, capacity, selected};

  // Steps 1-3.
  const SampledBounds bounds = SampleLowerBounds(columns);
  const Candidates first = FilterCandidates(columns, bounds.lower_bound, bounds.expected_candidates, chunk_rows);
  CandidateLists first_lists = GroupCandidates(first, groups);

  // Step 4: groups whose sampled bound left fewer candidates than capacity get every eligible row.
  std::vector<std::uint32_t> retry_bound(groups, kNoCandidates);
  std::vector<std::uint8_t> retried(groups, 0), not_retried(groups, 1);
  std::uint32_t retries = 0;
  double retry_expected = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::uint32_t bound = bounds.lower_bound[g];
    const std::size_t found = first_lists.offsets[g + 1] - first_lists.offsets[g];
    if (bound != 0 && bound != kNoCandidates && found < capacity[g]) {
      retry_bound[g] = 0;
      retried[g] = 1;
      not_retried[g] = 0;
      ++retries;
      retry_expected += bounds.eligible_estimate[g];
    }
  }

  // Step 5, for the groups settled by the first pass, then for the retried ones.
  std::vector<std::uint64_t> threshold(groups, kSelectNone), taken(groups, 0);
  Thresholds(first_lists, capacity, not_retried, threshold, taken);
  MarkSelected(first, threshold, selected);
  std::size_t candidates = first.total();
  std::uint32_t overflows = first.Overflows();
  if (retries > 0) {
    const Candidates second = FilterCandidates(columns, retry_bound, retry_expected, chunk_rows);
    CandidateLists second_lists = GroupCandidates(second, groups);
    std::vector<std::uint64_t> retry_threshold(groups, kSelectNone);
    Thresholds(second_lists, capacity, retried, retry_threshold, taken);
    MarkSelected(second, retry_threshold, selected);
    candidates += second.total();
    overflows += second.Overflows();
  }
  if (stats != nullptr) {
    stats->candidates = candidates;
    stats->fallback_groups = retries;
    stats->overflow_chunks = overflows;
  }
  std::uint64_t total = 0;
  for (const std::uint64_t k : taken) total += k;
  return total;
}

std::uint64_t SelectTopKPerGroup(std::span<const float> priority, std::span<const std::uint16_t> group,
                                 std::span<const std::uint32_t> capacity,
                                 std::span<std::uint8_t> selected) {
  return SelectTopKPerGroup(priority, group, capacity, selected, kTopKDefaultChunkRows, nullptr);
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
