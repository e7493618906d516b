// Highway translation unit of the rule-profile kernel: compiles risk_rules-inl.h once per SIMD
// target (foreach_target.h re-includes this file) and dispatches ScoreRules at run time to the best
// target the CPU supports.
#include "crsim/kernels/risk_rules.h"

#include <cstddef>
#include <cstdint>
#include <span>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "risk_rules.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "risk_rules-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

// The per-target entry point the dispatch table points at. Spans are checked by the caller.
HWY_NOINLINE void ScoreRulesTarget(const RuleTable& table, const RuleInputs& inputs,
                                   std::span<float> score, std::span<std::uint32_t> hit_mask) {
  ScoreRulesSpan(table, inputs.hs_chapter.data(), inputs.origin.data(), inputs.office.data(),
                 inputs.unit_value.data(), inputs.trader_age_days.data(), score.size(),
                 score.data(), hit_mask.data());
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace crsim::kernels {

HWY_EXPORT(ScoreRulesTarget);

void ScoreRules(const RuleTable& table, const RuleInputs& inputs, std::span<float> score,
                std::span<std::uint32_t> hit_mask) {
  // O(1) checks of the invariants the vector loop relies on; a mismatch is a caller bug.
  const std::size_t count = score.size();
  HWY_ASSERT(hit_mask.size() == count && inputs.hs_chapter.size() == count &&
             inputs.origin.size() == count && inputs.office.size() == count &&
             inputs.unit_value.size() == count && inputs.trader_age_days.size() == count);
  if (count == 0) return;
  HWY_ASSERT(table.num_rules <= kMaxRules && table.chapter_rules.size() == kChapterTableSize &&
             table.weight.size() == table.num_rules &&
             table.unit_value_min.size() == table.num_rules &&
             table.unit_value_max.size() == table.num_rules &&
             table.max_trader_age_days.size() == table.num_rules);
  HWY_DYNAMIC_DISPATCH(ScoreRulesTarget)(table, inputs, score, hit_mask);
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
