// Highway translation unit of the rule-profile kernel: compiles risk_rules-inl.h once per SIMD
// target (foreach_target.h re-includes this file) and dispatches ScoreRules at run time to the best
// target the CPU supports. Also the TBB driver, ScoreRulesParallel.
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

// The per-target entry point the dispatch table points at: rows [begin, begin + count) of the
// columns. Spans are checked by the caller.
HWY_NOINLINE void ScoreRulesTarget(const RuleTable& table, const detail::RulePlan& plan,
                                   const RuleInputs& inputs, std::size_t begin, std::size_t count,
                                   float* HWY_RESTRICT score, std::uint64_t* HWY_RESTRICT hit_mask) {
  ScoreRulesSpan(table, plan, inputs.hs_chapter.data() + begin, inputs.origin.data() + begin,
                 inputs.office.data() + begin, inputs.unit_value.data() + begin,
                 inputs.trader_age_days.data() + begin, count, score + begin, hit_mask + begin);
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "parallel_chunks.h"

namespace crsim::kernels {

HWY_EXPORT(ScoreRulesTarget);

namespace {

// O(1) checks of the invariants the vector loop relies on; a mismatch is a caller bug.
void CheckRuleCall(const RuleTable& table, const RuleInputs& inputs, std::span<float> score,
                   std::span<std::uint64_t> hit_mask) {
  const std::size_t count = score.size();
  HWY_ASSERT(hit_mask.size() == count && inputs.hs_chapter.size() == count &&
             inputs.origin.size() == count && inputs.office.size() == count &&
             inputs.unit_value.size() == count && inputs.trader_age_days.size() == count);
  if (count == 0) return;
  HWY_ASSERT(table.num_rules <= kMaxRules && table.chapter_rules.size() == kChapterTableSize &&
             !table.origin_rules.empty() && !table.office_rules.empty() &&
             table.weight.size() == table.num_rules &&
             table.unit_value_min.size() == table.num_rules &&
             table.unit_value_max.size() == table.num_rules &&
             table.max_trader_age_days.size() == table.num_rules &&
             table.active_from_day.size() == table.num_rules &&
             table.active_until_day.size() == table.num_rules);
}

}  // namespace

void ScoreRules(const RuleTable& table, const RuleInputs& inputs, std::int64_t day,
                std::span<float> score, std::span<std::uint64_t> hit_mask) {
  CheckRuleCall(table, inputs, score, hit_mask);
  if (score.empty()) return;
  const detail::RulePlan plan = detail::MakeRulePlan(table, day);
  HWY_DYNAMIC_DISPATCH(ScoreRulesTarget)(table, plan, inputs, 0, score.size(), score.data(),
                                         hit_mask.data());
}

void ScoreRulesParallel(const RuleTable& table, const RuleInputs& inputs, std::int64_t day,
                        std::span<float> score, std::span<std::uint64_t> hit_mask,
                        std::size_t grain) {
  CheckRuleCall(table, inputs, score, hit_mask);
  HWY_ASSERT(grain > 0);
  if (score.empty()) return;
  // One plan for all chunks: it depends only on the table and the day.
  const detail::RulePlan plan = detail::MakeRulePlan(table, day);
  detail::ForEachChunkParallel(score.size(), grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(ScoreRulesTarget)(table, plan, inputs, begin, count, score.data(),
                                           hit_mask.data());
  });
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
