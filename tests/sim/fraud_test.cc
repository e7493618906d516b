// The fraud library, typology by typology: prevalence, magnitudes and altered fields are reproduced
// within sampling error, the fields a typology must not alter are untouched, and duty evaded is the
// duty owed on the truth minus the duty owed as declared.
//
// Tolerances. Given the traders and goods drawn, each declaration is a fraud of typology t
// independently with a probability the test computes from the scenario (rate x typology share, the
// share depending on which typologies are available for that consignment), so the count of
// typology t is a sum of independent Bernoullis: we allow 5 standard deviations (a false alarm
// below 1e-6 per check). Magnitudes are uniform draws: their mean is checked to 5 standard errors.
// Power: with 600 000 declarations, prohibited goods (the rarest, ~900) have a standard deviation
// of about 30, so a share 30% off is caught at about 9 sd (checked by mutating the generator).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/world.h"
#include "bernoulli_sum.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

using data::kNumSchemeTypes;

// Sum of independent Bernoulli trials: expected count and variance.
using testing::BernoulliSum;

// Mean of uniform draws on [low, high].
struct UniformMean {
  double sum = 0.0, count = 0.0;
  void Add(double x) {
    sum += x;
    count += 1.0;
  }
  void Expect(double low, double high, const char* what) const {
    ASSERT_GT(count, 30.0) << what;
    const double standard_error = (high - low) / std::sqrt(12.0) / std::sqrt(count);
    EXPECT_NEAR(sum / count, (low + high) / 2.0, 5.0 * standard_error) << what;
  }
};

TEST(FraudLibrary, EveryTypologyAltersOnlyItsFieldsWithTheConfiguredPrevalenceAndMagnitudes) {
  const ScenarioSpec spec = testing::FullFraudScenario({"arrivals.declarations_per_day=300000"});
  const World world = BuildWorld(spec);
  const Catalogue& catalogue = world.catalogue;
  const FraudSpec& fraud = spec.fraud;
  Generator generator(world, spec);
  data::DeclarationBatch batch;

  const double weights[kNumSchemeTypes] = {
      fraud.undervaluation.weight,          fraud.misclassification.weight, fraud.origin_misdeclaration.weight,
      fraud.quantity_misdeclaration.weight, fraud.prohibited_goods.weight,  fraud.low_value_splitting.weight};
  double enabled_weight = 0.0;
  for (const double w : weights) enabled_weight += w;
  const double prohibited_share = weights[4] / enabled_weight;
  const double threshold = spec.catalogue.duty_relief_threshold_eur;
  const auto& transit = fraud.origin_misdeclaration.transit_countries;
  const std::uint16_t cn = 0;  // first country of the small scenario

  std::array<BernoulliSum, kNumSchemeTypes> count{};
  BernoulliSum revealed;
  UniformMean undervaluation_factor, quantity_factor, severity, value_share;
  for (std::int64_t day = 0; day < 2; ++day) {
    generator.GenerateDay(day, batch, 4096);
    const auto declared = batch.declared();
    const auto truth = batch.truth();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const std::uint32_t code = truth.true_hs6[i];
      const std::uint16_t origin = truth.true_origin[i];
      const float value = truth.true_value[i];
      const float quantity = truth.true_quantity[i];
      // Which revenue typologies the consignment allows (docs/fraud.md).
      const bool owes_duty = value >= threshold;
      const AdditionalDuty* additional = world.duties.Find(catalogue.chapter[code], origin);
      const bool available[kNumSchemeTypes] = {
          owes_duty && catalogue.tariff_rate[code] > 0.0f,
          owes_duty && catalogue.misclassification_offsets[code + 1] > catalogue.misclassification_offsets[code],
          owes_duty && additional != nullptr && additional->transit_end > additional->transit_begin,
          owes_duty && catalogue.specific_duty[code] > 0.0f,
          false,
          owes_duty && (catalogue.tariff_rate[code] > 0.0f || catalogue.specific_duty[code] > 0.0f ||
                        additional != nullptr)};
      double available_weight = 0.0;
      for (int t = 0; t < kNumSchemeTypes; ++t) available_weight += available[t] ? weights[t] : 0.0;
      const double rate =
          world.traders.fraud_prone[declared.trader[i]] ? fraud.fraud_prone_rate : fraud.honest_rate;
      // What was falsified (a ring member's fraud also carries the ring bit: who cheated).
      const auto type = static_cast<std::uint8_t>(truth.fraud_type[i] & ~data::kFraudActorMask);
      for (int t = 0; t < kNumSchemeTypes; ++t) {
        const double share = t == 4 ? prohibited_share
                                    : (available[t] ? (1.0 - prohibited_share) * weights[t] / available_weight : 0.0);
        count[static_cast<std::size_t>(t)].Add(rate * share, type == (1u << t));
      }

      // Untouched unless the typology alters it.
      const bool alters_value = type == data::kFraudUndervaluation || type == data::kFraudLowValueSplitting;
      const bool alters_quantity = type == data::kFraudQuantityMisdeclaration || type == data::kFraudLowValueSplitting;
      if (!alters_value) {
        ASSERT_EQ(declared.declared_value[i], value) << "type " << int(type);
      }
      if (!alters_quantity) {
        ASSERT_EQ(declared.declared_quantity[i], quantity) << "type " << int(type);
      }
      if (type != data::kFraudMisclassification) {
        ASSERT_EQ(declared.hs6[i], code) << "type " << int(type);
      }
      if (type != data::kFraudOriginMisdeclaration) {
        ASSERT_EQ(declared.origin[i], origin) << "type " << int(type);
      }
      if (type != data::kFraudProhibitedGoods) {
        ASSERT_EQ(truth.severity[i], 0.0f);
      }
      ASSERT_EQ(declared.unit_value[i], declared.declared_value[i] / declared.declared_quantity[i]);

      // Duty evaded = duty on the truth - duty as declared (float column, double computation).
      const double expected_duty =
          DutyOwed(world, code, origin, value, quantity) -
          DutyOwed(world, declared.hs6[i], declared.origin[i], declared.declared_value[i], declared.declared_quantity[i]);
      ASSERT_NEAR(truth.duty_evaded[i], expected_duty, 1e-5 * std::abs(expected_duty) + 1e-6);
      if (type == 0 || type == data::kFraudProhibitedGoods) {
        ASSERT_EQ(truth.duty_evaded[i], 0.0f);
      } else {
        ASSERT_GT(truth.duty_evaded[i], 0.0f) << "every revenue fraud evades a positive duty";
      }

      switch (type) {
        case data::kFraudUndervaluation:
          undervaluation_factor.Add(declared.declared_value[i] / value);
          break;
        case data::kFraudMisclassification:
          ASSERT_LT(catalogue.tariff_rate[declared.hs6[i]], catalogue.tariff_rate[code]);
          ASSERT_EQ(catalogue.chapter[declared.hs6[i]], catalogue.chapter[code]);
          break;
        case data::kFraudOriginMisdeclaration: {
          ASSERT_EQ(origin, cn) << "only CN goods carry an additional duty here";
          const std::string& declared_iso = world.country_iso[declared.origin[i]];
          ASSERT_NE(std::find(transit.begin(), transit.end(), declared_iso), transit.end());
          // The departure betrays the origin with route_reveal_probability, or by chance when an
          // unrevealed consignment goes via a hub that happens to be CN.
          const double p = fraud.origin_misdeclaration.route_reveal_probability;
          revealed.Add(p + (1.0 - p) * spec.arrivals.indirect_route_share * world.country_weight[cn],
                       declared.departure[i] == origin);
          break;
        }
        case data::kFraudQuantityMisdeclaration:
          quantity_factor.Add(declared.declared_quantity[i] / quantity);
          break;
        case data::kFraudProhibitedGoods:
          severity.Add(truth.severity[i]);
          break;
        case data::kFraudLowValueSplitting:
          ASSERT_LT(declared.declared_value[i], threshold);
          ASSERT_NEAR(declared.unit_value[i], value / quantity, 1e-5 * value / quantity) << "unit value kept";
          value_share.Add(declared.declared_value[i] / threshold);
          break;
        default:
          ASSERT_EQ(type, 0) << "one typology per declaration";
      }
    }
  }
  for (int t = 0; t < kNumSchemeTypes; ++t) {
    const BernoulliSum& c = count[static_cast<std::size_t>(t)];
    EXPECT_GT(c.observed, 100.0) << data::kFraudTypeNames[t] << " must occur often enough to be tested";
    EXPECT_NEAR(c.observed, c.expected, 5.0 * std::sqrt(c.variance)) << data::kFraudTypeNames[t];
  }
  EXPECT_NEAR(revealed.observed, revealed.expected, 5.0 * std::sqrt(revealed.variance));
  undervaluation_factor.Expect(fraud.undervaluation.factor_min, fraud.undervaluation.factor_max, "undervaluation");
  quantity_factor.Expect(fraud.quantity_misdeclaration.factor_min, fraud.quantity_misdeclaration.factor_max, "quantity");
  severity.Expect(fraud.prohibited_goods.severity_min, fraud.prohibited_goods.severity_max, "severity");
  value_share.Expect(fraud.low_value_splitting.value_share_min, fraud.low_value_splitting.value_share_max,
                     "low-value share");
}

// Compliant consignments: departure is the origin except for indirect routes, whose hub is drawn by
// trade weight, so P(departure != origin) = share x (1 - weight of the origin).
TEST(FraudLibrary, IndirectRoutesFollowTheConfiguredShare) {
  const ScenarioSpec spec = testing::FullFraudScenario({"arrivals.indirect_route_share=0.4"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  BernoulliSum differs;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch.truth().fraud_type[i] != 0) continue;
    const std::uint16_t origin = batch.declared().origin[i];
    differs.Add(0.4 * (1.0 - world.country_weight[origin]), batch.declared().departure[i] != origin);
  }
  EXPECT_NEAR(differs.observed, differs.expected, 5.0 * std::sqrt(differs.variance));
}

TEST(FraudLibrary, DisabledTypologiesNeverOccur) {
  const ScenarioSpec spec = testing::FullFraudScenario(
      {"fraud.prohibited_goods.enabled=false", "fraud.origin_misdeclaration.enabled=false"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  std::size_t frauds = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::uint8_t type = batch.truth().fraud_type[i];
    EXPECT_EQ(type & (data::kFraudProhibitedGoods | data::kFraudOriginMisdeclaration), 0);
    EXPECT_EQ(batch.declared().origin[i], batch.truth().true_origin[i]);
    frauds += type != 0;
  }
  EXPECT_GT(frauds, 100u);
}

// The counters of what was falsified add up to the overall ones (one per declaration; the ring bit,
// who cheated, counts the same frauds again), and severity is caught only where prohibited goods
// were found.
TEST(FraudLibrary, MetricsByTypologyAddUpToTheTotals) {
  const ExperimentResult result = RunExperiment(testing::FullFraudScenario({"run.days=3"}));
  for (const StrategyResult& strategy : result.strategies) {
    const DayMetrics& total = strategy.total;
    TypologyMetrics sum;
    for (int t = 0; t < kNumSchemeTypes; ++t) sum += total.by_typology[static_cast<std::size_t>(t)];
    EXPECT_GT(total.by_typology[7].frauds, 0) << "ring members' frauds";
    EXPECT_LE(total.by_typology[7].frauds, total.frauds);
    EXPECT_EQ(sum.frauds, total.frauds) << strategy.name;
    EXPECT_EQ(sum.hits, total.hits) << strategy.name;
    EXPECT_EQ(sum.duty_evaded_cents, total.duty_evaded_cents) << strategy.name;
    EXPECT_EQ(sum.duty_recovered_cents, total.duty_recovered_cents) << strategy.name;
    const TypologyMetrics& prohibited = total.by_typology[4];
    EXPECT_GT(prohibited.severity_milli, 0);
    EXPECT_EQ(sum.severity_milli, prohibited.severity_milli);
    EXPECT_EQ(prohibited.duty_evaded_cents, 0);
    EXPECT_LE(prohibited.severity_caught_milli, prohibited.severity_milli);
    EXPECT_EQ(prohibited.severity_caught_milli > 0, prohibited.hits > 0);
  }
}

}  // namespace
}  // namespace crsim::sim
