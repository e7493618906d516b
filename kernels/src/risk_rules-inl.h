// Per-target SIMD code of the rule-profile kernel (see crsim/kernels/risk_rules.h for the spec).
//
// Masks as two 32-bit halves. A rule mask is 64 bits, the score a float. Keeping each mask as two
// u32 lanes (rules 0..31 in a "low" vector, rules 32..63 in a "high" vector) puts the mask of
// declaration i in the same lane as its score and its float columns, so every per-rule step is one
// lane-parallel op with no conversions; the two halves are only zipped into u64 on the store.
// The per-value tables (chapter_rules, ...) are u64; the kernel gathers their low and high 32-bit
// words directly (words 2v and 2v + 1 of entry v on this little-endian machine, the same cache
// line), so there is no second copy of the tables. When no rule of 32..63 is active on the day of
// the call (always the case with at most 32 rules), the high vector is zero and is neither gathered
// nor tested (see RulePlan::uses_high_half).
//
// Vector algorithm, one block of kVectors vectors of N declarations (N = lanes of u32: 16 on AVX3,
// 8 on AVX2, 4 on SSE4/SSSE3, 1 on SCALAR):
//   1. load chapters (u8), origins (u16), offices (u16), promote them to 32-bit lanes and gather
//      the low (and, if used, high) words of the three per-value rule masks; AND them with each
//      other and with the rules active today. This evaluates every set condition and the day of
//      every rule at once.
//   2. for each active rule r with a unit-value condition: clear bit r in the lanes where
//      !(unit_value >= min[r] && unit_value < max[r]) (NaN compares false, so NaN clears the bit);
//      same for the age condition (age <= max_age[r]).
//   3. score = 0; for each active rule r in increasing order: score = bit r set ? score + weight[r]
//      : score. This is the scalar reference's "if (mask & bit) sum += weight" lane by lane, so
//      scores are bit-identical (rules skipped by the plan add +-0 or have a zero bit: no change).
// Why blocks of several vectors: step 3 is a chain of dependent adds (3-4 cycles latency each) per
// vector; interleaving kVectors independent chains keeps the FP add pipes busy. The per-block
// loops over v are fully unrolled (HWY_UNROLL) so the block's vectors stay in registers. Measured
// on the target machine (Zen 4, AVX3), BM_RuleKernel/simd at 1M rows, one thread, 2026-11-28:
// 1 vector per block 240 M rows/s (32 rules) and 123 M/s (64 rules); 4 vectors 323 and 177 M/s.
// Step 2 is written as "keep the mask where the test holds, else AND it with ~bit" (a blend and
// an AND on AVX3, one op fewer than clearing via IfThenZeroElse + AndNot; no measurable change).
// Tail (count % (kVectors N) declarations): the inputs are copied into zero-filled stack buffers of
// one block and processed as above, the outputs written to stack buffers and copied out with
// memcpy. We do not use MaskedLoad on the inputs: in Highway 1.0.3 it is a full (aligned!) Load +
// blend on SSSE3/SSE4, and for 8/16-bit lanes also on AVX2, so it would read past the end of the
// spans (and fault on the misaligned starts the kernel must accept). Zero padding keeps the
// gathered indices of the unused lanes at 0, inside every table.
//
// Include guard for per-target code: re-included once per target by foreach_target.h.
#if defined(CRSIM_KERNELS_RISK_RULES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_RISK_RULES_INL_H_
#undef CRSIM_KERNELS_RISK_RULES_INL_H_
#else
#define CRSIM_KERNELS_RISK_RULES_INL_H_
#endif

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

#include "crsim/kernels/risk_rules.h"
#include "risk_rules_plan.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

static_assert(std::endian::native == std::endian::little,
              "the kernel reads the low word of a u64 table entry v at u32 index 2v");

// Vectors per block: 4 where there are 32 vector registers (AVX3), else 2 (16 registers on AVX2 and
// SSE4; 4 would spill there). SCALAR: 4 independent rows.
#if HWY_TARGET <= HWY_AVX3 || HWY_TARGET == HWY_SCALAR
inline constexpr std::size_t kRuleBlockVectors = 4;
#else
inline constexpr std::size_t kRuleBlockVectors = 2;
#endif

// The u64 rule tables viewed as u32 words: entry v is words 2v (rules 0..31) and 2v+1 (32..63).
struct RuleWordTables {
  const std::uint32_t* chapter;
  const std::uint32_t* origin;
  const std::uint32_t* office;
};

// Stores the masks of one vector of declarations (low and high halves, N u32 lanes each) as N u64.
// On targets with several 128-bit blocks, ZipLower/ZipUpper interleave within each block, so the
// 64-bit pairs of the halves are first reordered (pair j of block b moves to pair b of block j)
// with `pair_order`, which makes the two zips come out in declaration order.
template <class DU, class Indices>
HWY_INLINE void StoreMaskHalves(DU du, hn::Vec<DU> low, hn::Vec<DU> high, const Indices& pair_order,
                                std::uint64_t* HWY_RESTRICT out) {
#if HWY_TARGET == HWY_SCALAR
  (void)du;
  (void)pair_order;
  const hn::Sisd<std::uint64_t> d64;
  hn::StoreU(hn::ZipLower(low, high), d64, out);
#else
  const hn::RepartitionToWide<DU> d64;
  const std::size_t lanes64 = hn::Lanes(d64);
  if (lanes64 > 2) {  // more than one 128-bit block (AVX2, AVX3)
    low = hn::BitCast(du, hn::TableLookupLanes(hn::BitCast(d64, low), pair_order));
    high = hn::BitCast(du, hn::TableLookupLanes(hn::BitCast(d64, high), pair_order));
  }
  hn::StoreU(hn::ZipLower(d64, low, high), d64, out);
  hn::StoreU(hn::ZipUpper(d64, low, high), d64, out + lanes64);
#endif
}

// Scores one block of kRuleBlockVectors * Lanes(du) declarations starting at the given column
// pointers (any alignment) and writes the same number of scores and masks.
template <bool kHighHalf, class Indices>
HWY_INLINE void ScoreRuleBlock(const detail::RulePlan& plan, const RuleWordTables& words,
                               const Indices& pair_order, const std::uint8_t* HWY_RESTRICT hs_chapter,
                               const std::uint16_t* HWY_RESTRICT origin,
                               const std::uint16_t* HWY_RESTRICT office,
                               const float* HWY_RESTRICT unit_value,
                               const float* HWY_RESTRICT trader_age_days, float* HWY_RESTRICT score,
                               std::uint64_t* HWY_RESTRICT hit_mask) {
  constexpr std::size_t kVectors = kRuleBlockVectors;
  const hn::ScalableTag<std::uint32_t> du;
  const hn::RebindToSigned<decltype(du)> di;
  const hn::RebindToFloat<decltype(du)> df;
  const hn::Rebind<std::uint8_t, decltype(du)> du8;
  const hn::Rebind<std::uint16_t, decltype(du)> du16;
  using VU = hn::Vec<decltype(du)>;
  using VF = hn::Vec<decltype(df)>;
  const std::size_t lanes = hn::Lanes(du);

  // 1. Set conditions and the day: gathers of the table words, indices doubled (see file comment).
  //    u8/u16 -> u32 zero-extends; indices < 2^16 so the signed view is the same value.
  VU low[kVectors];
  VU high[kVectors];
  VF values[kVectors];
  VF ages[kVectors];
  const VU active_low = hn::Set(du, plan.half[0].active);
  const VU active_high = hn::Set(du, plan.half[1].active);
  const auto one = hn::Set(di, 1);
  HWY_UNROLL(kRuleBlockVectors)
  for (std::size_t v = 0; v < kVectors; ++v) {
    const std::size_t row = v * lanes;
    const auto chapter = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du8, hs_chapter + row)));
    const auto origin_index = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du16, origin + row)));
    const auto office_index = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(du16, office + row)));
    const auto chapter_word = hn::Add(chapter, chapter);
    const auto origin_word = hn::Add(origin_index, origin_index);
    const auto office_word = hn::Add(office_index, office_index);
    low[v] = hn::And(hn::And(hn::GatherIndex(du, words.chapter, chapter_word),
                             hn::GatherIndex(du, words.origin, origin_word)),
                     hn::And(hn::GatherIndex(du, words.office, office_word), active_low));
    if constexpr (kHighHalf) {
      high[v] = hn::And(hn::And(hn::GatherIndex(du, words.chapter, hn::Add(chapter_word, one)),
                                hn::GatherIndex(du, words.origin, hn::Add(origin_word, one))),
                        hn::And(hn::GatherIndex(du, words.office, hn::Add(office_word, one)),
                                active_high));
    } else {
      high[v] = hn::Zero(du);
    }
    values[v] = hn::LoadU(df, unit_value + row);
    ages[v] = hn::LoadU(df, trader_age_days + row);
  }

  // 2. Range conditions of the active rules that have them.
  const auto apply_range_tests = [&](const detail::RuleHalfPlan& half, VU(&masks)[kVectors]) {
    for (std::size_t t = 0; t < half.num_unit_value_tests; ++t) {
      const detail::RuleHalfPlan::RangeTest& test = half.unit_value_tests[t];
      const VF low_bound = hn::Set(df, test.low);
      const VF high_bound = hn::Set(df, test.high);
      const VU clear_bit = hn::Set(du, ~test.bit);
      HWY_UNROLL(kRuleBlockVectors)
      for (std::size_t v = 0; v < kVectors; ++v) {
        const auto inside = hn::And(hn::Ge(values[v], low_bound), hn::Lt(values[v], high_bound));
        masks[v] = hn::IfThenElse(hn::RebindMask(du, inside), masks[v], hn::And(masks[v], clear_bit));
      }
    }
    for (std::size_t t = 0; t < half.num_age_tests; ++t) {
      const detail::RuleHalfPlan::RangeTest& test = half.age_tests[t];
      const VF max_age = hn::Set(df, test.high);
      const VU clear_bit = hn::Set(du, ~test.bit);
      HWY_UNROLL(kRuleBlockVectors)
      for (std::size_t v = 0; v < kVectors; ++v) {
        const auto young = hn::Le(ages[v], max_age);
        masks[v] = hn::IfThenElse(hn::RebindMask(du, young), masks[v], hn::And(masks[v], clear_bit));
      }
    }
  };
  apply_range_tests(plan.half[0], low);
  if constexpr (kHighHalf) apply_range_tests(plan.half[1], high);

  // 3. Weighted score, rules in increasing order (low half first), kVectors chains interleaved.
  VF sums[kVectors];
  HWY_UNROLL(kRuleBlockVectors)
  for (std::size_t v = 0; v < kVectors; ++v) sums[v] = hn::Zero(df);
  const auto add_weights = [&](const detail::RuleHalfPlan& half, const VU(&masks)[kVectors]) {
    for (std::size_t t = 0; t < half.num_weight_terms; ++t) {
      const VF weight = hn::Set(df, half.weight_terms[t].weight);
      const VU bit = hn::Set(du, half.weight_terms[t].bit);
      HWY_UNROLL(kRuleBlockVectors)
      for (std::size_t v = 0; v < kVectors; ++v) {
        const auto matches = hn::RebindMask(df, hn::TestBit(masks[v], bit));
        sums[v] = hn::IfThenElse(matches, hn::Add(sums[v], weight), sums[v]);
      }
    }
  };
  add_weights(plan.half[0], low);
  if constexpr (kHighHalf) add_weights(plan.half[1], high);

  HWY_UNROLL(kRuleBlockVectors)
  for (std::size_t v = 0; v < kVectors; ++v) {
    hn::StoreU(sums[v], df, score + v * lanes);
    StoreMaskHalves(du, low[v], high[v], pair_order, hit_mask + v * lanes);
  }
}

// Scores `count` declarations. Column pointers may be misaligned; outputs are written for exactly
// `count` elements.
template <bool kHighHalf>
HWY_INLINE void ScoreRulesSpanHalves(const detail::RulePlan& plan, const RuleWordTables& words,
                                     const std::uint8_t* HWY_RESTRICT hs_chapter,
                                     const std::uint16_t* HWY_RESTRICT origin,
                                     const std::uint16_t* HWY_RESTRICT office,
                                     const float* HWY_RESTRICT unit_value,
                                     const float* HWY_RESTRICT trader_age_days, std::size_t count,
                                     float* HWY_RESTRICT score,
                                     std::uint64_t* HWY_RESTRICT hit_mask) {
  const hn::ScalableTag<std::uint32_t> du;
  const std::size_t block = kRuleBlockVectors * hn::Lanes(du);

  // pair_order (see StoreMaskHalves): u64 lane 2j takes lane j, lane 2j+1 takes lane P/2 + j.
#if HWY_TARGET == HWY_SCALAR
  const int pair_order = 0;
#else
  const hn::RepartitionToWide<decltype(du)> d64;
  const std::size_t lanes64 = hn::Lanes(d64);
  HWY_ALIGN std::int64_t order[HWY_MAX_BYTES / sizeof(std::uint64_t)];
  for (std::size_t j = 0; j < lanes64 / 2; ++j) {
    order[2 * j] = static_cast<std::int64_t>(j);
    order[2 * j + 1] = static_cast<std::int64_t>(lanes64 / 2 + j);
  }
  const auto pair_order = hn::SetTableIndices(d64, order);
#endif

  std::size_t i = 0;
  if (count >= block) {
    for (; i <= count - block; i += block) {
      ScoreRuleBlock<kHighHalf>(plan, words, pair_order, hs_chapter + i, origin + i, office + i,
                                unit_value + i, trader_age_days + i, score + i, hit_mask + i);
    }
  }

  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  // Tail: one block from zero-padded copies (see the file comment for why not MaskedLoad).
  constexpr std::size_t kMaxBlock = kRuleBlockVectors * HWY_MAX_BYTES / sizeof(std::uint32_t);
  HWY_ALIGN std::uint8_t chapter_buffer[kMaxBlock] = {};
  HWY_ALIGN std::uint16_t origin_buffer[kMaxBlock] = {};
  HWY_ALIGN std::uint16_t office_buffer[kMaxBlock] = {};
  HWY_ALIGN float unit_value_buffer[kMaxBlock] = {};
  HWY_ALIGN float age_buffer[kMaxBlock] = {};
  HWY_ALIGN float score_buffer[kMaxBlock];
  HWY_ALIGN std::uint64_t mask_buffer[kMaxBlock];
  std::memcpy(chapter_buffer, hs_chapter + i, remaining * sizeof(std::uint8_t));
  std::memcpy(origin_buffer, origin + i, remaining * sizeof(std::uint16_t));
  std::memcpy(office_buffer, office + i, remaining * sizeof(std::uint16_t));
  std::memcpy(unit_value_buffer, unit_value + i, remaining * sizeof(float));
  std::memcpy(age_buffer, trader_age_days + i, remaining * sizeof(float));
  ScoreRuleBlock<kHighHalf>(plan, words, pair_order, chapter_buffer, origin_buffer, office_buffer,
                            unit_value_buffer, age_buffer, score_buffer, mask_buffer);
  std::memcpy(score + i, score_buffer, remaining * sizeof(float));
  std::memcpy(hit_mask + i, mask_buffer, remaining * sizeof(std::uint64_t));
}

// Scores `count` declarations with the plan of one call; picks the variant with or without the
// high half.
HWY_INLINE void ScoreRulesSpan(const RuleTable& table, const detail::RulePlan& plan,
                               const std::uint8_t* HWY_RESTRICT hs_chapter,
                               const std::uint16_t* HWY_RESTRICT origin,
                               const std::uint16_t* HWY_RESTRICT office,
                               const float* HWY_RESTRICT unit_value,
                               const float* HWY_RESTRICT trader_age_days, std::size_t count,
                               float* HWY_RESTRICT score, std::uint64_t* HWY_RESTRICT hit_mask) {
  if (count == 0) return;
  if (!plan.any_active()) {  // no rule applies today: nothing matches, every score is +0
    std::fill(score, score + count, 0.0f);
    std::fill(hit_mask, hit_mask + count, std::uint64_t{0});
    return;
  }
  const RuleWordTables words{reinterpret_cast<const std::uint32_t*>(table.chapter_rules.data()),
                             reinterpret_cast<const std::uint32_t*>(table.origin_rules.data()),
                             reinterpret_cast<const std::uint32_t*>(table.office_rules.data())};
  if (plan.uses_high_half()) {
    ScoreRulesSpanHalves<true>(plan, words, hs_chapter, origin, office, unit_value,
                               trader_age_days, count, score, hit_mask);
  } else {
    ScoreRulesSpanHalves<false>(plan, words, hs_chapter, origin, office, unit_value,
                                trader_age_days, count, score, hit_mask);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
