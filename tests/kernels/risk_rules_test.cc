// Tests of the rule-profile kernel: the SIMD kernel (every compiled and supported Highway target)
// against the scalar reference, bit for bit, plus hand-computed cases and CompileRules errors.
#include "crsim/kernels/risk_rules.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

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

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr std::size_t kNumOrigins = 40;
constexpr std::size_t kNumOffices = 20;
// 3 vectors of the widest target (16 u32 lanes on AVX3) + 1: every tail length on every target.
constexpr std::size_t kMaxSweepSize = 3 * 16 + 1;
constexpr std::size_t kBigSize = 100003;  // many full vectors, odd tail
constexpr std::uint32_t kSentinel = 0xDEADBEEFu;

// Runs `body` once per SIMD target that is both compiled in and supported by this CPU, with the
// dispatcher forced to that target.
void ForEachTarget(const std::function<void()>& body) {
  const std::vector<std::int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (const std::int64_t target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    body();
    hwy::SetSupportedTargetsForTest(0);
  }
}

std::uint32_t Bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

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
  }
  return rules;
}

// Runs both kernels on the window [offset, offset + size) and requires identical bits. Output
// windows sit inside sentinel-filled buffers to catch writes outside [0, size).
void ExpectSimdMatchesReference(const RuleTable& table, const Columns& columns, std::size_t offset,
                                std::size_t size) {
  SCOPED_TRACE("offset " + std::to_string(offset) + " size " + std::to_string(size));
  const RuleInputs inputs = columns.Window(offset, size);
  std::vector<float> reference_score(size);
  std::vector<std::uint32_t> reference_mask(size);
  ScoreRulesReference(table, inputs, reference_score, reference_mask);

  constexpr std::size_t kGuard = 20;
  float sentinel_float;
  std::memcpy(&sentinel_float, &kSentinel, sizeof sentinel_float);
  std::vector<float> score(offset + size + kGuard, sentinel_float);
  std::vector<std::uint32_t> mask(offset + size + kGuard, kSentinel);
  ScoreRules(table, inputs, std::span(score).subspan(offset, size),
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
    ASSERT_EQ(mask[i], kSentinel) << "mask written outside the window at " << i;
  }
}

class RuleKernelRandomTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(RuleKernelRandomTest, SimdMatchesReferenceBitForBitOnEveryTarget) {
  const std::size_t num_rules = GetParam();
  std::mt19937 rng(12345u + static_cast<unsigned>(num_rules));
  const std::vector<RuleDefinition> rules = RandomRules(num_rules, rng);
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  const Columns columns = RandomColumns(kBigSize + 3, rng);

  // The random data must actually exercise the kernel: some rows match a rule, and rows differ.
  if (num_rules > 0) {
    std::vector<float> score(kBigSize);
    std::vector<std::uint32_t> mask(kBigSize);
    ScoreRulesReference(table, columns.Window(0, kBigSize), score, mask);
    std::size_t matched = 0;
    std::size_t differs_from_first = 0;
    for (const std::uint32_t m : mask) {
      matched += m != 0;
      differs_from_first += m != mask[0];
    }
    EXPECT_GT(matched, 0u);
    EXPECT_GT(differs_from_first, 0u);
  }

  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) {
        ExpectSimdMatchesReference(table, columns, offset, size);
      }
    }
    ExpectSimdMatchesReference(table, columns, 0, kBigSize);
    ExpectSimdMatchesReference(table, columns, 3, kBigSize);
  });
}

INSTANTIATE_TEST_SUITE_P(RuleCounts, RuleKernelRandomTest, ::testing::Values(0, 1, 3, 10, 31, 32),
                         [](const ::testing::TestParamInfo<std::size_t>& rule_count) {
                           return "rules" + std::to_string(rule_count.param);
                         });

// One declaration through both kernels on every target; returns the reference result after checking
// that every target agrees with it.
struct RowResult {
  float score;
  std::uint32_t mask;
};

RowResult ScoreOne(const RuleTable& table, std::uint8_t chapter, std::uint16_t origin,
                   std::uint16_t office, float unit_value, float age) {
  const RuleInputs inputs{std::span(&chapter, 1), std::span(&origin, 1), std::span(&office, 1),
                          std::span(&unit_value, 1), std::span(&age, 1)};
  RowResult reference{};
  ScoreRulesReference(table, inputs, std::span(&reference.score, 1), std::span(&reference.mask, 1));
  ForEachTarget([&] {
    RowResult simd{};
    ScoreRules(table, inputs, std::span(&simd.score, 1), std::span(&simd.mask, 1));
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
}

TEST(CompileRulesTest, AcceptsThirtyTwoRules) {
  std::mt19937 rng(7);
  const std::vector<RuleDefinition> rules = RandomRules(kMaxRules, rng);
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
  ExpectRejected(RandomRules(kMaxRules + 1, rng), "random_rule_32");

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
}

}  // namespace
}  // namespace crsim::kernels
