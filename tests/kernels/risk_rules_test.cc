// Tests of the rule-profile kernel: the SIMD kernel (every compiled and supported Highway target)
// against the scalar reference, bit for bit, on up to 64 rules and on days that switch
// time-limited rules on and off; the TBB driver against the single-threaded kernel across thread
// counts and grains; hand-computed cases and CompileRules errors.
#include "kernel_test_support.h"
#include "crsim/kernels/risk_rules.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace crsim::kernels {
namespace {

using testing::Bits;
using testing::ForEachTarget;
using testing::kBigSize;
using testing::kMaxSweepSize;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr std::size_t kNumOrigins = 40;
constexpr std::size_t kNumOffices = 20;
// 3 vectors of the widest target (16 u32 lanes on AVX3) + 1: every tail length on every target.
constexpr std::uint32_t kSentinel = 0xDEADBEEFu;
constexpr std::uint64_t kMaskSentinel = 0xDEADBEEFDEADBEEFull;
// The random rules' active periods lie within days 0..20; the tests run every day from -1 to 21,
// so they see the first and last day of every period and days before and after all of them.
constexpr std::int64_t kRandomPeriodDays = 20;
constexpr std::int64_t kFirstTestDay = -1;
constexpr std::int64_t kLastTestDay = kRandomPeriodDays + 1;

// Columns of `capacity` declarations; the kernels read a window [offset, offset + size).
struct Columns {
  std::vector<std::uint8_t> hs_chapter;
  std::vector<std::uint16_t> origin;
  std::vector<std::uint16_t> office;
  std::vector<float> unit_value;
  std::vector<float> trader_age_days;

  RuleInputs Window(std::size_t offset, std::size_t size) const {
    return RuleInputs{
        std::span(hs_chapter).subspan(offset, size), std::span(origin).subspan(offset, size),
        std::span(office).subspan(offset, size), std::span(unit_value).subspan(offset, size),
        std::span(trader_age_days).subspan(offset, size)};
  }
};

// Values that sit on the rule bounds appear often, so inclusive/exclusive ends are exercised.
constexpr float kBoundValues[] = {0.5f, 1.0f, 5.0f, 12.5f, 100.0f, 1000.0f};
constexpr float kAgeBounds[] = {30.0f, 90.0f, 365.0f};

Columns RandomColumns(std::size_t capacity, std::mt19937& rng) {
  std::uniform_int_distribution<int> chapter(0, static_cast<int>(kChapterTableSize) - 1);
  std::uniform_int_distribution<int> origin(0, kNumOrigins - 1);
  std::uniform_int_distribution<int> office(0, kNumOffices - 1);
  std::uniform_int_distribution<int> kind(0, 19);
  std::uniform_real_distribution<float> log_unit_value(-3.0f, 8.0f);
  std::uniform_real_distribution<float> age(0.0f, 1000.0f);
  std::uniform_int_distribution<std::size_t> pick(0, 5);
  Columns columns;
  for (std::size_t i = 0; i < capacity; ++i) {
    columns.hs_chapter.push_back(static_cast<std::uint8_t>(chapter(rng)));
    columns.origin.push_back(static_cast<std::uint16_t>(origin(rng)));
    columns.office.push_back(static_cast<std::uint16_t>(office(rng)));
    float unit_value = std::exp(log_unit_value(rng));
    switch (kind(rng)) {
      case 0:
        unit_value = kNaN;
        break;
      case 1:
        unit_value = 0.0f;
        break;
      case 2:
        unit_value = -unit_value;
        break;
      case 3:
        unit_value = kInfinity;
        break;
      case 4:
      case 5:
        unit_value = kBoundValues[pick(rng)];
        break;
      default:
        break;
    }
    columns.unit_value.push_back(unit_value);
    float trader_age = std::floor(age(rng));
    switch (kind(rng)) {
      case 0:
        trader_age = kNaN;
        break;
      case 1:
      case 2:
        trader_age = kAgeBounds[pick(rng) % 3];
        break;
      default:
        break;
    }
    columns.trader_age_days.push_back(trader_age);
  }
  return columns;
}

// `count` rules, each condition present or absent at random; weights with many significant bits,
// so a different summation order would show in the low bits.
std::vector<RuleDefinition> RandomRules(std::size_t count, std::mt19937& rng) {
  std::bernoulli_distribution coin(0.5);
  std::uniform_int_distribution<int> chapter(1, 99);
  std::uniform_int_distribution<int> origin(0, kNumOrigins - 1);
  std::uniform_int_distribution<int> office(0, kNumOffices - 1);
  std::uniform_int_distribution<int> set_size(1, 30);
  std::uniform_real_distribution<float> weight(-1.0f, 3.0f);
  std::uniform_int_distribution<std::size_t> pick(0, 5);
  std::vector<RuleDefinition> rules(count);
  for (std::size_t r = 0; r < count; ++r) {
    RuleDefinition& rule = rules[r];
    rule.name = "random_rule_" + std::to_string(r);
    rule.weight = weight(rng);
    if (coin(rng)) {
      for (int k = set_size(rng); k > 0; --k)
        rule.hs_chapters.push_back(static_cast<std::uint8_t>(chapter(rng)));
    }
    if (coin(rng)) {
      for (int k = set_size(rng); k > 0; --k)
        rule.origins.push_back(static_cast<std::uint16_t>(origin(rng)));
    }
    if (coin(rng)) {
      for (int k = set_size(rng) / 3 + 1; k > 0; --k)
        rule.offices.push_back(static_cast<std::uint16_t>(office(rng)));
    }
    const float low = kBoundValues[pick(rng) % 3];
    const float high = kBoundValues[3 + pick(rng) % 3];
    if (coin(rng)) rule.unit_value_min = low;
    if (coin(rng)) rule.unit_value_max = high;
    if (coin(rng)) rule.max_trader_age_days = kAgeBounds[pick(rng) % 3];
    // Half the rules are time-limited: from only, until only, or both (from < until).
    std::uniform_int_distribution<std::int64_t> day(0, kRandomPeriodDays - 1);
    if (coin(rng)) {
      const std::int64_t from = day(rng);
      const std::int64_t until = from + 1 + day(rng) % (kRandomPeriodDays - from);
      switch (pick(rng) % 3) {
        case 0:
          rule.active_from_day = from;
          break;
        case 1:
          rule.active_until_day = until;
          break;
        default:
          rule.active_from_day = from;
          rule.active_until_day = until;
          break;
      }
    }
  }
  return rules;
}

// Runs both kernels on the window [offset, offset + size) and requires identical bits. Output
// windows sit inside sentinel-filled buffers to catch writes outside [0, size).
void ExpectSimdMatchesReference(const RuleTable& table, const Columns& columns, std::size_t offset,
                                std::size_t size, std::int64_t day) {
  SCOPED_TRACE("offset " + std::to_string(offset) + " size " + std::to_string(size) + " day " +
               std::to_string(day));
  const RuleInputs inputs = columns.Window(offset, size);
  std::vector<float> reference_score(size);
  std::vector<std::uint64_t> reference_mask(size);
  ScoreRulesReference(table, inputs, day, reference_score, reference_mask);

  constexpr std::size_t kGuard = 20;
  float sentinel_float;
  std::memcpy(&sentinel_float, &kSentinel, sizeof sentinel_float);
  std::vector<float> score(offset + size + kGuard, sentinel_float);
  std::vector<std::uint64_t> mask(offset + size + kGuard, kMaskSentinel);
  ScoreRules(table, inputs, day, std::span(score).subspan(offset, size),
             std::span(mask).subspan(offset, size));

  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (Bits(score[offset + i]) != Bits(reference_score[i]) ||
        mask[offset + i] != reference_mask[i]) {
      if (++mismatches <= 3) {
        ADD_FAILURE() << "row " << i << ": simd score " << score[offset + i] << " mask "
                      << mask[offset + i] << ", reference score " << reference_score[i] << " mask "
                      << reference_mask[i];
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  for (std::size_t i = 0; i < score.size(); ++i) {
    if (i >= offset && i < offset + size) continue;
    ASSERT_EQ(Bits(score[i]), kSentinel) << "score written outside the window at " << i;
    ASSERT_EQ(mask[i], kMaskSentinel) << "mask written outside the window at " << i;
  }
}

// Every kind of condition and of active period appears among the rules with index >= `first`.
void ExpectEveryConditionKindFrom(const std::vector<RuleDefinition>& rules, std::size_t first) {
  bool chapters = false, origins = false, offices = false, min = false, max = false, age = false;
  bool from_only = false, until_only = false, both = false, unlimited = false;
  for (std::size_t r = first; r < rules.size(); ++r) {
    const RuleDefinition& rule = rules[r];
    chapters |= !rule.hs_chapters.empty();
    origins |= !rule.origins.empty();
    offices |= !rule.offices.empty();
    min |= rule.unit_value_min.has_value();
    max |= rule.unit_value_max.has_value();
    age |= rule.max_trader_age_days.has_value();
    from_only |= rule.active_from_day && !rule.active_until_day;
    until_only |= !rule.active_from_day && rule.active_until_day;
    both |= rule.active_from_day && rule.active_until_day;
    unlimited |= !rule.active_from_day && !rule.active_until_day;
  }
  EXPECT_TRUE(chapters && origins && offices && min && max && age);
  EXPECT_TRUE(from_only && until_only && both && unlimited);
}

class RuleKernelRandomTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RuleKernelRandomTest, SimdMatchesReferenceBitForBitOnEveryTarget) {
  const std::size_t num_rules = GetParam();
  std::mt19937 rng(12345u + static_cast<unsigned>(num_rules));
  const std::vector<RuleDefinition> rules = RandomRules(num_rules, rng);
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  const Columns columns = RandomColumns(kBigSize + 3, rng);
  if (num_rules == kMaxRules) ExpectEveryConditionKindFrom(rules, 32);

  // The random data must actually exercise the kernel: some rows match a rule, and rows differ;
  // with more than 32 rules, some rows match a rule of 32..63, and on some day a rule of 32..63 is
  // active while on another the set of active rules differs.
  if (num_rules > 0) {
    std::vector<float> score(kBigSize);
    std::vector<std::uint64_t> mask(kBigSize);
    std::size_t matched = 0;
    std::size_t matched_high = 0;
    std::size_t differs_from_first = 0;
    for (std::int64_t day = kFirstTestDay; day <= kLastTestDay; ++day) {
      ScoreRulesReference(table, columns.Window(0, kBigSize), day, score, mask);
      for (const std::uint64_t m : mask) {
        matched += m != 0;
        matched_high += (m >> 32) != 0;
        differs_from_first += m != mask[0];
      }
    }
    EXPECT_GT(matched, 0u);
    EXPECT_GT(differs_from_first, 0u);
    if (num_rules > 32) {
      EXPECT_GT(matched_high, 0u);
    }
    std::size_t distinct_active_sets = 0;
    for (std::int64_t day = kFirstTestDay; day <= kLastTestDay; ++day) {
      distinct_active_sets += ActiveRules(table, day) != ActiveRules(table, kFirstTestDay);
    }
    if (num_rules >= 10) {
      EXPECT_GT(distinct_active_sets, 0u);
    }
  }

  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) {
        ExpectSimdMatchesReference(table, columns, offset, size, /*day=*/7);
      }
    }
    for (std::int64_t day = kFirstTestDay; day <= kLastTestDay; ++day) {
      // Aligned and misaligned starts, alternating with the day.
      ExpectSimdMatchesReference(table, columns, static_cast<std::size_t>(day + 1) % 4, kBigSize,
                                 day);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(RuleCounts, RuleKernelRandomTest,
                         ::testing::Values(0, 1, 3, 10, 31, 32, 33, 63, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& rule_count) {
                           return "rules" + std::to_string(rule_count.param);
                         });

// One declaration through both kernels on every target; returns the reference result after checking
// that every target agrees with it.
struct RowResult {
  float score;
  std::uint64_t mask;
};

RowResult ScoreOne(const RuleTable& table, std::uint8_t chapter, std::uint16_t origin,
                   std::uint16_t office, float unit_value, float age, std::int64_t day = 0) {
  const RuleInputs inputs{std::span(&chapter, 1), std::span(&origin, 1), std::span(&office, 1),
                          std::span(&unit_value, 1), std::span(&age, 1)};
  RowResult reference{};
  ScoreRulesReference(table, inputs, day, std::span(&reference.score, 1),
                      std::span(&reference.mask, 1));
  ForEachTarget([&] {
    RowResult simd{};
    ScoreRules(table, inputs, day, std::span(&simd.score, 1), std::span(&simd.mask, 1));
    EXPECT_EQ(Bits(simd.score), Bits(reference.score));
    EXPECT_EQ(simd.mask, reference.mask);
  });
  return reference;
}

TEST(RuleKernelTest, CheapTextilesFromOriginThreeGetTheExactWeight) {
  RuleDefinition rule;
  rule.name = "cheap_textiles_from_3";
  rule.weight = 2.75f;
  rule.hs_chapters = {61};
  rule.origins = {3};
  rule.unit_value_max = 5.0f;
  const RuleTable table = CompileRules(std::span(&rule, 1), kNumOrigins, kNumOffices);

  EXPECT_EQ(ScoreOne(table, 61, 3, 7, 4.99f, 12.0f).score, 2.75f);
  EXPECT_EQ(ScoreOne(table, 61, 3, 7, 4.99f, 12.0f).mask, 1u);
  EXPECT_EQ(ScoreOne(table, 61, 3, 0, -1.0f, kNaN).mask, 1u);  // no lower bound, no age test
  EXPECT_EQ(ScoreOne(table, 61, 3, 7, 5.0f, 12.0f).mask, 0u);  // max is exclusive
  EXPECT_EQ(ScoreOne(table, 61, 3, 7, kNaN, 12.0f).mask, 0u);  // NaN fails the condition
  EXPECT_EQ(ScoreOne(table, 62, 3, 7, 1.0f, 12.0f).mask, 0u);  // other chapter
  EXPECT_EQ(ScoreOne(table, 61, 4, 7, 1.0f, 12.0f).mask, 0u);  // other origin
  EXPECT_EQ(Bits(ScoreOne(table, 61, 4, 7, 1.0f, 12.0f).score), Bits(0.0f));
}

TEST(RuleKernelTest, BoundsAgesAndSummationOrder) {
  std::vector<RuleDefinition> rules(3);
  rules[0].name = "mid_value";
  rules[0].weight = 0.1f;
  rules[0].unit_value_min = 10.0f;
  rules[0].unit_value_max = 20.0f;
  rules[1].name = "new_trader";
  rules[1].weight = 0.2f;
  rules[1].max_trader_age_days = 30.0f;
  rules[2].name = "office_5";
  rules[2].weight = 0.7f;
  rules[2].offices = {5};
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);

  EXPECT_EQ(ScoreOne(table, 1, 0, 0, 10.0f, 31.0f).mask, 0b001u);  // min is inclusive
  EXPECT_EQ(ScoreOne(table, 1, 0, 0, 20.0f, 30.0f).mask, 0b010u);  // age bound is inclusive
  EXPECT_EQ(ScoreOne(table, 1, 0, 0, 15.0f, kNaN).mask, 0b001u);   // NaN age fails rule 1 only
  EXPECT_EQ(ScoreOne(table, 1, 0, 5, kNaN, kNaN).mask, 0b100u);    // untested conditions hold
  const RowResult all = ScoreOne(table, 1, 0, 5, 15.0f, 0.0f);
  EXPECT_EQ(all.mask, 0b111u);
  const float expected = (0.1f + 0.2f) + 0.7f;  // increasing rule order, in float
  EXPECT_EQ(Bits(all.score), Bits(expected));
}

TEST(RuleKernelTest, RulesAboveThirtyOneUseTheHighWordAndAddInOrder) {
  // 64 rules: rule 0 and rules 32..63 have conditions, the others never match (chapter 1 only).
  std::vector<RuleDefinition> rules(kMaxRules);
  for (std::size_t r = 0; r < kMaxRules; ++r) {
    rules[r].name = "rule_" + std::to_string(r);
    rules[r].weight = 0.1f * static_cast<float>(r + 1);
    rules[r].hs_chapters = {1};
  }
  rules[0].hs_chapters = {61};
  rules[32].hs_chapters = {61};                        // chapter set, high word
  rules[33].hs_chapters.clear();
  rules[33].origins = {3};                             // origin set
  rules[40].hs_chapters.clear();
  rules[40].offices = {7};                             // office set
  rules[47].hs_chapters.clear();
  rules[47].unit_value_min = 1.0f;                     // unit-value range
  rules[47].unit_value_max = 5.0f;
  rules[55].hs_chapters.clear();
  rules[55].max_trader_age_days = 30.0f;               // age
  rules[63].hs_chapters = {61, 62};                    // the last bit
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);

  const std::uint64_t bit0 = 1;
  const auto bit = [](int r) { return std::uint64_t{1} << r; };
  EXPECT_EQ(ScoreOne(table, 61, 0, 0, kNaN, kNaN).mask, bit0 | bit(32) | bit(63));
  EXPECT_EQ(ScoreOne(table, 62, 3, 7, 1.0f, 30.0f).mask, bit(33) | bit(40) | bit(47) | bit(55) | bit(63));
  EXPECT_EQ(ScoreOne(table, 62, 0, 0, 5.0f, 30.5f).mask, bit(63));  // both ranges fail
  const RowResult all = ScoreOne(table, 61, 3, 7, 4.0f, 0.0f);
  EXPECT_EQ(all.mask, bit0 | bit(32) | bit(33) | bit(40) | bit(47) | bit(55) | bit(63));
  float expected = 0.0f;  // increasing rule order, in float
  for (const int r : {0, 32, 33, 40, 47, 55, 63}) expected += 0.1f * static_cast<float>(r + 1);
  EXPECT_EQ(Bits(all.score), Bits(expected));
}

TEST(RuleKernelTest, TimeLimitedRulesAreActiveFromStartUntilBeforeEnd) {
  // The same time-limited rule in the low word (rule 1) and the high word (rule 40), plus rules
  // with only a start (2, 41) or only an end (3, 42); the other rules never match.
  std::vector<RuleDefinition> rules(43);
  for (std::size_t r = 0; r < rules.size(); ++r) {
    rules[r].name = "rule_" + std::to_string(r);
    rules[r].hs_chapters = {1};
  }
  for (const std::size_t r : {1, 2, 3, 40, 41, 42}) {
    rules[r].hs_chapters.clear();
    rules[r].weight = static_cast<float>(r);
  }
  rules[1].active_from_day = rules[40].active_from_day = 3;
  rules[1].active_until_day = rules[40].active_until_day = 7;
  rules[2].active_from_day = rules[41].active_from_day = 5;
  rules[3].active_until_day = rules[42].active_until_day = 5;
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);

  const auto bit = [](int r) { return std::uint64_t{1} << r; };
  const std::uint64_t period = bit(1) | bit(40);
  const std::uint64_t from = bit(2) | bit(41);
  const std::uint64_t until = bit(3) | bit(42);
  const auto mask_on = [&](std::int64_t day) { return ScoreOne(table, 50, 0, 0, 1.0f, 1.0f, day).mask; };
  EXPECT_EQ(mask_on(-1000), until);
  EXPECT_EQ(mask_on(2), until);
  EXPECT_EQ(mask_on(3), period | until);          // start is inclusive
  EXPECT_EQ(mask_on(4), period | until);
  EXPECT_EQ(mask_on(5), period | from);           // end is exclusive
  EXPECT_EQ(mask_on(6), period | from);
  EXPECT_EQ(mask_on(7), from);
  EXPECT_EQ(mask_on(1000000), from);
  EXPECT_EQ(ActiveRules(table, 3) & (period | from | until), period | until);
  EXPECT_EQ(ActiveRules(table, 7) & (period | from | until), from);
  // Rules without a period are active every day, whatever the day.
  EXPECT_EQ(ActiveRules(table, std::numeric_limits<std::int64_t>::min()) & bit(0), bit(0));
  EXPECT_EQ(ActiveRules(table, std::numeric_limits<std::int64_t>::max()) & bit(0), bit(0));
  const RowResult row = ScoreOne(table, 50, 0, 0, 1.0f, 1.0f, 6);
  EXPECT_EQ(Bits(row.score), Bits(((1.0f + 2.0f) + 40.0f) + 41.0f));
}

TEST(RuleKernelTest, NoRulesActiveGiveZeroScoresAndMasks) {
  std::mt19937 rng(5);
  std::vector<RuleDefinition> rules = RandomRules(kMaxRules, rng);
  for (RuleDefinition& rule : rules) {
    rule.active_from_day = 10;
    rule.active_until_day = 11;
  }
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  const Columns columns = RandomColumns(1000, rng);
  ForEachTarget([&] {
    for (const std::int64_t day : {9, 10, 11}) ExpectSimdMatchesReference(table, columns, 1, 999, day);
  });
  const RowResult row = ScoreOne(table, 61, 3, 7, 1.0f, 1.0f, 9);
  EXPECT_EQ(row.mask, 0u);
  EXPECT_EQ(Bits(row.score), Bits(0.0f));
}

TEST(RuleKernelTest, NoRulesGiveZeroScoresAndMasks) {
  const RuleTable table = CompileRules({}, kNumOrigins, kNumOffices);
  const RowResult row = ScoreOne(table, 61, 3, 7, 1.0f, 1.0f);
  EXPECT_EQ(row.mask, 0u);
  EXPECT_EQ(Bits(row.score), Bits(0.0f));
}

TEST(CompileRulesTest, BuildsTransposedTables) {
  std::vector<RuleDefinition> rules(2);
  rules[0].name = "any";
  rules[1].name = "chapters";
  rules[1].hs_chapters = {1, 99};
  rules[1].origins = {39};
  rules[1].unit_value_min = 2.0f;
  rules[1].max_trader_age_days = 10.0f;
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  ASSERT_EQ(table.num_rules, 2u);
  ASSERT_EQ(table.chapter_rules.size(), kChapterTableSize);
  ASSERT_EQ(table.origin_rules.size(), kNumOrigins);
  ASSERT_EQ(table.office_rules.size(), kNumOffices);
  EXPECT_EQ(table.chapter_rules[0], 0b01u);
  EXPECT_EQ(table.chapter_rules[1], 0b11u);
  EXPECT_EQ(table.chapter_rules[99], 0b11u);
  EXPECT_EQ(table.origin_rules[38], 0b01u);
  EXPECT_EQ(table.origin_rules[39], 0b11u);
  EXPECT_EQ(table.office_rules[0], 0b11u);
  EXPECT_EQ(table.unit_value_tested, 0b10u);
  EXPECT_EQ(table.age_tested, 0b10u);
  EXPECT_EQ(table.unit_value_min[1], 2.0f);
  EXPECT_EQ(table.unit_value_max[1], kInfinity);
  EXPECT_EQ(table.unit_value_min[0], -kInfinity);
  EXPECT_EQ(table.max_trader_age_days[1], 10.0f);
  EXPECT_EQ(table.active_from_day[0], std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(table.active_until_day[0], std::numeric_limits<std::int64_t>::max());
}

TEST(CompileRulesTest, BuildsSixtyFourBitTablesAndActivePeriods) {
  std::vector<RuleDefinition> rules(kMaxRules);
  for (std::size_t r = 0; r < kMaxRules; ++r) rules[r].name = "rule_" + std::to_string(r);
  rules[63].hs_chapters = {99};
  rules[63].origins = {39};
  rules[63].offices = {0};
  rules[63].unit_value_max = 3.0f;
  rules[63].max_trader_age_days = 7.0f;
  rules[63].active_from_day = 4;
  rules[62].active_until_day = 9;
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  constexpr std::uint64_t kAll = ~std::uint64_t{0};
  constexpr std::uint64_t kBit63 = std::uint64_t{1} << 63;
  EXPECT_EQ(table.chapter_rules[98], kAll & ~kBit63);
  EXPECT_EQ(table.chapter_rules[99], kAll);
  EXPECT_EQ(table.origin_rules[39], kAll);
  EXPECT_EQ(table.origin_rules[0], kAll & ~kBit63);
  EXPECT_EQ(table.office_rules[0], kAll);
  EXPECT_EQ(table.office_rules[1], kAll & ~kBit63);
  EXPECT_EQ(table.unit_value_tested, kBit63);
  EXPECT_EQ(table.age_tested, kBit63);
  EXPECT_EQ(table.active_from_day[63], 4);
  EXPECT_EQ(table.active_until_day[63], std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(table.active_from_day[62], std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(table.active_until_day[62], 9);
  EXPECT_EQ(ActiveRules(table, 3), kAll & ~kBit63);
  EXPECT_EQ(ActiveRules(table, 4), kAll);
  EXPECT_EQ(ActiveRules(table, 9), kAll & ~(kBit63 >> 1));
}

TEST(CompileRulesTest, AcceptsSixtyFourRules) {
  std::mt19937 rng(7);
  const std::vector<RuleDefinition> rules = RandomRules(kMaxRules, rng);
  EXPECT_EQ(kMaxRules, 64u);
  EXPECT_EQ(CompileRules(rules, kNumOrigins, kNumOffices).num_rules, kMaxRules);
}

// Expects CompileRules to throw std::invalid_argument whose message names `rule_name`.
void ExpectRejected(const std::vector<RuleDefinition>& rules, const std::string& rule_name) {
  try {
    CompileRules(rules, kNumOrigins, kNumOffices);
    ADD_FAILURE() << "no exception for " << rule_name;
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(rule_name), std::string::npos) << error.what();
  }
}

TEST(CompileRulesTest, RejectsInvalidRulesNamingThem) {
  std::mt19937 rng(11);
  ExpectRejected(RandomRules(kMaxRules + 1, rng), "random_rule_64");

  const auto one_rule = [](auto&& edit) {
    std::vector<RuleDefinition> rules(2);
    rules[0].name = "fine";
    rules[1].name = "broken";
    edit(rules[1]);
    return rules;
  };
  ExpectRejected(one_rule([](RuleDefinition& r) { r.hs_chapters = {0}; }), "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) { r.hs_chapters = {61, 100}; }), "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) { r.origins = {kNumOrigins}; }), "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) { r.offices = {kNumOffices}; }), "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) {
                   r.unit_value_min = 5.0f;
                   r.unit_value_max = 5.0f;
                 }),
                 "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) {
                   r.unit_value_min = 6.0f;
                   r.unit_value_max = 5.0f;
                 }),
                 "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) { r.unit_value_max = kNaN; }), "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) { r.max_trader_age_days = kNaN; }), "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) {
                   r.active_from_day = 5;
                   r.active_until_day = 5;
                 }),
                 "broken");
  ExpectRejected(one_rule([](RuleDefinition& r) {
                   r.active_from_day = 6;
                   r.active_until_day = 5;
                 }),
                 "broken");
}

TEST(CompileRulesTest, TooManyRulesMessageGivesTheLimit) {
  std::mt19937 rng(13);
  try {
    CompileRules(RandomRules(kMaxRules + 1, rng), kNumOrigins, kNumOffices);
    ADD_FAILURE() << "no exception for 65 rules";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("65 given, at most 64"), std::string::npos)
        << error.what();
  }
}

// ScoreRulesParallel against ScoreRules (the single-threaded SIMD kernel), bit for bit, on 1..4
// threads and grains from 1 row to more than the whole input, on every target.
TEST(RuleKernelParallelTest, ParallelMatchesSequentialForAnyThreadsAndGrain) {
  std::mt19937 rng(99);
  const std::vector<RuleDefinition> rules = RandomRules(kMaxRules, rng);
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  const Columns columns = RandomColumns(kBigSize + 1, rng);
  ForEachTarget([&] {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{17}, kBigSize}) {
      const RuleInputs inputs = columns.Window(1, size);  // misaligned start
      std::vector<float> expected_score(size);
      std::vector<std::uint64_t> expected_mask(size);
      ScoreRules(table, inputs, /*day=*/5, expected_score, expected_mask);
      for (const int threads : {1, 2, 3, 4}) {
        tbb::task_arena arena(threads);
        for (const std::size_t grain : {std::size_t{1}, std::size_t{7}, std::size_t{64},
                                        std::size_t{1000}, kDefaultParallelGrain, kBigSize + 1}) {
          if (grain == 1 && size == kBigSize && threads != 2) continue;  // one-row tasks: once
          SCOPED_TRACE("size " + std::to_string(size) + " threads " + std::to_string(threads) +
                       " grain " + std::to_string(grain));
          std::vector<float> score(size, -1.0f);
          std::vector<std::uint64_t> mask(size, kMaskSentinel);
          arena.execute(
              [&] { ScoreRulesParallel(table, inputs, /*day=*/5, score, mask, grain); });
          std::size_t mismatches = 0;
          for (std::size_t i = 0; i < size; ++i) {
            mismatches += Bits(score[i]) != Bits(expected_score[i]) || mask[i] != expected_mask[i];
          }
          EXPECT_EQ(mismatches, 0u);
        }
      }
    }
  });
}

}  // namespace
}  // namespace crsim::kernels
