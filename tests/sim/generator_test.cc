#include "crsim/sim/generator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "small_scenario.h"

namespace crsim::sim {
namespace {

using data::DeclarationBatch;

TEST(Generator, DailyCountsArePoissonWithTheConfiguredMean) {
  const ScenarioSpec spec = testing::SmallScenario({"run.days=400", "arrivals.declarations_per_day=5000"});
  const World world = BuildWorld(spec);
  const Generator generator(world, spec);
  double sum = 0.0;
  for (std::int64_t day = 0; day < 400; ++day) sum += static_cast<double>(generator.DeclarationCount(day));
  // The mean of 400 Poisson(5000) counts has standard error sqrt(5000 / 400) = 3.5; allow 5 of them.
  EXPECT_NEAR(sum / 400.0, 5000.0, 5.0 * std::sqrt(5000.0 / 400.0));
}

TEST(Generator, ColumnsAreConsistentAndDeclaredIdsIncrease) {
  const ScenarioSpec spec = testing::SmallScenario();
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  DeclarationBatch batch;
  generator.GenerateDay(2, batch, 1000);
  const auto declared = batch.declared();
  const auto truth = batch.truth();
  ASSERT_GT(batch.size(), 15000u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ASSERT_EQ(declared.declaration_id[i], (std::uint64_t{2} << 32) | i);
    const std::uint32_t trader = declared.trader[i];
    ASSERT_LE(world.traders.registration_day[trader], 2) << "only registered traders declare";
    EXPECT_EQ(declared.trader_age_days[i], static_cast<float>(2 - world.traders.registration_day[trader]));
    EXPECT_EQ(declared.hs_chapter[i], world.catalogue.chapter[declared.hs6[i]]);
    EXPECT_EQ(declared.unit_value[i], declared.declared_value[i] / declared.declared_quantity[i]);
    EXPECT_GT(declared.declared_quantity[i], 0.0f);
    const std::uint32_t administration = world.offices[declared.office[i]].administration;
    EXPECT_EQ(administration, world.traders.administration[trader]) << "traders lodge in their own administration";
    if (truth.fraud_type[i] == 0) {
      EXPECT_EQ(truth.true_value[i], declared.declared_value[i]);
      EXPECT_EQ(truth.true_hs6[i], declared.hs6[i]);
      EXPECT_EQ(truth.duty_evaded[i], 0.0f);
    } else {
      EXPECT_GT(truth.duty_evaded[i], 0.0f);
    }
  }
}

// Fraud statistics over many declarations. Each declaration is fraudulent independently with the
// rate of its trader's profile (where a typology is available for its code), so given the traders drawn the fraud count is a sum of Bernoullis
// with known mean and variance; we allow 5 standard deviations (false alarm < 1e-6).
TEST(Generator, FraudPrevalenceAndUndervaluationFactorsMatchTheScenario) {
  const ScenarioSpec spec = testing::SmallScenario(
      {"arrivals.declarations_per_day=200000", "fraud.undervaluation.factor_min=0.4",
       "fraud.undervaluation.factor_max=0.7"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  DeclarationBatch batch;
  double frauds = 0.0, expected = 0.0, variance = 0.0;
  double factors = 0.0, factor_count = 0.0, below_midpoint = 0.0;
  double misclassified = 0.0, undervalued = 0.0;
  for (std::int64_t day = 0; day < 3; ++day) {
    generator.GenerateDay(day, batch, 4096);
    const auto declared = batch.declared();
    const auto truth = batch.truth();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      // A fraud attempt becomes a fraud only where some typology can evade duty on the true code.
      const std::uint32_t code = truth.true_hs6[i];
      const bool evadable = world.catalogue.tariff_rate[code] > 0.0f ||
                            world.catalogue.misclassification_offsets[code + 1] > world.catalogue.misclassification_offsets[code];
      const double rate = world.traders.fraud_prone[declared.trader[i]] ? spec.fraud.fraud_prone_rate : spec.fraud.honest_rate;
      const double p = evadable ? rate : 0.0;
      expected += p;
      variance += p * (1 - p);
      if (truth.fraud_type[i] == 0) continue;
      frauds += 1;
      if (truth.fraud_type[i] == data::kFraudUndervaluation) {
        undervalued += 1;
        const double factor = declared.declared_value[i] / truth.true_value[i];
        ASSERT_GE(factor, 0.4 - 1e-6);
        ASSERT_LE(factor, 0.7 + 1e-6);
        factors += factor;
        factor_count += 1;
        below_midpoint += factor < 0.55 ? 1 : 0;
        const float tariff = world.catalogue.tariff_rate[truth.true_hs6[i]];
        EXPECT_FLOAT_EQ(truth.duty_evaded[i], tariff * (truth.true_value[i] - declared.declared_value[i]));
      } else {
        ASSERT_EQ(truth.fraud_type[i], data::kFraudMisclassification);
        misclassified += 1;
        EXPECT_EQ(declared.declared_value[i], truth.true_value[i]);
        const float true_tariff = world.catalogue.tariff_rate[truth.true_hs6[i]];
        const float declared_tariff = world.catalogue.tariff_rate[declared.hs6[i]];
        EXPECT_LT(declared_tariff, true_tariff);
        EXPECT_EQ(world.catalogue.chapter[declared.hs6[i]], world.catalogue.chapter[truth.true_hs6[i]]);
        EXPECT_FLOAT_EQ(truth.duty_evaded[i], truth.true_value[i] * (true_tariff - declared_tariff));
      }
    }
  }
  EXPECT_NEAR(frauds, expected, 5.0 * std::sqrt(variance));
  // Uniform(0.4, 0.7) factors: mean 0.55, sd 0.3 / sqrt(12).
  const double sd = 0.3 / std::sqrt(12.0);
  EXPECT_NEAR(factors / factor_count, 0.55, 5.0 * sd / std::sqrt(factor_count));
  EXPECT_NEAR(below_midpoint / factor_count, 0.5, 5.0 * 0.5 / std::sqrt(factor_count));
  // Typology weights 0.6 / 0.4 apply where misclassification is available, so the realised
  // share of misclassification is below 0.4 but must be substantial.
  EXPECT_GT(misclassified / frauds, 0.2);
  EXPECT_LT(misclassified / frauds, 0.4 + 5.0 * std::sqrt(0.24 / frauds));
  EXPECT_GT(undervalued, 0.0);
}

TEST(Generator, DisabledTypologyIsNeverInjected) {
  const ScenarioSpec spec = testing::SmallScenario({"fraud.misclassification.enabled=false"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  std::size_t frauds = 0;
  for (const std::uint8_t type : batch.truth().fraud_type) {
    EXPECT_NE(type, data::kFraudMisclassification);
    frauds += type != 0;
  }
  EXPECT_GT(frauds, 0u);
}

}  // namespace
}  // namespace crsim::sim
