// Per-target SIMD code of the feature matrix kernel (spec in crsim/kernels/feature_matrix.h).
//
// One step handles N rows (N = f32 lanes): loads the float columns, widens the u8 chapter and u16
// origin/departure to i32 (PromoteTo), gathers the five table features, and stores each feature as
// one unit-stride vector into its column. Tail (rows % N): inputs copied into zero-filled buffers
// of one vector (index 0 is inside every table), features computed into a stack buffer and the first
// `remaining` of each copied out (no MaskedLoad: see unit_value-inl.h).
#if defined(CRSIM_KERNELS_FEATURE_MATRIX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_FEATURE_MATRIX_INL_H_
#undef CRSIM_KERNELS_FEATURE_MATRIX_INL_H_
#else
#define CRSIM_KERNELS_FEATURE_MATRIX_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include "crsim/kernels/feature_matrix.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

struct FeatureRowPointers {
  const float* unit_value_z;
  const std::uint32_t* hs6;
  const std::uint8_t* hs_chapter;
  const std::uint16_t* origin;
  const std::uint16_t* departure;  // nullptr: no departure column
  const float* trader_age_days;
  const std::uint32_t* trader;
  const float* rule_score;
};

struct FeatureTablePointers {
  const float* tariff_rate;
  const float* trader_mean;
  const float* trader_bonus;
  const float* chapter_rate;
  const float* origin_rate;
};

// Features of rows [i, i + N): sink(f, vector) for f = 0, 1, ..., kNumFeatures - 1 in this order
// (the fused logistic scorer accumulates its dot product in the same order as LogisticScore).
template <class DF, class Sink>
HWY_INLINE void ForEachFeature(DF df, const FeatureRowPointers& in, std::size_t i,
                               const FeatureTablePointers& tables, const Sink& sink) {
  const hn::RebindToSigned<DF> di;
  const hn::RebindToUnsigned<DF> du;
  const hn::Rebind<std::uint8_t, decltype(di)> d8;
  const hn::Rebind<std::uint16_t, decltype(di)> d16;
  const auto zero = hn::Zero(df);
  const auto one = hn::Set(df, 1.0f);

  const auto z = hn::LoadU(df, in.unit_value_z + i);
  const auto low_price = hn::Min(hn::Max(zero, hn::Neg(z)), hn::Set(df, kLowPriceZCap));
  sink(kLowPriceZ, hn::IfThenElse(hn::IsNaN(z), zero, low_price));

  const auto hs6 = hn::BitCast(di, hn::LoadU(du, in.hs6 + i));
  sink(kTariffRate, hn::GatherIndex(df, tables.tariff_rate, hs6));

  // NaN or negative age: Gt is false, feature 0 (Log never sees them: 1 + 0 = 1).
  const auto age = hn::LoadU(df, in.trader_age_days + i);
  const auto valid_age = hn::Gt(age, zero);
  const auto log_age = hn::Log(df, hn::Add(one, hn::IfThenElseZero(valid_age, age)));
  sink(kLogTraderAge, hn::IfThenElseZero(valid_age, log_age));

  const auto trader = hn::BitCast(di, hn::LoadU(du, in.trader + i));
  sink(kTraderMean, hn::GatherIndex(df, tables.trader_mean, trader));
  sink(kTraderBonus, hn::GatherIndex(df, tables.trader_bonus, trader));

  sink(kRuleScore, hn::LoadU(df, in.rule_score + i));

  const auto origin = hn::PromoteTo(di, hn::LoadU(d16, in.origin + i));
  if (in.departure != nullptr) {
    const auto departure = hn::PromoteTo(di, hn::LoadU(d16, in.departure + i));
    const auto mismatch = hn::RebindMask(df, hn::Ne(departure, origin));
    sink(kRouteMismatch, hn::IfThenElseZero(mismatch, one));
  } else {
    sink(kRouteMismatch, zero);
  }

  const auto chapter = hn::PromoteTo(di, hn::LoadU(d8, in.hs_chapter + i));
  sink(kChapterRate, hn::GatherIndex(df, tables.chapter_rate, chapter));
  sink(kOriginRate, hn::GatherIndex(df, tables.origin_rate, origin));
}

// For each vector of rows of [0, count): full(i) for the full vectors (rows [i, i + N) of in),
// then once tail(i, rows, remaining) for the last partial one, its inputs copied into zero-filled
// buffers of one vector (rows at index 0; index 0 is inside every table).
template <class Full, class Tail>
HWY_INLINE void ForEachFeatureRowVector(const FeatureRowPointers& in, std::size_t count, const Full& full,
                                        const Tail& tail) {
  const hn::ScalableTag<float> df;
  const std::size_t lanes = hn::Lanes(df);
  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes) full(i);
  }
  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN float z_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint32_t hs6_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint8_t chapter_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint16_t origin_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint16_t departure_buffer[kMaxLanes] = {};
  HWY_ALIGN float age_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint32_t trader_buffer[kMaxLanes] = {};
  HWY_ALIGN float rule_buffer[kMaxLanes] = {};
  std::memcpy(z_buffer, in.unit_value_z + i, remaining * sizeof(float));
  std::memcpy(hs6_buffer, in.hs6 + i, remaining * sizeof(std::uint32_t));
  std::memcpy(chapter_buffer, in.hs_chapter + i, remaining * sizeof(std::uint8_t));
  std::memcpy(origin_buffer, in.origin + i, remaining * sizeof(std::uint16_t));
  if (in.departure != nullptr) {
    std::memcpy(departure_buffer, in.departure + i, remaining * sizeof(std::uint16_t));
  }
  std::memcpy(age_buffer, in.trader_age_days + i, remaining * sizeof(float));
  std::memcpy(trader_buffer, in.trader + i, remaining * sizeof(std::uint32_t));
  std::memcpy(rule_buffer, in.rule_score + i, remaining * sizeof(float));
  const FeatureRowPointers tail_rows{z_buffer,   hs6_buffer,    chapter_buffer,
                                     origin_buffer, in.departure != nullptr ? departure_buffer : nullptr,
                                     age_buffer, trader_buffer, rule_buffer};
  tail(i, tail_rows, remaining);
}

HWY_INLINE void FeatureMatrixSpan(const FeatureRowPointers& in, std::size_t count,
                                  const FeatureTablePointers& tables, float* HWY_RESTRICT out,
                                  std::size_t stride) {
  const hn::ScalableTag<float> df;
  ForEachFeatureRowVector(
      in, count,
      [&](std::size_t i) {
        ForEachFeature(df, in, i, tables, [&](std::size_t f, auto feature) { hn::StoreU(feature, df, out + f * stride + i); });
      },
      [&](std::size_t i, const FeatureRowPointers& tail_rows, std::size_t remaining) {
        constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
        HWY_ALIGN float out_buffer[kNumFeatures * kMaxLanes];
        ForEachFeature(df, tail_rows, 0, tables,
                       [&](std::size_t f, auto feature) { hn::Store(feature, df, out_buffer + f * kMaxLanes); });
        for (std::size_t f = 0; f < kNumFeatures; ++f) {
          std::memcpy(out + f * stride + i, out_buffer + f * kMaxLanes, remaining * sizeof(float));
        }
      });
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
