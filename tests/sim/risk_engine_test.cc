#include "crsim/sim/risk_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "crsim/sim/generator.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

TEST(RiskEngine, ScoreIsTheWeightedSumOfItsParts) {
  const ScenarioSpec spec = testing::SmallScenario({"risk.trader_history_weight=3.0", "risk.unit_value_weight=0.5"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  RiskEngine engine(world, spec);
  data::DeclarationBatch batch;
  InspectionOutcomes outcomes;
  const Inspector inspector(spec);
  // Day 0: learn from every declaration, inspecting every tenth.
  generator.GenerateDay(0, batch, 4096);
  outcomes.Reset(batch.size());
  for (std::size_t i = 0; i < batch.size(); i += 10) outcomes.inspected[i] = 1;
  inspector.InspectAndMeasure(0, batch.declared(), batch.truth(), outcomes);
  engine.Learn(batch.declared(), outcomes);
  ASSERT_GT(engine.inspections_so_far(), 0u);
  std::vector<double> trader_inspections(world.traders.size(), 0.0), trader_hits(world.traders.size(), 0.0);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    trader_inspections[batch.declared().trader[i]] += outcomes.inspected[i];
    trader_hits[batch.declared().trader[i]] += outcomes.detected[i];
  }

  generator.GenerateDay(1, batch, 4096);
  const auto declared = batch.declared();
  std::vector<float> score(batch.size());
  engine.Score(declared, 1, score);

  std::vector<float> rule_score(batch.size()), z(batch.size());
  std::vector<std::uint64_t> hits(batch.size());
  kernels::ScoreRulesReference(engine.rule_table(),
                               {declared.hs_chapter, declared.origin, declared.office, declared.unit_value,
                                declared.trader_age_days},
                               1, rule_score, hits);
  kernels::RobustUnitValueZReference(declared.declared_value, declared.declared_quantity, declared.hs6,
                                     engine.price_reference().view(), z);
  const double overall = static_cast<double>(engine.hits_so_far()) / static_cast<double>(engine.inspections_so_far());
  const double strength = spec.risk.trader_prior_strength;
  std::size_t with_reference = 0, rule_matches = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    with_reference += !std::isnan(z[i]);
    rule_matches += hits[i] != 0;
    const std::uint32_t trader = declared.trader[i];
    const double posterior = (trader_hits[trader] + strength * overall) / (trader_inspections[trader] + strength);
    // The unit-value kernel's SIMD and scalar z agree only to a few ULP (see unit_value_test.cc).
    const double low_price = std::isnan(z[i]) ? 0.0 : std::max(0.0f, -z[i]);
    const double expected = 1.0 * rule_score[i] + 0.5 * low_price + 3.0 * posterior;
    ASSERT_NEAR(score[i], expected, 1e-4 * (1.0 + std::fabs(expected))) << "row " << i;
  }
  EXPECT_GT(with_reference, batch.size() / 2) << "day 0 gave most codes a price reference";
  EXPECT_GT(rule_matches, 0u);
  EXPECT_GT(overall, 0.0);
}

TEST(RiskEngine, TraderRiskRisesAfterHitsAndFallsAfterCleanInspections) {
  const ScenarioSpec spec = testing::SmallScenario(
      {"risk.rules=[]", "risk.unit_value_weight=0.0", "risk.trader_history_weight=1.0", "risk.trader_prior_strength=4"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  const auto declared = batch.declared();
  // Find two rows of different traders.
  std::size_t a = 0, b = 1;
  while (declared.trader[b] == declared.trader[a]) ++b;
  InspectionOutcomes outcomes;
  outcomes.Reset(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    outcomes.revealed_value[i] = declared.declared_value[i];
    outcomes.revealed_hs6[i] = declared.hs6[i];
    outcomes.detected[i] = 0;
  }
  // Trader of row a: inspected and caught; trader of row b: inspected and clean.
  outcomes.inspected[a] = 1;
  outcomes.detected[a] = 1;
  outcomes.inspected[b] = 1;
  RiskEngine engine(world, spec);
  engine.Learn(declared, outcomes);
  std::vector<float> score(batch.size());
  engine.Score(declared, 0, score);
  // Overall hit rate m = 1/2, s = 4: caught trader (1 + 2) / (1 + 4) = 0.6; clean one 2 / 5 = 0.4;
  // never-inspected traders sit at the prior 0.5.
  EXPECT_FLOAT_EQ(score[a], 0.6f);
  EXPECT_FLOAT_EQ(score[b], 0.4f);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (declared.trader[i] != declared.trader[a] && declared.trader[i] != declared.trader[b]) {
      EXPECT_FLOAT_EQ(score[i], 0.5f);
      break;
    }
  }
}

// A time-limited rule adds its weight on its days only: days 2..4 here (active_until_day 5 is
// exclusive). Everything else about the score is the same on every day (no learning in between).
TEST(RiskEngine, TimeLimitedRuleScoresOnlyOnItsDays) {
  const ScenarioSpec spec = testing::SmallScenario(
      {"risk.rules[2].name=\"priority-cn\"", "risk.rules[2].weight=100.0", "risk.rules[2].origins=[\"CN\"]",
       "risk.rules[2].active_from_day=2", "risk.rules[2].active_until_day=5"});
  ASSERT_EQ(spec.risk.rules.size(), 3u);
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  const auto declared = batch.declared();
  const auto cn = static_cast<std::uint16_t>(
      std::find(world.country_iso.begin(), world.country_iso.end(), "CN") - world.country_iso.begin());
  RiskEngine engine(world, spec);
  std::vector<float> outside(batch.size()), inside(batch.size());
  engine.Score(declared, 1, outside);
  std::size_t from_cn = 0;
  for (const std::int64_t day : {2, 4}) {
    engine.Score(declared, day, inside);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const bool targeted = declared.origin[i] == cn;
      from_cn += targeted;
      // Rules 0 and 1 add at most 2.5 and the other terms are the same on both days, so the
      // priority rule's 100 shows clearly: the exact sum is the kernel tests' business.
      if (targeted) {
        EXPECT_GT(inside[i] - outside[i], 99.0f) << "row " << i << " day " << day;
      } else {
        EXPECT_EQ(inside[i], outside[i]) << "row " << i << " day " << day;
      }
    }
  }
  EXPECT_GT(from_cn, 0u);
  std::vector<float> after(batch.size());
  engine.Score(declared, 5, after);
  EXPECT_EQ(after, outside);
}

}  // namespace
}  // namespace crsim::sim

namespace crsim::sim {
namespace {

// Day 0 generated and learned from (every tenth declaration inspected), day 1 generated; the
// engine is the caller's.
struct TwoDays {
  data::DeclarationBatch day0, day1;
  InspectionOutcomes outcomes;
};

TwoDays LearnDayZero(const ScenarioSpec& spec, const World& world, RiskEngine& engine) {
  TwoDays days;
  Generator generator(world, spec);
  const Inspector inspector(spec);
  generator.GenerateDay(0, days.day0, 4096);
  std::vector<float> score(days.day0.size());
  engine.Score(days.day0.declared(), 0, score);
  days.outcomes.Reset(days.day0.size());
  for (std::size_t i = 0; i < days.day0.size(); i += 10) days.outcomes.inspected[i] = 1;
  inspector.InspectAndMeasure(0, days.day0.declared(), days.day0.truth(), days.outcomes);
  engine.Learn(days.day0.declared(), days.outcomes);
  generator.GenerateDay(1, days.day1, 4096);
  return days;
}

TEST(RiskEngine, MaxCombinationIsTheLargestWeightedPart) {
  const ScenarioSpec sum_spec = testing::SmallScenario({"risk.combination=\"weighted_sum\""});
  const ScenarioSpec max_spec = testing::SmallScenario({"risk.combination=\"max\""});
  const World world = BuildWorld(sum_spec);
  RiskEngine sum_engine(world, sum_spec);
  RiskEngine max_engine(world, max_spec);
  const TwoDays days = LearnDayZero(sum_spec, world, sum_engine);
  LearnDayZero(max_spec, world, max_engine);
  const auto declared = days.day1.declared();
  std::vector<float> sum(declared.size()), max(declared.size());
  sum_engine.Score(declared, 1, sum);
  max_engine.Score(declared, 1, max);
  std::size_t strictly_below = 0;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    // All parts are >= 0, so max <= sum, and max >= the trader part alone.
    ASSERT_LE(max[i], sum[i] * (1.0f + 1e-6f)) << i;
    ASSERT_GE(max[i], static_cast<float>(max_spec.risk.trader_history_weight) *
                          max_engine.trader_risk()[declared.trader[i]]) << i;
    strictly_below += max[i] < sum[i];
  }
  EXPECT_GT(strictly_below, 0u);
}

TEST(RiskEngine, LogisticCombinationTrainsOnInspectedRowsAndScoresProbabilities) {
  const ScenarioSpec spec = testing::SmallScenario(
      {"risk.combination=\"logistic\"", "risk.logistic.retrain_every_days=1", "risk.logistic.min_training_rows=50"});
  const ScenarioSpec sum_spec = testing::SmallScenario({});
  const World world = BuildWorld(spec);
  RiskEngine engine(world, spec);
  RiskEngine sum_engine(world, sum_spec);
  RiskEngine again(world, spec);
  // Before the first training: the weighted sum, bit for bit.
  {
    data::DeclarationBatch batch;
    Generator(world, spec).GenerateDay(0, batch, 4096);
    std::vector<float> logistic(batch.size()), sum(batch.size());
    RiskEngine fresh(world, spec);
    fresh.Score(batch.declared(), 0, logistic);
    sum_engine.Score(batch.declared(), 0, sum);
    EXPECT_EQ(logistic, sum);
    EXPECT_FALSE(fresh.model_trained());
  }
  const TwoDays days = LearnDayZero(spec, world, engine);
  LearnDayZero(spec, world, again);
  std::size_t inspected = 0;
  for (std::size_t i = 0; i < days.day0.size(); ++i) inspected += days.outcomes.inspected[i];
  ASSERT_TRUE(engine.model_trained());
  EXPECT_EQ(engine.training_rows(), inspected);
  const auto declared = days.day1.declared();
  std::vector<float> score(declared.size()), repeat(declared.size());
  engine.Score(declared, 1, score);
  again.Score(declared, 1, repeat);
  EXPECT_EQ(score, repeat) << "same inputs, same model, same scores";
  double fraud_sum = 0.0, clean_sum = 0.0;
  std::size_t frauds = 0;
  for (std::size_t i = 0; i < declared.size(); ++i) {
    ASSERT_TRUE(score[i] >= 0.0f && score[i] <= 1.0f) << i;
    if (days.day1.truth().fraud_type[i] != 0) {
      fraud_sum += score[i];
      ++frauds;
    } else {
      clean_sum += score[i];
    }
  }
  ASSERT_GT(frauds, 0u);
  EXPECT_GT(fraud_sum / static_cast<double>(frauds),
            clean_sum / static_cast<double>(declared.size() - frauds))
      << "the model ranks frauds above compliant declarations on average";
}

TEST(RiskEngine, ControlsCompletedLaterBecomeTrainingRowsWithTheirLodgementFeatures) {
  // A red control today, a blue audit that completes on day 2, a queued yellow control that is
  // never completed, and the rest released: the model learns from the first two only, the audit
  // when its result comes.
  const ScenarioSpec spec = testing::SmallScenario({"risk.combination=\"logistic\""});
  const World world = BuildWorld(spec);
  RiskEngine engine(world, spec);
  data::DeclarationBatch batch, empty;
  Generator(world, spec).GenerateDay(0, batch, 4096);
  empty.Reset(0, 0);
  const data::DeclaredView declared = batch.declared();
  InspectionOutcomes outcomes, none;
  outcomes.Reset(batch.size());
  none.Reset(0);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    outcomes.detected[i] = 0;
    outcomes.revealed_value[i] = declared.declared_value[i];
    outcomes.revealed_hs6[i] = declared.hs6[i];
  }
  outcomes.inspected[0] = 1;
  outcomes.channel[0] = 1;  // red, same day
  outcomes.channel[1] = 3;  // blue: result on day 2
  outcomes.channel[2] = 2;  // yellow, queued, never served here
  std::vector<float> score(batch.size());
  engine.Score(declared, 0, score);
  engine.Learn(declared, outcomes);
  EXPECT_EQ(engine.training_rows(), 1u);
  EXPECT_EQ(engine.inspections_so_far(), 1u);
  engine.Score(empty.declared(), 1, {});
  engine.Learn(empty.declared(), none);
  EXPECT_EQ(engine.training_rows(), 1u);
  PendingControl audit;
  audit.day = 0;
  audit.row = 1;
  audit.trader = declared.trader[1];
  audit.declarant = declared.declarant[1];
  audit.channel = 3;
  const std::vector<PendingControl> completed = {audit};
  const std::vector<std::uint8_t> found = {1};
  engine.LearnFromControls(completed, found);
  EXPECT_EQ(engine.hits_so_far(), 1u) << "the trader and overall counts at once";
  EXPECT_EQ(engine.trader_inspections()[declared.trader[1]], declared.trader[1] == declared.trader[0] ? 2u : 1u);
  engine.Score(empty.declared(), 2, {});
  engine.Learn(empty.declared(), none);
  EXPECT_EQ(engine.training_rows(), 2u) << "the audit's training row, added by the day's Learn";
  // A weighted-sum engine keeps nothing for the model.
  RiskEngine sum_engine(world, testing::SmallScenario({}));
  sum_engine.Score(declared, 0, score);
  sum_engine.Learn(declared, outcomes);
  sum_engine.LearnFromControls(completed, found);
  EXPECT_EQ(sum_engine.training_rows(), 0u);
  EXPECT_EQ(sum_engine.hits_so_far(), 1u);
}

}  // namespace
}  // namespace crsim::sim
