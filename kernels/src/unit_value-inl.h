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

// Highway's Log of ratio > 0, patched to -inf where the ratio underflowed to 0 and +inf where it
// overflowed to +inf, as std::log gives (Highway's Log is only defined on (0, FLT_MAX]).
template <class DF, class VF>
HWY_INLINE VF PatchedLog(DF df, VF ratio) {
  const VF infinity = hn::Set(df, std::numeric_limits<float>::infinity());
  VF log_ratio = hn::Log(df, ratio);
  log_ratio = hn::IfThenElse(hn::Eq(ratio, hn::Zero(df)), hn::Neg(infinity), log_ratio);
  return hn::IfThenElse(hn::Eq(ratio, infinity), infinity, log_ratio);
}

// Robust z for one vector of declarations already in registers.
template <class DF, class VF, class VI>
HWY_INLINE VF UnitValueZVector(DF df, VF value, VF quantity, VI hs6,
                               const float* HWY_RESTRICT median_log_unit_value,
                               const float* HWY_RESTRICT inverse_scale) {
  const VF zero = hn::Zero(df);
  const VF ratio = hn::Div(value, quantity);
  // inf / inf is NaN although both operands are > 0: std::log propagates it, Highway's Log does
  // not, so it is excluded here.
  const auto valid =
      hn::AndNot(hn::IsNaN(ratio), hn::And(hn::Gt(value, zero), hn::Gt(quantity, zero)));
  const VF log_ratio = PatchedLog(df, ratio);
  const VF median = hn::GatherIndex(df, median_log_unit_value, hs6);
  const VF scale = hn::GatherIndex(df, inverse_scale, hs6);
  const VF z = hn::Mul(hn::Sub(log_ratio, median), scale);
  return hn::IfThenElse(valid, z, hn::Set(df, std::numeric_limits<float>::quiet_NaN()));
}

// The loop of every kernel here over (value, quantity) rows: full(row, value, quantity) for each
// full vector of rows, read in place (pointers may be misaligned), then tail(row, value, quantity,
// remaining) once for the last partial vector, read from zero-filled buffers. MaskedLoad is avoided
// (see the file comment).
template <class DF, class Full, class Tail>
HWY_INLINE void ForEachValueQuantityVector(DF df, const float* HWY_RESTRICT declared_value,
                                           const float* HWY_RESTRICT declared_quantity, std::size_t count,
                                           const Full& full, const Tail& tail) {
  const std::size_t lanes = hn::Lanes(df);
  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes) full(i, hn::LoadU(df, declared_value + i), hn::LoadU(df, declared_quantity + i));
  }
  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN float value_buffer[kMaxLanes] = {};
  HWY_ALIGN float quantity_buffer[kMaxLanes] = {};
  std::memcpy(value_buffer, declared_value + i, remaining * sizeof(float));
  std::memcpy(quantity_buffer, declared_quantity + i, remaining * sizeof(float));
  tail(i, hn::Load(df, value_buffer), hn::Load(df, quantity_buffer), remaining);
}

// The loop shared by both z kernels: z for `count` declarations, the reference index of each
// vector of rows given by index_at(row) (full vectors) and tail_index(row, remaining) (the last
// partial vector). Exactly `count` outputs written.
template <class IndexAt, class TailIndex>
HWY_INLINE void UnitValueZLoop(const float* HWY_RESTRICT declared_value,
                               const float* HWY_RESTRICT declared_quantity, std::size_t count,
                               const float* HWY_RESTRICT median_log_unit_value,
                               const float* HWY_RESTRICT inverse_scale, float* HWY_RESTRICT z,
                               const IndexAt& index_at, const TailIndex& tail_index) {
  const hn::ScalableTag<float> df;
  ForEachValueQuantityVector(
      df, declared_value, declared_quantity, count,
      [&](std::size_t row, auto value, auto quantity) {
        hn::StoreU(UnitValueZVector(df, value, quantity, index_at(row), median_log_unit_value, inverse_scale), df,
                   z + row);
      },
      [&](std::size_t row, auto value, auto quantity, std::size_t remaining) {
        const auto z_tail =
            UnitValueZVector(df, value, quantity, tail_index(row, remaining), median_log_unit_value, inverse_scale);
        hn::BlendedStore(z_tail, hn::FirstN(df, remaining), df, z + row);
      });
}

// Computes z for `count` declarations, reference index hs6[i].
HWY_INLINE void UnitValueZSpan(const float* HWY_RESTRICT declared_value,
                               const float* HWY_RESTRICT declared_quantity,
                               const std::uint32_t* HWY_RESTRICT hs6, std::size_t count,
                               const float* HWY_RESTRICT median_log_unit_value,
                               const float* HWY_RESTRICT inverse_scale, float* HWY_RESTRICT z) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  // Codes are < 2^31 (they index a table), so the signed view GatherIndex wants is the same.
  const auto index_at = [&](std::size_t row) { return hn::BitCast(di, hn::LoadU(du, hs6 + row)); };
  const auto tail_index = [&](std::size_t row, std::size_t remaining) {
    HWY_ALIGN std::uint32_t code_buffer[HWY_MAX_BYTES / sizeof(float)] = {};
    std::memcpy(code_buffer, hs6 + row, remaining * sizeof(std::uint32_t));
    return hn::BitCast(di, hn::Load(du, code_buffer));
  };
  UnitValueZLoop(declared_value, declared_quantity, count, median_log_unit_value, inverse_scale, z,
                 index_at, tail_index);
}

// As UnitValueZSpan, with the reference index hs6[i] * num_origins + origin[i] computed per lane
// (u16 origin promoted to u32, one multiply-add); the index fits in 31 bits (caller's
// precondition), so its signed view is the same. Zero-filled tail buffers give index 0, inside the
// tables.
HWY_INLINE void UnitValueZByOriginSpan(const float* HWY_RESTRICT declared_value,
                                       const float* HWY_RESTRICT declared_quantity,
                                       const std::uint32_t* HWY_RESTRICT hs6,
                                       const std::uint16_t* HWY_RESTRICT origin,
                                       std::uint32_t num_origins, std::size_t count,
                                       const float* HWY_RESTRICT median_log_unit_value,
                                       const float* HWY_RESTRICT inverse_scale,
                                       float* HWY_RESTRICT z) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::Rebind<std::uint16_t, decltype(du)> du16;
  const auto origins_per_code = hn::Set(du, num_origins);
  const auto index = [&](const std::uint32_t* code, const std::uint16_t* country) {
    return hn::BitCast(di, hn::Add(hn::Mul(hn::LoadU(du, code), origins_per_code),
                                   hn::PromoteTo(du, hn::LoadU(du16, country))));
  };
  const auto index_at = [&](std::size_t row) { return index(hs6 + row, origin + row); };
  const auto tail_index = [&](std::size_t row, std::size_t remaining) {
    constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
    HWY_ALIGN std::uint32_t code_buffer[kMaxLanes] = {};
    HWY_ALIGN std::uint16_t origin_buffer[kMaxLanes] = {};
    std::memcpy(code_buffer, hs6 + row, remaining * sizeof(std::uint32_t));
    std::memcpy(origin_buffer, origin + row, remaining * sizeof(std::uint16_t));
    return index(code_buffer, origin_buffer);
  };
  UnitValueZLoop(declared_value, declared_quantity, count, median_log_unit_value, inverse_scale, z,
                 index_at, tail_index);
}

// Robust z of `count` precomputed log unit values (spec: RobustZOfLogUnitValue in unit_value.h):
// two gathers, a subtract and a multiply per vector; NaN propagates through the arithmetic.
HWY_INLINE void ZOfLogUnitValueSpan(const float* HWY_RESTRICT log_unit_value, const std::uint32_t* HWY_RESTRICT hs6,
                                    std::size_t count, const float* HWY_RESTRICT median_log_unit_value,
                                    const float* HWY_RESTRICT inverse_scale, float* HWY_RESTRICT z) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  const auto z_of = [&](auto log_value, auto code) {
    const auto index = hn::BitCast(di, code);  // codes index a table: < 2^31, same signed view
    return hn::Mul(hn::Sub(log_value, hn::GatherIndex(df, median_log_unit_value, index)),
                   hn::GatherIndex(df, inverse_scale, index));
  };
  const std::size_t lanes = hn::Lanes(df);
  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes) {
      hn::StoreU(z_of(hn::LoadU(df, log_unit_value + i), hn::LoadU(du, hs6 + i)), df, z + i);
    }
  }
  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN float log_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint32_t code_buffer[kMaxLanes] = {};  // index 0 is inside the tables
  std::memcpy(log_buffer, log_unit_value + i, remaining * sizeof(float));
  std::memcpy(code_buffer, hs6 + i, remaining * sizeof(std::uint32_t));
  hn::BlendedStore(z_of(hn::Load(df, log_buffer), hn::Load(du, code_buffer)), hn::FirstN(df, remaining), df, z + i);
}

// Unit value and its log for `count` declarations (spec: LogUnitValue in unit_value.h).
HWY_INLINE void LogUnitValueSpan(const float* HWY_RESTRICT declared_value,
                                 const float* HWY_RESTRICT declared_quantity, std::size_t count,
                                 float* HWY_RESTRICT unit_value, float* HWY_RESTRICT log_unit_value) {
  const hn::ScalableTag<float> df;
  const auto log_of = [&](auto value, auto quantity, auto ratio) {
    const auto zero = hn::Zero(df);
    const auto valid = hn::AndNot(hn::IsNaN(ratio), hn::And(hn::Gt(value, zero), hn::Gt(quantity, zero)));
    return hn::IfThenElse(valid, PatchedLog(df, ratio), hn::Set(df, std::numeric_limits<float>::quiet_NaN()));
  };
  ForEachValueQuantityVector(
      df, declared_value, declared_quantity, count,
      [&](std::size_t row, auto value, auto quantity) {
        const auto ratio = hn::Div(value, quantity);
        hn::StoreU(ratio, df, unit_value + row);
        hn::StoreU(log_of(value, quantity, ratio), df, log_unit_value + row);
      },
      [&](std::size_t row, auto value, auto quantity, std::size_t remaining) {
        const auto ratio = hn::Div(value, quantity);
        hn::BlendedStore(ratio, hn::FirstN(df, remaining), df, unit_value + row);
        hn::BlendedStore(log_of(value, quantity, ratio), hn::FirstN(df, remaining), df, log_unit_value + row);
      });
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
