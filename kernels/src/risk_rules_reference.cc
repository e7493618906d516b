// Rule compilation and the plain scalar reference of the rule-profile kernel (spec in
// crsim/kernels/risk_rules.h). The reference is the definition the SIMD kernel is tested against,
// so it is written for clarity, declaration by declaration.
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>

#include "crsim/kernels/risk_rules.h"

// Broken caller invariant (mismatched span lengths): abort loudly with file and line.
#define CRSIM_RULES_CHECK(condition)                                                     \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

namespace crsim::kernels {
namespace {

[[noreturn]] void ThrowRuleError(std::size_t index, const RuleDefinition& rule,
                                 const std::string& problem) {
  throw std::invalid_argument("rule " + std::to_string(index) + " \"" + rule.name +
                              "\": " + problem);
}

// Sets bit `bit` in table[v] for every listed value, or in every entry when the list is empty
// ("any"). Values are validated by the caller.
template <class Value>
void MarkAccepted(std::vector<std::uint64_t>& table, const std::vector<Value>& accepted,
                  std::uint64_t bit) {
  if (accepted.empty()) {
    for (std::uint64_t& entry : table) entry |= bit;
    return;
  }
  for (const Value value : accepted) table[value] |= bit;
}

// Whether rule `rule` is active on `day`. INT64_MAX as the end means "no end", so that a rule
// without an end is active on every day, INT64_MAX included.
bool ActiveOn(const RuleTable& table, std::size_t rule, std::int64_t day) {
  const std::int64_t until = table.active_until_day[rule];
  return table.active_from_day[rule] <= day &&
         (day < until || until == std::numeric_limits<std::int64_t>::max());
}

}  // namespace

RuleTable CompileRules(std::span<const RuleDefinition> rules, std::size_t num_origins,
                       std::size_t num_offices) {
  if (rules.size() > kMaxRules) {
    const RuleDefinition& first_extra = rules[kMaxRules];
    ThrowRuleError(kMaxRules, first_extra,
                   "too many rules: " + std::to_string(rules.size()) + " given, at most " +
                       std::to_string(kMaxRules) + " (hit masks are 64-bit)");
  }
  constexpr float kInfinity = std::numeric_limits<float>::infinity();
  RuleTable table;
  table.num_rules = rules.size();
  table.chapter_rules.assign(kChapterTableSize, 0);
  table.origin_rules.assign(num_origins, 0);
  table.office_rules.assign(num_offices, 0);
  table.unit_value_min.assign(rules.size(), -kInfinity);
  table.unit_value_max.assign(rules.size(), kInfinity);
  table.max_trader_age_days.assign(rules.size(), kInfinity);
  table.active_from_day.assign(rules.size(), std::numeric_limits<std::int64_t>::min());
  table.active_until_day.assign(rules.size(), std::numeric_limits<std::int64_t>::max());
  table.weight.assign(rules.size(), 0.0f);

  for (std::size_t index = 0; index < rules.size(); ++index) {
    const RuleDefinition& rule = rules[index];
    const std::uint64_t bit = std::uint64_t{1} << index;
    for (const std::uint8_t chapter : rule.hs_chapters) {
      if (chapter < 1 || chapter > 99) {
        ThrowRuleError(index, rule, "HS chapter " + std::to_string(chapter) + " not in 1..99");
      }
    }
    for (const std::uint16_t origin : rule.origins) {
      if (origin >= num_origins) {
        ThrowRuleError(index, rule,
                       "origin index " + std::to_string(origin) + " out of range (" +
                           std::to_string(num_origins) + " origins)");
      }
    }
    for (const std::uint16_t office : rule.offices) {
      if (office >= num_offices) {
        ThrowRuleError(index, rule,
                       "office index " + std::to_string(office) + " out of range (" +
                           std::to_string(num_offices) + " offices)");
      }
    }
    // NaN bounds would silently disable a rule: reject them with the other range errors.
    if ((rule.unit_value_min && std::isnan(*rule.unit_value_min)) ||
        (rule.unit_value_max && std::isnan(*rule.unit_value_max))) {
      ThrowRuleError(index, rule, "unit value bound is NaN");
    }
    if (rule.unit_value_min && rule.unit_value_max &&
        !(*rule.unit_value_min < *rule.unit_value_max)) {
      ThrowRuleError(index, rule,
                     "unit value range is empty: min " + std::to_string(*rule.unit_value_min) +
                         " >= max " + std::to_string(*rule.unit_value_max));
    }
    if (rule.max_trader_age_days && std::isnan(*rule.max_trader_age_days)) {
      ThrowRuleError(index, rule, "max trader age is NaN");
    }
    if (std::isnan(rule.weight)) ThrowRuleError(index, rule, "weight is NaN");
    if (rule.active_from_day && rule.active_until_day &&
        !(*rule.active_from_day < *rule.active_until_day)) {
      ThrowRuleError(index, rule,
                     "active period is empty: active_from_day " +
                         std::to_string(*rule.active_from_day) + " >= active_until_day " +
                         std::to_string(*rule.active_until_day));
    }

    MarkAccepted(table.chapter_rules, rule.hs_chapters, bit);
    MarkAccepted(table.origin_rules, rule.origins, bit);
    MarkAccepted(table.office_rules, rule.offices, bit);
    if (rule.unit_value_min || rule.unit_value_max) {
      table.unit_value_tested |= bit;
      if (rule.unit_value_min) table.unit_value_min[index] = *rule.unit_value_min;
      if (rule.unit_value_max) table.unit_value_max[index] = *rule.unit_value_max;
    }
    if (rule.max_trader_age_days) {
      table.age_tested |= bit;
      table.max_trader_age_days[index] = *rule.max_trader_age_days;
    }
    if (rule.active_from_day) table.active_from_day[index] = *rule.active_from_day;
    if (rule.active_until_day) table.active_until_day[index] = *rule.active_until_day;
    table.weight[index] = rule.weight;
  }
  return table;
}

std::uint64_t ActiveRules(const RuleTable& table, std::int64_t day) {
  CRSIM_RULES_CHECK(table.num_rules <= kMaxRules &&
                    table.active_from_day.size() == table.num_rules &&
                    table.active_until_day.size() == table.num_rules);
  std::uint64_t active = 0;
  for (std::size_t rule = 0; rule < table.num_rules; ++rule) {
    if (ActiveOn(table, rule, day)) {
      active |= std::uint64_t{1} << rule;
    }
  }
  return active;
}

void ScoreRulesReference(const RuleTable& table, const RuleInputs& inputs, std::int64_t day,
                         std::span<float> score, std::span<std::uint64_t> hit_mask) {
  const std::size_t count = score.size();
  CRSIM_RULES_CHECK(hit_mask.size() == count && inputs.hs_chapter.size() == count &&
                    inputs.origin.size() == count && inputs.office.size() == count &&
                    inputs.unit_value.size() == count && inputs.trader_age_days.size() == count);
  CRSIM_RULES_CHECK(table.num_rules <= kMaxRules &&
                    table.active_from_day.size() == table.num_rules &&
                    table.active_until_day.size() == table.num_rules);
  for (std::size_t i = 0; i < count; ++i) {
    assert(inputs.hs_chapter[i] < kChapterTableSize);
    assert(inputs.origin[i] < table.origin_rules.size());
    assert(inputs.office[i] < table.office_rules.size());
    const float unit_value = inputs.unit_value[i];
    const float age = inputs.trader_age_days[i];
    std::uint64_t mask = table.chapter_rules[inputs.hs_chapter[i]] &
                         table.origin_rules[inputs.origin[i]] &
                         table.office_rules[inputs.office[i]];
    float sum = 0.0f;
    for (std::size_t rule = 0; rule < table.num_rules; ++rule) {
      const std::uint64_t bit = std::uint64_t{1} << rule;
      const bool active = ActiveOn(table, rule, day);
      // Written as "fails" tests so that NaN (every comparison false) fails the condition.
      const bool unit_value_fails =
          (table.unit_value_tested & bit) &&
          !(unit_value >= table.unit_value_min[rule] && unit_value < table.unit_value_max[rule]);
      const bool age_fails = (table.age_tested & bit) && !(age <= table.max_trader_age_days[rule]);
      if (!active || unit_value_fails || age_fails) mask &= ~bit;
      if (mask & bit) sum += table.weight[rule];  // increasing rule order, as the SIMD kernel
    }
    score[i] = sum;
    hit_mask[i] = mask;
  }
}

}  // namespace crsim::kernels
