// Per-target SIMD code of the rule-profile kernel (see crsim/kernels/risk_rules.h for the spec).
//
// Vector algorithm, one vector of N declarations (N = lanes of u32 on the target: 16 on AVX3,
// 8 on AVX2, 4 on SSE4/SSSE3, 1 on SCALAR):
//   1. load N chapters (u8), origins (u16), offices (u16), promote them to 32-bit lanes and gather
//      the three per-value rule masks (chapter_rules, origin_rules, office_rules); AND them. This
//      evaluates every set condition of every rule at once.
//   2. for each rule r with a unit-value condition: clear bit r in the lanes where
//      !(unit_value >= min[r] && unit_value < max[r]) (NaN compares false, so NaN clears the bit);
//      same for the age condition (age <= max_age[r]).
//   3. score = 0; for r = 0 .. num_rules-1: score += (bit r set) ? weight[r] : 0. Same order as the
//      scalar reference, and adding +0.0f to a sum that starts at +0.0f never changes it (x + 0 = x
//      for every x except -0, and a sum starting at +0 is never -0), so scores are bit-identical.
// Tail (count % N declarations): the inputs are copied into zero-filled stack buffers of one full
// vector and processed as above, the outputs written with FirstN + BlendedStore. We do not use
// MaskedLoad on the inputs: in Highway 1.0.3 it is a full (aligned!) Load + blend on SSSE3/SSE4,
// and for 8/16-bit lanes also on AVX2, so it would read past the end of the spans (and fault on the
// misaligned starts the kernel must accept). Zero padding keeps the gathered indices of the unused
// lanes at 0, inside every table.
//
// Include guard for per-target code: re-included once per target by foreach_target.h.
#if defined(CRSIM_KERNELS_RISK_RULES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_RISK_RULES_INL_H_
#undef CRSIM_KERNELS_RISK_RULES_INL_H_
#else
#define CRSIM_KERNELS_RISK_RULES_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

#include "crsim/kernels/risk_rules.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// Rule masks and scores for one vector of declarations whose columns are already in registers.
// `chapter`, `origin`, `office` are table indices in signed 32-bit lanes (GatherIndex takes signed
// indices); `unit_value` and `age` are the float columns.
template <class DU, class VI, class VF>
HWY_INLINE void ScoreRuleVector(DU du, const RuleTable& table, VI chapter, VI origin, VI office,
                                VF unit_value, VF age, VF& score, hn::Vec<DU>& rule_mask) {
  const hn::RebindToFloat<DU> df;

  // 1. Set conditions: one gather per column gives every rule's verdict.
  rule_mask = hn::And(hn::And(hn::GatherIndex(du, table.chapter_rules.data(), chapter),
                              hn::GatherIndex(du, table.origin_rules.data(), origin)),
                      hn::GatherIndex(du, table.office_rules.data(), office));

  // 2. Range conditions: one or two compares per rule that has them.
  for (std::size_t rule = 0; rule < table.num_rules; ++rule) {
    const std::uint32_t bit = std::uint32_t{1} << rule;
    if (table.unit_value_tested & bit) {
      const auto inside = hn::And(hn::Ge(unit_value, hn::Set(df, table.unit_value_min[rule])),
                                  hn::Lt(unit_value, hn::Set(df, table.unit_value_max[rule])));
      rule_mask =
          hn::AndNot(hn::IfThenZeroElse(hn::RebindMask(du, inside), hn::Set(du, bit)), rule_mask);
    }
    if (table.age_tested & bit) {
      const auto young = hn::Le(age, hn::Set(df, table.max_trader_age_days[rule]));
      rule_mask =
          hn::AndNot(hn::IfThenZeroElse(hn::RebindMask(du, young), hn::Set(du, bit)), rule_mask);
    }
  }

  // 3. Weighted score, in rule order (bit-identical to the scalar reference, see above).
  score = hn::Zero(df);
  for (std::size_t rule = 0; rule < table.num_rules; ++rule) {
    const auto matches =
        hn::RebindMask(df, hn::TestBit(rule_mask, hn::Set(du, std::uint32_t{1} << rule)));
    score = hn::Add(score, hn::IfThenElseZero(matches, hn::Set(df, table.weight[rule])));
  }
}

// Scores `count` declarations. Column pointers may be misaligned; outputs are written for exactly
// `count` elements.
HWY_INLINE void ScoreRulesSpan(const RuleTable& table, const std::uint8_t* HWY_RESTRICT hs_chapter,
                               const std::uint16_t* HWY_RESTRICT origin,
                               const std::uint16_t* HWY_RESTRICT office,
                               const float* HWY_RESTRICT unit_value,
                               const float* HWY_RESTRICT trader_age_days, std::size_t count,
                               float* HWY_RESTRICT score, std::uint32_t* HWY_RESTRICT hit_mask) {
  const hn::ScalableTag<std::uint32_t> du;
  const hn::RebindToSigned<decltype(du)> di;
  const hn::RebindToFloat<decltype(du)> df;
  const hn::Rebind<std::uint8_t, decltype(du)> du8;
  const hn::Rebind<std::uint16_t, decltype(du)> du16;
  const std::size_t lanes = hn::Lanes(du);

  hn::Vec<decltype(df)> score_vector;
  hn::Vec<decltype(du)> mask_vector;
  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes) {
      // u8/u16 -> u32 zero-extends; indices < 2^16 so the signed view is the same value.
      const auto chapter = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du8, hs_chapter + i)));
      const auto origin_index = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du16, origin + i)));
      const auto office_index = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du16, office + i)));
      ScoreRuleVector(du, table, chapter, origin_index, office_index, hn::LoadU(df, unit_value + i),
                      hn::LoadU(df, trader_age_days + i), score_vector, mask_vector);
      hn::StoreU(score_vector, df, score + i);
      hn::StoreU(mask_vector, du, hit_mask + i);
    }
  }

  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  // Tail: one full vector from zero-padded copies (see the file comment for why not MaskedLoad).
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(std::uint32_t);
  HWY_ALIGN std::uint8_t chapter_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint16_t origin_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint16_t office_buffer[kMaxLanes] = {};
  HWY_ALIGN float unit_value_buffer[kMaxLanes] = {};
  HWY_ALIGN float age_buffer[kMaxLanes] = {};
  std::memcpy(chapter_buffer, hs_chapter + i, remaining * sizeof(std::uint8_t));
  std::memcpy(origin_buffer, origin + i, remaining * sizeof(std::uint16_t));
  std::memcpy(office_buffer, office + i, remaining * sizeof(std::uint16_t));
  std::memcpy(unit_value_buffer, unit_value + i, remaining * sizeof(float));
  std::memcpy(age_buffer, trader_age_days + i, remaining * sizeof(float));
  ScoreRuleVector(du, table, hn::BitCast(di, hn::PromoteTo(du, hn::Load(du8, chapter_buffer))),
                  hn::BitCast(di, hn::PromoteTo(du, hn::Load(du16, origin_buffer))),
                  hn::BitCast(di, hn::PromoteTo(du, hn::Load(du16, office_buffer))),
                  hn::Load(df, unit_value_buffer), hn::Load(df, age_buffer), score_vector,
                  mask_vector);
  hn::BlendedStore(score_vector, hn::FirstN(df, remaining), df, score + i);
  hn::BlendedStore(mask_vector, hn::FirstN(du, remaining), du, hit_mask + i);
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
