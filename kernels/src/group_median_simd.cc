// Highway translation unit of GroupMedianMad's per-group passes (spec in group_median_simd.h): one
// vector of values per step, the selection as a mask, a register Compress stored whole (the slack
// past the copies) and CountTrue; the last partial vector in scalar code with the same arithmetic.
// Not CompressStore: its AVX-512 form compresses into memory (vcompressps m32), which Zen 4 runs as
// a slow microcoded sequence; here it made the kernel 15% slower than the scalar loops.
#include "group_median_simd.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "group_median_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels::detail {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

HWY_NOINLINE std::size_t CopyValuesInBucketRangeTarget(const float* HWY_RESTRICT v,
                                                      const std::uint16_t* HWY_RESTRICT bucket, std::size_t n,
                                                      std::uint32_t first, std::uint32_t last,
                                                      float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::Rebind<std::uint16_t, decltype(du)> du16;
  const std::size_t lanes = hn::Lanes(df);
  const auto first_vector = hn::Set(du, first);
  const auto span = hn::Set(du, last - first);
  std::size_t taken = 0, i = 0;
  for (; i + lanes <= n; i += lanes) {
    // first <= b <= last as one unsigned compare: b - first wraps above span when b < first.
    const auto offset = hn::Sub(hn::PromoteTo(du, hn::LoadU(du16, bucket + i)), first_vector);
    const auto selected = hn::RebindMask(df, hn::Not(hn::Gt(offset, span)));
    hn::StoreU(hn::Compress(hn::LoadU(df, v + i), selected), df, out + taken);
    taken += hn::CountTrue(df, selected);
  }
  for (; i < n; ++i) {
    out[taken] = v[i];
    taken += static_cast<std::uint32_t>(bucket[i]) - first <= last - first ? 1u : 0u;
  }
  return taken;
}

HWY_NOINLINE std::size_t CountAndCopyDeviationWindowTarget(const float* HWY_RESTRICT v, std::size_t n, float median,
                                                          std::uint32_t first, std::uint32_t window,
                                                          float* HWY_RESTRICT out, std::size_t& below) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const std::size_t lanes = hn::Lanes(df);
  const auto median_vector = hn::Set(df, median);
  const auto first_vector = hn::Set(du, first);
  const auto window_vector = hn::Set(du, window);
  std::size_t taken = 0, counted = 0, i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto deviation = hn::Abs(hn::Sub(hn::LoadU(df, v + i), median_vector));
    const auto bits = hn::BitCast(du, deviation);
    counted += hn::CountTrue(du, hn::Lt(bits, first_vector));
    const auto selected = hn::RebindMask(df, hn::Not(hn::Gt(hn::Sub(bits, first_vector), window_vector)));
    hn::StoreU(hn::Compress(deviation, selected), df, out + taken);
    taken += hn::CountTrue(df, selected);
  }
  for (; i < n; ++i) {
    const float deviation = std::fabs(v[i] - median);
    std::uint32_t bits;
    std::memcpy(&bits, &deviation, sizeof bits);
    counted += bits < first ? 1u : 0u;
    out[taken] = deviation;
    taken += bits - first <= window ? 1u : 0u;
  }
  below = counted;
  return taken;
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace crsim::kernels::detail {

HWY_EXPORT(CopyValuesInBucketRangeTarget);
HWY_EXPORT(CountAndCopyDeviationWindowTarget);

std::size_t CopyValuesInBucketRange(const float* v, const std::uint16_t* bucket, std::size_t n, std::uint32_t first,
                                    std::uint32_t last, float* out) {
  return HWY_DYNAMIC_DISPATCH(CopyValuesInBucketRangeTarget)(v, bucket, n, first, last, out);
}

std::size_t CountAndCopyDeviationWindow(const float* v, std::size_t n, float median, std::uint32_t first,
                                        std::uint32_t window, float* out, std::size_t& below) {
  return HWY_DYNAMIC_DISPATCH(CountAndCopyDeviationWindowTarget)(v, n, median, first, window, out, below);
}

}  // namespace crsim::kernels::detail
#endif  // HWY_ONCE
