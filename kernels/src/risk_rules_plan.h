// Per-call plan of the rule-profile kernel: what the SIMD loop has to do for one rule table on one
// day, prepared once per call (or once per parallel call) so the loop over declarations neither
// looks at inactive rules nor tests per rule whether it has a condition. No SIMD types here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crsim/kernels/risk_rules.h"

namespace crsim::kernels::detail {

// The SIMD kernel keeps the 64-bit rule masks as two 32-bit halves: half 0 holds rules 0..31,
// half 1 rules 32..63 (bit r - 32). Everything below is per half, in increasing rule order.
struct RuleHalfPlan {
  // One range condition of one active rule. Unit value: low <= v < high; age: v <= high.
  struct RangeTest {
    std::uint32_t bit;
    float low;
    float high;
  };
  // One active rule whose weight can change a score (weight != 0).
  struct WeightTerm {
    std::uint32_t bit;
    float weight;
  };
  std::uint32_t active = 0;  // rules active on the day of the call
  std::size_t num_unit_value_tests = 0;
  RangeTest unit_value_tests[32];
  std::size_t num_age_tests = 0;
  RangeTest age_tests[32];
  std::size_t num_weight_terms = 0;
  WeightTerm weight_terms[32];
};

struct RulePlan {
  RuleHalfPlan half[2];
  // Whether any active rule lives in half 1. When not, its mask is zero for every declaration and
  // the kernel skips its three gathers and every per-rule step of that half.
  bool uses_high_half() const { return half[1].active != 0; }
  bool any_active() const { return (half[0].active | half[1].active) != 0; }
};

// Skipping inactive rules and zero weights changes no result: an inactive rule's bit is cleared
// in every mask anyway, and adding +-0.0f to a running sum that starts at +0.0f never changes it.
inline RulePlan MakeRulePlan(const RuleTable& table, std::int64_t day) {
  RulePlan plan;
  const std::uint64_t active = ActiveRules(table, day);
  for (std::size_t rule = 0; rule < table.num_rules; ++rule) {
    const std::uint64_t bit64 = std::uint64_t{1} << rule;
    if ((active & bit64) == 0) continue;
    RuleHalfPlan& half = plan.half[rule / 32];
    const std::uint32_t bit = std::uint32_t{1} << (rule % 32);
    half.active |= bit;
    if (table.unit_value_tested & bit64) {
      half.unit_value_tests[half.num_unit_value_tests++] = {bit, table.unit_value_min[rule],
                                                            table.unit_value_max[rule]};
    }
    if (table.age_tested & bit64) {
      half.age_tests[half.num_age_tests++] = {bit, 0.0f, table.max_trader_age_days[rule]};
    }
    if (table.weight[rule] != 0.0f) {
      half.weight_terms[half.num_weight_terms++] = {bit, table.weight[rule]};
    }
  }
  return plan;
}

}  // namespace crsim::kernels::detail
