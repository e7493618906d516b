// Group median kernel: the exact median and median absolute deviation (MAD) of a float column per
// group, as pandas's `groupby(...).median()` computes them.
//
// What it computes: for every group g < num_groups, over the values v[i] with group[i] == g that
// are not NaN:
//     median[g] = the middle value; for an even count the mean of the two middle values (computed
//                 in double, rounded to float, as bench/peers' pandas pipeline does)
//     mad[g]    = the median, same rule, of |v[i] - median[g]| computed in float
// An empty group (no rows, or only NaN) gets NaN in both. The MAD is not scaled: multiply by
// kMadToStandardDeviation (unit_value.h) for a robust standard deviation.
//
// Reference (GroupMedianMadReference): counting sort of the values by group, then
// std::nth_element per group for the median and again for the MAD. Plain and obviously exact.
//
// Fast path (GroupMedianMad): the same counting sort, its scatter write-combined (a 64-byte line
// buffer per group; lines a group owns whole are streamed out with non-temporal stores, so the
// scatter does not read every destination line from memory before writing it), then per group an exact bucket selection
// instead of nth_element: one pass finds the group's min and max, a second builds a histogram of
// kGroupMedianBuckets equal-width buckets over [min, max], the prefix sums name the bucket that
// holds the wanted rank(s), and a third pass copies just that bucket's values out for an
// nth_element of a few dozen values. The bucket map b(x) = min(B - 1, int((x - min) * scale)) is
// monotone non-decreasing in x under IEEE rounding, so every value in a lower bucket is <= every
// value in a higher one and the selected order statistic is exactly the reference's. For groups of
// at least 4 x kGroupMedianBuckets values (smaller ones run the same bucket selection over
// |x - median|), the MAD is read off the same histogram: bucket j's deviations from the median lie within known bounds (with
// a bucket of margin for rounding), which bracket the MAD's rank between two deviations d_low and
// d_high; one branch-free pass counts the deviations <= d_low and copies those in (d_low, d_high]
// (about 1% of the group) for an nth_element, after checking that the rank is among them (if not,
// a second bucket selection over |x - median| runs instead). Per group this touches its values
// four times in L1/L2 instead of nth_element's data-dependent partitioning rounds; small groups
// (< kGroupMedianSmall values) and groups with a non-finite bound use nth_element directly. The
// two copy passes (the median's bucket, the MAD's window) run in Highway SIMD with runtime dispatch
// (kernels/src/group_median_simd.cc: a mask, a register compress, a whole-vector store); the
// histogram stays scalar (one increment per value). Equal to the reference on every target. Results equal the reference bit for bit
// (tests/kernels/group_median_test.cc).
//
// Limits and preconditions: group[i] < num_groups (checked: std::out_of_range), values.size() ==
// group.size(), median.size() == mad.size() == num_groups, at most 2^32 - 1 rows. Infinite values
// are ordinary values (a group holding one uses nth_element). Single-threaded: the peer comparison
// runs it on one core. Its scratch (one float per non-NaN row) is allocated per call, uninitialised
// and on transparent huge pages where Linux allows (kernels/src/huge_page_buffer.h): zero-filled 4 KiB
// pages cost a third of the kernel's time on 10M rows.
//
// Usage:
//   GroupMedianMad(log_unit_value, hs6, num_codes, median, mad);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace crsim::kernels {

inline constexpr std::size_t kGroupMedianBuckets = 2048;
inline constexpr std::size_t kGroupMedianSmall = 512;

void GroupMedianMad(std::span<const float> values, std::span<const std::uint32_t> group, std::size_t num_groups,
                    std::span<float> median, std::span<float> mad);

void GroupMedianMadReference(std::span<const float> values, std::span<const std::uint32_t> group,
                             std::size_t num_groups, std::span<float> median, std::span<float> mad);

}  // namespace crsim::kernels
