// Rule-profile risk kernel.
//
// What it computes: for every declaration i on a given day, the set of rules that match it (bit r
// of hit_mask[i] is set when rule r matches) and the weighted rule score, score[i] = sum of
// weight[r] over the matching rules, added in increasing rule order. A rule matches when it is
// active that day and every condition it has holds:
//   - HS chapter of the declared HS6 code is in the rule's chapter set (chapters 0..99);
//   - declared origin country index is in the rule's origin set;
//   - customs office index is in the rule's office set;
//   - declared unit value (EUR per unit of quantity) lies in [unit_value_min, unit_value_max);
//     a NaN unit value never satisfies a unit-value condition;
//   - trader age in days is <= max_trader_age_days; a NaN age never satisfies an age condition.
// A condition the rule does not have always holds (its set contains every index, its range is
// unbounded and NaN is not tested). A time-limited rule (a priority control action) is active on
// the days active_from_day <= day < active_until_day (start inclusive, end exclusive; an absent
// bound is unbounded); on any other day it matches nothing.
//
// How: the set conditions are transposed into per-value rule masks (chapter_rules[c] has bit r set
// when rule r accepts chapter c), so one table lookup per column gives all rules at once; the range
// conditions are one compare per rule; the day is folded, once per call, into a mask of the rules
// active that day (no per-declaration cost). The SIMD version (Highway, runtime dispatch) works on
// the 64-bit masks as two 32-bit halves (rules 0..31 and 32..63), so that mask lanes line up with
// the float lanes of the score; the high half is skipped entirely for rule sets of at most 32
// rules. The scalar reference does the same per declaration. Both add weights in the same order,
// so scores are bit-identical, not merely close.
//
// Limits: at most kMaxRules (64) rules, since hit masks are 64-bit. Preconditions (checked by the
// reference in debug builds, not by the SIMD kernel): hs_chapter[i] < kChapterTableSize,
// origin[i] < origin_rules.size(), office[i] < office_rules.size(). All input spans have the same
// length as score and hit_mask.
//
// Parallel drivers: ScoreRulesParallel runs the SIMD kernel over chunks of `grain` declarations in
// parallel with TBB (in the caller's task arena). The kernel is elementwise, so the result is
// identical, bit for bit, to ScoreRules for any thread count and grain.
//
// Usage:
//   RuleTable table = CompileRules(rules, /*num_origins=*/40, /*num_offices=*/12);
//   ScoreRules(table, inputs, day, score, hit_mask);          // fastest SIMD target of this CPU
//   ScoreRulesParallel(table, inputs, day, score, hit_mask);  // the same, on every TBB thread
//   ScoreRulesReference(table, inputs, day, score, hit_mask); // plain scalar reference
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "crsim/kernels/parallel.h"

namespace crsim::kernels {

inline constexpr std::size_t kMaxRules = 64;
inline constexpr std::size_t kChapterTableSize = 100;  // HS chapters are 01..97

// One rule as the user writes it. Empty sets mean "any"; absent bounds mean "unbounded".
struct RuleDefinition {
  std::string name;
  float weight = 1.0f;
  std::vector<std::uint8_t> hs_chapters;  // HS chapter numbers, 1..99
  std::vector<std::uint16_t> origins;     // country indices
  std::vector<std::uint16_t> offices;     // global office indices
  std::optional<float> unit_value_min;    // EUR per unit, inclusive
  std::optional<float> unit_value_max;    // EUR per unit, exclusive
  std::optional<float> max_trader_age_days;
  std::optional<std::int64_t> active_from_day;   // first day the rule is active, inclusive
  std::optional<std::int64_t> active_until_day;  // first day it is no longer active (exclusive)
};

// The compiled, lookup-table form of a rule set that both kernels read.
struct RuleTable {
  std::size_t num_rules = 0;
  std::vector<std::uint64_t> chapter_rules;  // [kChapterTableSize]
  std::vector<std::uint64_t> origin_rules;   // [num_origins]
  std::vector<std::uint64_t> office_rules;   // [num_offices]
  std::vector<float> unit_value_min;         // [num_rules], -inf when unbounded
  std::vector<float> unit_value_max;         // [num_rules], +inf when unbounded
  std::uint64_t unit_value_tested = 0;       // bit r: rule r has a unit-value condition
  std::vector<float> max_trader_age_days;    // [num_rules], +inf when unbounded
  std::uint64_t age_tested = 0;              // bit r: rule r has an age condition
  std::vector<std::int64_t> active_from_day;   // [num_rules], INT64_MIN when unbounded
  std::vector<std::int64_t> active_until_day;  // [num_rules], INT64_MAX when unbounded (no end)
  std::vector<float> weight;                 // [num_rules]
};

// Bit r set when rule r of `table` is active on `day`: active_from_day <= day < active_until_day,
// or active_from_day <= day when active_until_day is INT64_MAX (no end).
std::uint64_t ActiveRules(const RuleTable& table, std::int64_t day);

// Throws std::invalid_argument naming the rule when there are more than kMaxRules rules, an
// index is out of range, a bound is NaN, a range is empty or active_from_day >= active_until_day. (Scenario validation reports these earlier, with file positions.)
RuleTable CompileRules(std::span<const RuleDefinition> rules, std::size_t num_origins,
                       std::size_t num_offices);

// The declared columns the rule kernel reads.
struct RuleInputs {
  std::span<const std::uint8_t> hs_chapter;
  std::span<const std::uint16_t> origin;
  std::span<const std::uint16_t> office;
  std::span<const float> unit_value;
  std::span<const float> trader_age_days;
};

// SIMD version, dispatched at run time to the best target this CPU supports. `day` selects the
// time-limited rules that are active (see above).
void ScoreRules(const RuleTable& table, const RuleInputs& inputs, std::int64_t day,
                std::span<float> score, std::span<std::uint64_t> hit_mask);

// ScoreRules over chunks of `grain` (>= 1) declarations, chunk c = rows [c grain, (c+1) grain),
// run in parallel with tbb::parallel_for in the caller's task arena (wrap the call in a
// tbb::task_arena to limit the threads). Identical output to ScoreRules for any thread count and
// grain: every declaration is scored on its own.
void ScoreRulesParallel(const RuleTable& table, const RuleInputs& inputs, std::int64_t day,
                        std::span<float> score, std::span<std::uint64_t> hit_mask,
                        std::size_t grain = kDefaultParallelGrain);

// Plain scalar reference: the definition the SIMD version is tested against.
void ScoreRulesReference(const RuleTable& table, const RuleInputs& inputs, std::int64_t day,
                         std::span<float> score, std::span<std::uint64_t> hit_mask);

}  // namespace crsim::kernels
