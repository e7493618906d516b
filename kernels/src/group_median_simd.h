// The two data-parallel passes of GroupMedianMad's per-group selection (crsim/kernels/group_median.h),
// in Highway with runtime dispatch (group_median_simd.cc). Both copy the values they select in input
// order, a compressed vector at a time, and may write up to one vector (kGroupMedianSimdSlack floats)
// past the last value copied: `out` needs room for n + kGroupMedianSimdSlack floats.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crsim::kernels::detail {

inline constexpr std::size_t kGroupMedianSimdSlack = 64;  // floats of the widest vector (AVX-512: 16)

// Copies v[i] for every i < n with first <= bucket[i] <= last into out; returns how many.
std::size_t CopyValuesInBucketRange(const float* v, const std::uint16_t* bucket, std::size_t n, std::uint32_t first,
                                    std::uint32_t last, float* out);

// With d = |v[i] - median| in float (as std::fabs(v[i] - median)) and b its bits as an unsigned
// integer (ordered as d for d >= +0): counts the d with b < first into `below` and copies the d with
// b - first <= window (unsigned) into out; returns how many were copied.
std::size_t CountAndCopyDeviationWindow(const float* v, std::size_t n, float median, std::uint32_t first,
                                        std::uint32_t window, float* out, std::size_t& below);

}  // namespace crsim::kernels::detail
