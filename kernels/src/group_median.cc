// Exact per-group median and MAD: counting sort by group, then bucket selection per group
// (the algorithm and its exactness argument are in crsim/kernels/group_median.h).
#include "crsim/kernels/group_median.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "huge_page_buffer.h"

namespace crsim::kernels {

namespace {

// The values of each group, contiguous in group order (NaN left out): group g's values are
// sorted[offset[g] .. offset[g + 1]). `sorted` is a huge-page scratch: as large as the input, and
// every element is written by the scatter before it is read.
struct ValuesByGroup {
  detail::HugePageBuffer<float> sorted;
  std::vector<std::uint32_t> offset;
};

// How SortByGroup moves each value to its group's range.
enum class Scatter {
  kPlain,           // sorted[cursor[g]++] = value: the reference's obvious loop
  kWriteCombining,  // through a one-line buffer per group, full lines streamed out (below)
};

// Write-combining scatter: value after value, group g's next value goes to a 64-byte line buffer
// of g in a small table (num_groups lines); when the buffer completes an aligned line of `sorted`
// that belongs to g alone, the line goes out with non-temporal stores. The plain scatter's store
// to a line not in cache must first read the line from memory (read for ownership), and with ~1000
// groups nearly every line it starts is such a miss: about a third of its time on 10M rows. Lines
// shared with the neighbouring group (a group's first and last line) are copied with ordinary
// stores, the first as it completes and the last at the end. `sorted` must be 64-byte aligned
// (a HugePageBuffer is). Without SSE2 the lines are copied with ordinary stores.
void ScatterWriteCombining(std::span<const float> values, std::span<const std::uint32_t> group,
                           const std::vector<std::uint32_t>& offset, float* sorted) {
  constexpr std::uint32_t kLine = 16;  // floats per 64-byte line
  struct alignas(64) LineBuffer {
    float value[kLine];
  };
  const std::size_t num_groups = offset.size() - 1;
  std::vector<LineBuffer> buffer(num_groups);
  std::vector<std::uint32_t> cursor(offset.begin(), offset.end() - 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const float x = values[i];
    if (std::isnan(x)) continue;
    const std::uint32_t g = group[i];
    const std::uint32_t position = cursor[g]++;
    float* line_buffer = buffer[g].value;
    line_buffer[position % kLine] = x;
    if (position % kLine != kLine - 1) continue;
    const std::uint32_t line = position - (kLine - 1);
    float* destination = sorted + line;
    if (line >= offset[g]) {
#if defined(__SSE2__)
      const auto* from = reinterpret_cast<const __m128i*>(line_buffer);
      auto* to = reinterpret_cast<__m128i*>(destination);
      for (int k = 0; k < 4; ++k) _mm_stream_si128(to + k, _mm_load_si128(from + k));
#else
      std::copy(line_buffer, line_buffer + kLine, destination);
#endif
    } else {
      std::copy(line_buffer + (offset[g] - line), line_buffer + kLine, destination + (offset[g] - line));
    }
  }
#if defined(__SSE2__)
  _mm_sfence();  // streamed lines are visible before the partial lines and the selection read them
#endif
  for (std::size_t g = 0; g < num_groups; ++g) {
    const std::uint32_t end = cursor[g];
    const std::uint32_t start = std::max(end / kLine * kLine, offset[g]);
    for (std::uint32_t position = start; position < end; ++position) sorted[position] = buffer[g].value[position % kLine];
  }
}

ValuesByGroup SortByGroup(std::span<const float> values, std::span<const std::uint32_t> group, std::size_t num_groups,
                          std::span<float> median, std::span<float> mad, Scatter scatter) {
  if (values.size() != group.size() || median.size() != num_groups || mad.size() != num_groups) {
    throw std::invalid_argument("GroupMedianMad: values and group differ in length, or median/mad are not num_groups long");
  }
  std::vector<std::uint32_t> offset(num_groups + 1, 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (group[i] >= num_groups) {
      throw std::out_of_range("GroupMedianMad: group[" + std::to_string(i) + "] = " + std::to_string(group[i]) +
                              " is not below num_groups = " + std::to_string(num_groups));
    }
    offset[group[i] + 1] += std::isnan(values[i]) ? 0u : 1u;
  }
  for (std::size_t g = 0; g < num_groups; ++g) offset[g + 1] += offset[g];
  ValuesByGroup out{detail::HugePageBuffer<float>(offset[num_groups]), std::move(offset)};
  float* sorted = out.sorted.data();
  if (scatter == Scatter::kWriteCombining) {
    ScatterWriteCombining(values, group, out.offset, sorted);
    return out;
  }
  std::vector<std::uint32_t> cursor(out.offset.begin(), out.offset.end() - 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isnan(values[i])) sorted[cursor[group[i]]++] = values[i];
  }
  return out;
}

// The two middle ranks of n values: equal when n is odd.
struct MiddleRanks {
  std::size_t lower, upper;
};
MiddleRanks Middle(std::size_t n) { return {n % 2 == 1 ? n / 2 : n / 2 - 1, n / 2}; }

float MeanOfMiddles(float lower, float upper, std::size_t n) {
  if (n % 2 == 1) return upper;
  return static_cast<float>((static_cast<double>(lower) + static_cast<double>(upper)) / 2.0);
}

// Order statistics `ranks` of v[0..n) by nth_element (v is reordered): the reference's method.
std::pair<float, float> SelectByNthElement(float* v, std::size_t n, MiddleRanks ranks) {
  float* upper = v + ranks.upper;
  std::nth_element(v, upper, v + n);
  const float lower = ranks.lower == ranks.upper ? *upper : *std::max_element(v, upper);
  return {lower, *upper};
}

// Scratch reused across groups.
struct SelectionScratch {
  std::vector<std::uint32_t> histogram = std::vector<std::uint32_t>(kGroupMedianBuckets);
  std::vector<std::uint16_t> bucket;
  std::vector<float> candidates;
};

// Order statistics `ranks` of t(v[0..n)), where lo <= t(x) <= hi for every x, by bucket selection.
// The bucket pass is written as a plain loop over independent elements so that the compiler
// vectorises it (subtract, multiply, truncating conversion, min); the histogram and the copy of
// the one or two wanted buckets then read the u16 bucket numbers.
template <class Transform>
std::pair<float, float> SelectByBuckets(const float* v, std::size_t n, MiddleRanks ranks, float lo, float hi,
                                        Transform t, SelectionScratch& scratch) {
  const float scale = static_cast<float>(kGroupMedianBuckets) / (hi - lo);
  std::vector<float>& candidates = scratch.candidates;
  if (n < kGroupMedianSmall || !std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(scale)) {
    candidates.resize(n);
    for (std::size_t i = 0; i < n; ++i) candidates[i] = t(v[i]);
    return SelectByNthElement(candidates.data(), n, ranks);
  }
  if (lo == hi) return {lo, lo};
  scratch.bucket.resize(n);
  std::uint16_t* bucket = scratch.bucket.data();
  constexpr auto kLastBucket = static_cast<std::int32_t>(kGroupMedianBuckets - 1);
  for (std::size_t i = 0; i < n; ++i) {
    // (t(x) - lo) * scale is in [0, B x (1 + a few ulp)]: an int32 conversion is exact and in range.
    const auto b = static_cast<std::int32_t>((t(v[i]) - lo) * scale);
    bucket[i] = static_cast<std::uint16_t>(b < kLastBucket ? b : kLastBucket);
  }
  std::uint32_t* histogram = scratch.histogram.data();
  std::fill(histogram, histogram + kGroupMedianBuckets, 0u);
  for (std::size_t i = 0; i < n; ++i) ++histogram[bucket[i]];
  // Buckets holding the lower and upper rank, and how many values lie below the lower one.
  std::size_t below = 0, first = 0;
  while (below + histogram[first] <= ranks.lower) below += histogram[first++];
  std::size_t last = first, through_last = below + histogram[first];
  while (through_last <= ranks.upper) through_last += histogram[++last];
  candidates.resize(through_last - below);
  std::size_t taken = 0;
  // One unsigned compare (first <= b <= last), false for all but a few percent of the values, so
  // the branch predicts well; two signed compares would mispredict on every value below `first`.
  const auto span = static_cast<std::uint32_t>(last - first);
  for (std::size_t i = 0; i < n; ++i) {
    if (static_cast<std::uint32_t>(bucket[i]) - static_cast<std::uint32_t>(first) <= span) candidates[taken++] = t(v[i]);
  }
  return SelectByNthElement(candidates.data(), taken, {ranks.lower - below, ranks.upper - below});
}

// Min and max of v[0..n), n >= 1, with eight independent accumulators (vectorisable; no NaN here).
std::pair<float, float> MinMax(const float* v, std::size_t n) {
  constexpr std::size_t kLanes = 8;
  float lo[kLanes], hi[kLanes];
  for (std::size_t j = 0; j < kLanes; ++j) lo[j] = hi[j] = v[0];
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) {
      lo[j] = v[i + j] < lo[j] ? v[i + j] : lo[j];
      hi[j] = v[i + j] > hi[j] ? v[i + j] : hi[j];
    }
  }
  for (; i < n; ++i) {
    lo[0] = v[i] < lo[0] ? v[i] : lo[0];
    hi[0] = v[i] > hi[0] ? v[i] : hi[0];
  }
  float min = lo[0], max = hi[0];
  for (std::size_t j = 1; j < kLanes; ++j) {
    min = lo[j] < min ? lo[j] : min;
    max = hi[j] > max ? hi[j] : max;
  }
  return {min, max};
}

}  // namespace

void GroupMedianMad(std::span<const float> values, std::span<const std::uint32_t> group, std::size_t num_groups,
                    std::span<float> median, std::span<float> mad) {
  const ValuesByGroup by_group = SortByGroup(values, group, num_groups, median, mad, Scatter::kWriteCombining);
  SelectionScratch scratch;
  for (std::size_t g = 0; g < num_groups; ++g) {
    const float* v = by_group.sorted.data() + by_group.offset[g];
    const std::size_t n = by_group.offset[g + 1] - by_group.offset[g];
    if (n == 0) {
      median[g] = mad[g] = NAN;
      continue;
    }
    const auto [lo, hi] = MinMax(v, n);
    const MiddleRanks ranks = Middle(n);
    const auto identity = [](float x) { return x; };
    const auto [m_lower, m_upper] = SelectByBuckets(v, n, ranks, lo, hi, identity, scratch);
    const float med = MeanOfMiddles(m_lower, m_upper, n);
    const auto deviation = [med](float x) { return std::fabs(x - med); };
    const float max_deviation = std::max(std::fabs(hi - med), std::fabs(lo - med));
    const auto [d_lower, d_upper] = SelectByBuckets(v, n, ranks, 0.0f, max_deviation, deviation, scratch);
    median[g] = med;
    mad[g] = MeanOfMiddles(d_lower, d_upper, n);
  }
}

void GroupMedianMadReference(std::span<const float> values, std::span<const std::uint32_t> group,
                             std::size_t num_groups, std::span<float> median, std::span<float> mad) {
  ValuesByGroup by_group = SortByGroup(values, group, num_groups, median, mad, Scatter::kPlain);
  for (std::size_t g = 0; g < num_groups; ++g) {
    float* v = by_group.sorted.data() + by_group.offset[g];
    const std::size_t n = by_group.offset[g + 1] - by_group.offset[g];
    if (n == 0) {
      median[g] = mad[g] = NAN;
      continue;
    }
    const auto [m_lower, m_upper] = SelectByNthElement(v, n, Middle(n));
    const float med = MeanOfMiddles(m_lower, m_upper, n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::fabs(v[i] - med);
    const auto [d_lower, d_upper] = SelectByNthElement(v, n, Middle(n));
    median[g] = med;
    mad[g] = MeanOfMiddles(d_lower, d_upper, n);
  }
}

}  // namespace crsim::kernels
