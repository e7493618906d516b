// Rule-profile risk kernel.
//
// What it computes: for every declaration i, the set of rules that match it (bit r of hit_mask[i]
// is set when rule r matches) and the weighted rule score, score[i] = sum of weight[r] over the
// matching rules, added in increasing rule order. A rule matches when every condition it has holds:
//   - HS chapter of the declared HS6 code is in the rule's chapter set (chapters 0..99);
//   - declared origin country index is in the rule's origin set;
//   - customs office index is in the rule's office set;
//   - declared unit value (EUR per unit of quantity) lies in [unit_value_min, unit_value_max);
//     a NaN unit value never satisfies a unit-value condition;
//   - trader age in days is <= max_trader_age_days; a NaN age never satisfies an age condition.
// A condition the rule does not have always holds (its set contains every index, its range is
// unbounded and NaN is not tested).
//
// How: the set conditions are transposed into per-value rule masks (chapter_rules[c] has bit r set
// when rule r accepts chapter c), so one table lookup per column gives all rules at once; the range
// conditions are one compare per rule. The SIMD version (Highway, runtime dispatch) gathers the three
// masks for a whole vector of declarations and evaluates the range conditions lane-parallel; the
// scalar reference does the same per declaration. Both add weights in the same order, so scores are
// bit-identical, not merely close.
//
// Limits: at most kMaxRules (32) rules, since hit masks are 32-bit. Preconditions (checked by the
// reference in debug builds, not by the SIMD kernel): hs_chapter[i] < kChapterTableSize,
// origin[i] < origin_rules.size(), office[i] < office_rules.size(). All input spans have the same
// length as score and hit_mask.
//
// Usage:
//   RuleTable table = CompileRules(rules, /*num_origins=*/40, /*num_offices=*/12);
//   ScoreRules(table, inputs, score, hit_mask);          // fastest SIMD target of this CPU
//   ScoreRulesReference(table, inputs, score, hit_mask); // plain scalar reference
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace crsim::kernels {

inline constexpr std::size_t kMaxRules = 32;
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
};

// The compiled, lookup-table form of a rule set that both kernels read.
struct RuleTable {
  std::size_t num_rules = 0;
  std::vector<std::uint32_t> chapter_rules;  // [kChapterTableSize]
  std::vector<std::uint32_t> origin_rules;   // [num_origins]
  std::vector<std::uint32_t> office_rules;   // [num_offices]
  std::vector<float> unit_value_min;         // [num_rules], -inf when unbounded
  std::vector<float> unit_value_max;         // [num_rules], +inf when unbounded
  std::uint32_t unit_value_tested = 0;       // bit r: rule r has a unit-value condition
  std::vector<float> max_trader_age_days;    // [num_rules], +inf when unbounded
  std::uint32_t age_tested = 0;              // bit r: rule r has an age condition
  std::vector<float> weight;                 // [num_rules]
};

// Throws std::invalid_argument naming the rule when there are more than kMaxRules rules or an
// index is out of range. (Scenario validation reports these earlier, with file positions.)
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

// SIMD version, dispatched at run time to the best target this CPU supports.
void ScoreRules(const RuleTable& table, const RuleInputs& inputs, std::span<float> score,
                std::span<std::uint32_t> hit_mask);

// Plain scalar reference: the definition the SIMD version is tested against.
void ScoreRulesReference(const RuleTable& table, const RuleInputs& inputs, std::span<float> score,
                         std::span<std::uint32_t> hit_mask);

}  // namespace crsim::kernels
