// Per-target SIMD code of the unit-value anomaly kernel (see crsim/kernels/unit_value.h for the
// spec).
//
// Vector algorithm, one vector of N declarations (N = lanes of f32: 16 on AVX3, 8 on AVX2, 4 on
// SSE4/SSSE3, 1 on SCALAR):
//   ratio  = value / quantity                       (IEEE division: identical to the scalar one)
//   valid  = value > 0 && quantity > 0 && !isnan(ratio)   (false for NaN inputs and inf / inf)
//   log    = hwy Log(ratio), patched to -inf where ratio underflowed to 0 and +inf where it
//            overflowed to +inf (Highway's Log is only defined on (0, FLT_MAX]; std::log gives
//            these infinities)
//   z      = (log - gather(median, hs6)) * gather(inverse_scale, hs6)
//   z      = valid ? z : NaN                        (a NaN median propagates through the Sub)
// Lanes where !valid may compute Log of garbage (0, negative, NaN); the result is discarded by the
// final blend and Highway's Log does not trap.
// Tail (count % N): inputs copied into zero-filled stack buffers of one vector (hs6 index 0 stays
// inside the reference tables), outputs written with FirstN + BlendedStore. MaskedLoad is avoided
// because in Highway 1.0.3 it is a full aligned Load + blend on SSSE3/SSE4, which reads past the
// end of the spans and faults on misaligned starts.
//
// Include guard for per-target code: re-included once per target by foreach_target.h.
#if defined(CRSIM_KERNELS_UNIT_VALUE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_UNIT_VALUE_INL_H_
#undef CRSIM_KERNELS_UNIT_VALUE_INL_H_
#else
#define CRSIM_KERNELS_UNIT_VALUE_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// Robust z for one vector of declarations already in registers.
template <class DF, class VF, class VI>
HWY_INLINE VF UnitValueZVector(DF df, VF value, VF quantity, VI hs6,
                               const float* HWY_RESTRICT median_log_unit_value,
                               const float* HWY_RESTRICT inverse_scale) {
  const VF zero = hn::Zero(df);
  const VF infinity = hn::Set(df, std::numeric_limits<float>::infinity());
  const VF ratio = hn::Div(value, quantity);
  // inf / inf is NaN although both operands are > 0: std::log propagates it, Highway's Log does
  // not, so it is excluded here.
  const auto valid =
      hn::AndNot(hn::IsNaN(ratio), hn::And(hn::Gt(value, zero), hn::Gt(quantity, zero)));
  VF log_ratio = hn::Log(df, ratio);
  log_ratio = hn::IfThenElse(hn::Eq(ratio, zero), hn::Neg(infinity), log_ratio);
  log_ratio = hn::IfThenElse(hn::Eq(ratio, infinity), infinity, log_ratio);
  const VF median = hn::GatherIndex(df, median_log_unit_value, hs6);
  const VF scale = hn::GatherIndex(df, inverse_scale, hs6);
  const VF z = hn::Mul(hn::Sub(log_ratio, median), scale);
  return hn::IfThenElse(valid, z, hn::Set(df, std::numeric_limits<float>::quiet_NaN()));
}

// Computes z for `count` declarations. Pointers may be misaligned; exactly `count` outputs written.
HWY_INLINE void UnitValueZSpan(const float* HWY_RESTRICT declared_value,
                               const float* HWY_RESTRICT declared_quantity,
                               const std::uint32_t* HWY_RESTRICT hs6, std::size_t count,
                               const float* HWY_RESTRICT median_log_unit_value,
                               const float* HWY_RESTRICT inverse_scale, float* HWY_RESTRICT z) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  const std::size_t lanes = hn::Lanes(df);

  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes) {
      // Codes are < 2^31 (they index a table), so the signed view GatherIndex wants is the same.
      const auto code = hn::BitCast(di, hn::LoadU(du, hs6 + i));
      hn::StoreU(UnitValueZVector(df, hn::LoadU(df, declared_value + i),
                                  hn::LoadU(df, declared_quantity + i), code, median_log_unit_value,
                                  inverse_scale),
                 df, z + i);
    }
  }

  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN float value_buffer[kMaxLanes] = {};
  HWY_ALIGN float quantity_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint32_t code_buffer[kMaxLanes] = {};
  std::memcpy(value_buffer, declared_value + i, remaining * sizeof(float));
  std::memcpy(quantity_buffer, declared_quantity + i, remaining * sizeof(float));
  std::memcpy(code_buffer, hs6 + i, remaining * sizeof(std::uint32_t));
  const auto z_tail = UnitValueZVector(
      df, hn::Load(df, value_buffer), hn::Load(df, quantity_buffer),
      hn::BitCast(di, hn::Load(du, code_buffer)), median_log_unit_value, inverse_scale);
  hn::BlendedStore(z_tail, hn::FirstN(df, remaining), df, z + i);
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
