// Exact per-group median and MAD: counting sort by group, then bucket selection per group
// (the algorithm and its exactness argument are in crsim/kernels/group_median.h).
#include "crsim/kernels/group_median.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "group_median_simd.h"
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

// The median's transform (the values themselves): its bucket copy runs in SIMD.
struct Identity {
  float operator()(float x) const { return x; }
};

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
//
// `histogram_built` (if not null) tells whether scratch.histogram now holds the counts of the
// kGroupMedianBuckets buckets b(x) = min(B - 1, int((t(x) - lo) * scale)) over [lo, hi]; small
// groups, non-finite bounds and lo == hi take the paths without one.
template <class Transform>
std::pair<float, float> SelectByBuckets(const float* v, std::size_t n, MiddleRanks ranks, float lo, float hi,
                                        Transform t, SelectionScratch& scratch, bool* histogram_built = nullptr) {
  if (histogram_built != nullptr) *histogram_built = false;
  const float scale = static_cast<float>(kGroupMedianBuckets) / (hi - lo);
  std::vector<float>& candidates = scratch.candidates;
  if (n < kGroupMedianSmall || !std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(scale)) {
    candidates.resize(n);
    for (std::size_t i = 0; i < n; ++i) candidates[i] = t(v[i]);
    return SelectByNthElement(candidates.data(), n, ranks);
  }
  if (lo == hi) return {lo, lo};
  if (histogram_built != nullptr) *histogram_built = true;
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
  std::size_t taken = 0;
  if constexpr (std::is_same_v<Transform, Identity>) {
    // The median's values: SIMD compress-stores (group_median_simd.h), which may write one vector past.
    if (candidates.size() < through_last - below + detail::kGroupMedianSimdSlack) {
      candidates.resize(through_last - below + detail::kGroupMedianSimdSlack);
    }
    taken = detail::CopyValuesInBucketRange(v, bucket, n, static_cast<std::uint32_t>(first),
                                            static_cast<std::uint32_t>(last), candidates.data());
  } else {
    candidates.resize(through_last - below);
    // One unsigned compare (first <= b <= last), false for all but a few percent of the values, so
    // the branch predicts well; two signed compares would mispredict on every value below `first`.
    const auto span = static_cast<std::uint32_t>(last - first);
    for (std::size_t i = 0; i < n; ++i) {
      if (static_cast<std::uint32_t>(bucket[i]) - static_cast<std::uint32_t>(first) <= span) candidates[taken++] = t(v[i]);
    }
  }
  return SelectByNthElement(candidates.data(), taken, {ranks.lower - below, ranks.upper - below});
}

// Smallest group whose MAD is read off the median's histogram. The bracket walks up to all
// kGroupMedianBuckets buckets twice, whatever n; it saves a histogram pass over the n values. Measured
// with BM_GroupMedianMad/buckets (1 000 groups, bench/RESULTS.md): slower at ~1 000 and ~4 200 values
// per group (8.1 against 6.5 ms at 1M rows, 27.3 against 23.5 at 4M), faster at ~10 000 (the peer's
// groups: 4.4 against 5.1 ns per row) and ~16 800 (82 against 98 ms at 16M rows).
constexpr std::size_t kMadFromHistogramMinValues = 4 * kGroupMedianBuckets;

// The MAD's order statistics `ranks` of |x - median| over v[0..n), read off the histogram the median's
// bucket selection left in scratch (buckets of width w = (hi - lo) / B over [lo, hi]), with one
// pass over the values instead of a second bucket selection. Bucket j holds values within
// [lo + (j - 1) w, lo + (j + 2) w] (one bucket of margin on each side for rounding), so its
// deviations lie in [dmin_j, dmax_j]. Walking the buckets outward from the median's by dmax, the
// first d_high with at least ranks.upper + 1 values in buckets of dmax <= d_high; by dmin, the
// largest d_low below the dmin of every bucket not walked while those walked hold at most
// ranks.lower values. One pass then counts the deviations <= d_low and copies those in
// (d_low, d_high] out; the wanted ranks are among the copies exactly when count <= ranks.lower and
// count + copies > ranks.upper, which is checked: the result is exact whatever the rounding, and
// nullopt (the caller's plain bucket selection) when the check fails. With a margin of a whole
// bucket it has not been seen to fail (float deviations err by half an ulp of the deviation, and a
// bucket is 1/2048 of the group's range; tests/kernels/group_median_test.cc tries ulp-spaced groups
// and outliers); it makes exactness independent of that argument.
std::optional<std::pair<float, float>> SelectDeviationsFromMedianHistogram(const float* v, std::size_t n,
                                                                           MiddleRanks ranks, float lo, float hi,
                                                                           float median, SelectionScratch& scratch) {
  constexpr auto kBuckets = static_cast<std::ptrdiff_t>(kGroupMedianBuckets);
  const std::uint32_t* histogram = scratch.histogram.data();
  const double width = (static_cast<double>(hi) - lo) / static_cast<double>(kBuckets);
  const double m = median;
  const auto low_edge = [&](std::ptrdiff_t j) { return lo + (static_cast<double>(j) - 1.0) * width; };
  const auto high_edge = [&](std::ptrdiff_t j) { return lo + (static_cast<double>(j) + 2.0) * width; };
  const auto dmin = [&](std::ptrdiff_t j) { return std::max({0.0, low_edge(j) - m, m - high_edge(j)}); };
  const auto dmax = [&](std::ptrdiff_t j) { return std::max(std::fabs(low_edge(j) - m), std::fabs(high_edge(j) - m)); };
  const auto median_bucket = std::clamp(static_cast<std::ptrdiff_t>((m - lo) / width), std::ptrdiff_t{0}, kBuckets - 1);

  // d_high: buckets by dmax, outward from the median's (dmax grows away from it on each side).
  double d_high = 0.0;
  {
    std::ptrdiff_t up = median_bucket, down = median_bucket - 1;
    std::size_t covered = 0;
    while (covered <= ranks.upper) {
      if (up >= kBuckets && down < 0) return std::nullopt;
      const bool take_up = down < 0 || (up < kBuckets && dmax(up) <= dmax(down));
      const std::ptrdiff_t j = take_up ? up++ : down--;
      covered += histogram[j];
      d_high = std::max(d_high, dmax(j));
    }
  }
  // d_low: buckets by dmin (non-decreasing away from the median's on each side), while they hold at
  // most ranks.lower values; d_low is then below the dmin of both frontiers.
  double d_low_bound = 0.0;
  {
    std::ptrdiff_t up = median_bucket, down = median_bucket - 1;
    std::size_t walked = 0;
    for (;;) {
      const double up_dmin = up < kBuckets ? dmin(up) : HUGE_VAL;
      const double down_dmin = down >= 0 ? dmin(down) : HUGE_VAL;
      const bool take_up = up_dmin <= down_dmin;
      const std::ptrdiff_t j = take_up ? up : down;
      if (j < 0 || j >= kBuckets || walked + histogram[j] > ranks.lower) {
        d_low_bound = std::min(up_dmin, down_dmin);
        break;
      }
      walked += histogram[j];
      take_up ? ++up : --down;
    }
  }
  // In float: d_high rounded up, d_low strictly below the bound (negative: nothing counted).
  const float high = std::nextafter(static_cast<float>(d_high), HUGE_VALF);
  const float low = std::nextafter(std::nextafter(static_cast<float>(d_low_bound), -HUGE_VALF), -HUGE_VALF);

  if (!(high > low)) return std::nullopt;
  // Deviations are >= +0, whose float bits order as unsigned integers do: d <= low is bits(d) <
  // first, and low < d <= high is one unsigned compare, branch-free (half the values lie above the
  // MAD, so a branch would mispredict on every other value).
  const std::uint32_t first = low < 0.0f ? 0u : std::bit_cast<std::uint32_t>(std::nextafter(low, HUGE_VALF));
  const std::uint32_t window = std::bit_cast<std::uint32_t>(high) - first;
  std::vector<float>& candidates = scratch.candidates;
  if (candidates.size() < n + detail::kGroupMedianSimdSlack) candidates.resize(n + detail::kGroupMedianSimdSlack);
  // d = |x - median| in float, the reference's deviation; SIMD (group_median_simd.h).
  std::size_t below = 0;
  const std::size_t taken = detail::CountAndCopyDeviationWindow(v, n, median, first, window, candidates.data(), below);
  float* out = candidates.data();
  if (below > ranks.lower || below + taken <= ranks.upper) return std::nullopt;
  return SelectByNthElement(out, taken, {ranks.lower - below, ranks.upper - below});
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
    bool histogram_built = false;
    const auto [m_lower, m_upper] = SelectByBuckets(v, n, ranks, lo, hi, Identity{}, scratch, &histogram_built);
    const float med = MeanOfMiddles(m_lower, m_upper, n);
    std::optional<std::pair<float, float>> deviations;
    if (histogram_built && n >= kMadFromHistogramMinValues) {
      deviations = SelectDeviationsFromMedianHistogram(v, n, ranks, lo, hi, med, scratch);
    }
    if (!deviations) {
      const auto deviation = [med](float x) { return std::fabs(x - med); };
      const float max_deviation = std::max(std::fabs(hi - med), std::fabs(lo - med));
      deviations = SelectByBuckets(v, n, ranks, 0.0f, max_deviation, deviation, scratch);
    }
    median[g] = med;
    mad[g] = MeanOfMiddles(deviations->first, deviations->second, n);
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
