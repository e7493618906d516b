// The e-commerce (low-value consignment) stream of [arrivals.ecommerce]: off, it changes nothing;
// on, it changes no ordinary record, and its volume, value distribution and fraud prevalence are
// those of the scenario within sampling error.
#include "crsim/sim/ecommerce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

template <typename T>
bool SamePrefix(std::span<const T> a, std::span<const T> b, std::size_t rows) {
  return a.size() >= rows && b.size() >= rows && std::memcmp(a.data(), b.data(), rows * sizeof(T)) == 0;
}

// The first `rows` rows of every column are bit-identical.
bool SameRows(const data::DeclarationBatch& a, const data::DeclarationBatch& b, std::size_t rows) {
  const auto x = a.declared(), y = b.declared();
  const auto s = a.truth(), t = b.truth();
  return SamePrefix(x.declaration_id, y.declaration_id, rows) && SamePrefix(x.trader, y.trader, rows) &&
         SamePrefix(x.office, y.office, rows) && SamePrefix(x.hs6, y.hs6, rows) &&
         SamePrefix(x.origin, y.origin, rows) && SamePrefix(x.declared_value, y.declared_value, rows) &&
         SamePrefix(x.declared_quantity, y.declared_quantity, rows) && SamePrefix(x.trader_age_days, y.trader_age_days, rows) &&
         SamePrefix(x.declarant, y.declarant, rows) && SamePrefix(x.departure, y.departure, rows) &&
         SamePrefix(s.fraud_type, t.fraud_type, rows) && SamePrefix(s.true_value, t.true_value, rows) &&
         SamePrefix(s.duty_evaded, t.duty_evaded, rows) && SamePrefix(s.severity, t.severity, rows);
}

// The full-fraud scenario already has the relief threshold (150 EUR), prohibited goods (weight 0.1)
// and low-value splitting (0.3) on; undervaluation keeps its default weight 0.6.
const std::vector<std::string> kStream = testing::EcommerceStreamOverrides();

std::vector<std::string> With(std::vector<std::string> overrides, const std::vector<std::string>& more) {
  overrides.insert(overrides.end(), more.begin(), more.end());
  return overrides;
}

data::DeclarationBatch Generate(const ScenarioSpec& spec, std::int64_t day, std::size_t* ecommerce_rows = nullptr) {
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  generator.GenerateDay(day, batch, 4096);
  if (ecommerce_rows != nullptr) *ecommerce_rows = generator.last_day_ecommerce();
  return batch;
}

TEST(Ecommerce, AStreamAtRateZeroChangesNothing) {
  const ScenarioSpec off = testing::FullFraudScenario();
  ScenarioSpec zero = testing::FullFraudScenario(
      {"arrivals.ecommerce.declarations_per_day=0", "arrivals.ecommerce.consignees=1000", "arrivals.ecommerce.fraud_rate=0.5"});
  EXPECT_EQ(BuildWorld(zero).traders.size(), BuildWorld(off).traders.size());
  EXPECT_EQ(BuildWorld(zero).declarants, BuildWorld(off).declarants);
  const data::DeclarationBatch a = Generate(off, 3);
  const data::DeclarationBatch b = Generate(zero, 3);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_TRUE(SameRows(a, b, a.size()));
}

// Common random numbers between worlds with and without the stream: every ordinary record is the
// same, the stream's records follow them.
TEST(Ecommerce, TurningTheStreamOnChangesNoOrdinaryRecord) {
  const ScenarioSpec off = testing::FullFraudScenario();
  const ScenarioSpec on = testing::FullFraudScenario(kStream);
  std::size_t ecommerce_rows = 0;
  const data::DeclarationBatch a = Generate(off, 2);
  const data::DeclarationBatch b = Generate(on, 2, &ecommerce_rows);
  ASSERT_GT(ecommerce_rows, 30000u);
  ASSERT_EQ(b.size(), a.size() + ecommerce_rows);
  EXPECT_TRUE(SameRows(a, b, a.size()));
  for (std::size_t i = 0; i < b.size(); ++i) {
    ASSERT_EQ(b.declared().declaration_id[i], (std::uint64_t{2} << 32) | i);
  }
}

// Volume, value distribution, parties, goods and fraud prevalence over 4 days of 40 000 a day.
// Tolerances are 5 standard errors (false alarm below 1e-6 each).
TEST(Ecommerce, VolumeValuesPartiesAndFraudMatchTheScenario) {
  const ScenarioSpec spec = testing::FullFraudScenario(kStream);
  const World world = BuildWorld(spec);
  ASSERT_EQ(world.traders.size(), 3000u + 50000u);
  ASSERT_EQ(world.ordinary_traders, 3000u);
  ASSERT_EQ(world.declarants, world.ecommerce_first_declarant + 5u);
  Generator generator(world, spec);
  const std::int64_t days = 4;
  double rows = 0.0, below = 0.0, frauds = 0.0, expected_frauds = 0.0, fraud_variance = 0.0;
  double prohibited = 0.0, chapter11 = 0.0, from_cn = 0.0;
  std::set<std::uint32_t> consignees;
  const float threshold = 150.0f;
  const double prohibited_share = 0.1 / (0.6 + 0.1 + 0.3);  // undervaluation 0.6 (default), prohibited, splitting
  const std::uint16_t cn = 0;
  data::DeclarationBatch batch;
  for (std::int64_t day = 0; day < days; ++day) {
    generator.GenerateDay(day, batch, 4096);
    const std::size_t n = generator.last_day_ecommerce();
    const auto declared = batch.declared();
    const auto truth = batch.truth();
    for (std::size_t i = batch.size() - n; i < batch.size(); ++i) {
      rows += 1.0;
      const std::uint32_t trader = declared.trader[i];
      ASSERT_GE(trader, world.ordinary_traders);
      ASSERT_GE(declared.declarant[i], world.ecommerce_first_declarant);
      ASSERT_LT(declared.declarant[i], world.declarants);
      const std::string& office = world.offices[declared.office[i]].name;
      ASSERT_TRUE(office == "AA-2" || office == "BB-1") << office;
      const std::uint8_t chapter = declared.hs_chapter[i];
      ASSERT_TRUE(chapter == 6 || chapter == 11 || chapter == 16) << int{chapter};
      ASSERT_TRUE(truth.true_origin[i] == cn || world.country_iso[truth.true_origin[i]] == "US");
      consignees.insert(trader);
      chapter11 += chapter == 11 ? 1.0 : 0.0;
      from_cn += truth.true_origin[i] == cn ? 1.0 : 0.0;
      const float value = truth.true_value[i];
      below += value < threshold ? 1.0 : 0.0;
      // Given the record's value and code, an attempt (rate 0.1) is a fraud with probability
      // prohibited share + (1 - share) x [a revenue typology is available].
      const std::uint32_t hs6 = truth.true_hs6[i];
      const bool any_duty = world.catalogue.tariff_rate[hs6] > 0.0f || world.catalogue.specific_duty[hs6] > 0.0f ||
                            world.duties.Find(world.catalogue.chapter[hs6], truth.true_origin[i]) != nullptr;
      const bool revenue = !(value < threshold) && any_duty;
      const double p = 0.1 * (prohibited_share + (1.0 - prohibited_share) * (revenue ? 1.0 : 0.0));
      expected_frauds += p;
      fraud_variance += p * (1.0 - p);
      const std::uint8_t type = truth.fraud_type[i];
      frauds += type != 0 ? 1.0 : 0.0;
      prohibited += type == data::kFraudProhibitedGoods ? 1.0 : 0.0;
      if (type == data::kFraudUndervaluation || type == data::kFraudLowValueSplitting) {
        EXPECT_LT(declared.declared_value[i], threshold);
        EXPECT_GT(truth.duty_evaded[i], 0.0f);
        if (type == data::kFraudUndervaluation) {
          EXPECT_EQ(declared.declared_quantity[i], truth.true_quantity[i]);
        }
      } else {
        EXPECT_EQ(declared.declared_value[i], value);
        EXPECT_EQ(truth.duty_evaded[i], 0.0f);
      }
    }
  }
  // Volume: 4 Poisson(40 000) days.
  const double mean = 40000.0 * static_cast<double>(days);
  EXPECT_NEAR(rows, mean, 5.0 * std::sqrt(mean));
  // Value: log-normal(4, 0.8), P(V < 150) = Phi((ln 150 - 4) / 0.8).
  const double p_below = 0.5 * std::erfc(-(std::log(150.0) - 4.0) / 0.8 / std::sqrt(2.0));
  EXPECT_NEAR(below / rows, p_below, 5.0 * std::sqrt(p_below * (1.0 - p_below) / rows));
  // Goods, origins: chapter 11 has weight 2 of 4; CN 3 of 4.
  EXPECT_NEAR(chapter11 / rows, 0.5, 5.0 * std::sqrt(0.25 / rows));
  EXPECT_NEAR(from_cn / rows, 0.75, 5.0 * std::sqrt(0.75 * 0.25 / rows));
  // Consignees: 160 000 draws among 50 000 leave about 50 000 (1 - e^-3.2) = 47 962 distinct.
  EXPECT_NEAR(static_cast<double>(consignees.size()), 50000.0 * (1.0 - std::exp(-rows / 50000.0)), 500.0);
  // Fraud.
  EXPECT_NEAR(frauds, expected_frauds, 5.0 * std::sqrt(fraud_variance));
  const double p_prohibited = 0.1 * prohibited_share;
  EXPECT_NEAR(prohibited / rows, p_prohibited, 5.0 * std::sqrt(p_prohibited * (1.0 - p_prohibited) / rows));
}

// The stream's metrics (DayMetrics::ecommerce) count exactly its lodged declarations, frauds, duty
// evaded and prohibited goods (recounted here from the same batches), and its controls are part of
// the totals; with the stream off they are zero.
TEST(Ecommerce, StreamMetricsCountTheStreamsDeclarations) {
  const ScenarioSpec spec = testing::FullFraudScenario(With(kStream, {"run.days=3", "run.warmup_days=1"}));
  const ExperimentResult result = RunExperiment(spec);
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  StreamCounters expected;
  for (std::int64_t day = 1; day < 3; ++day) {
    generator.GenerateDay(day, batch, 4096);
    const auto truth = batch.truth();
    for (std::size_t i = batch.size() - generator.last_day_ecommerce(); i < batch.size(); ++i) {
      expected.declarations += 1;
      expected.frauds += truth.fraud_type[i] != 0 ? 1 : 0;
      expected.duty_evaded_cents += std::llround(static_cast<double>(truth.duty_evaded[i]) * 100.0);
      expected.prohibited_frauds += truth.fraud_type[i] == data::kFraudProhibitedGoods ? 1 : 0;
    }
  }
  ASSERT_GT(expected.frauds, 1000);
  for (const StrategyResult& strategy : result.strategies) {
    const StreamCounters& stream = strategy.total.ecommerce;
    EXPECT_EQ(stream.declarations, expected.declarations) << strategy.name;
    EXPECT_EQ(stream.frauds, expected.frauds) << strategy.name;
    EXPECT_EQ(stream.duty_evaded_cents, expected.duty_evaded_cents) << strategy.name;
    EXPECT_EQ(stream.prohibited_frauds, expected.prohibited_frauds) << strategy.name;
    EXPECT_GT(stream.inspections, 0) << strategy.name;
    EXPECT_LE(stream.inspections, strategy.total.inspections) << strategy.name;
    EXPECT_LE(stream.hits, std::min(stream.inspections, stream.frauds)) << strategy.name;
    EXPECT_LE(stream.prohibited_hits, stream.prohibited_frauds) << strategy.name;
    const DayMetrics ordinary = StreamPartMetrics(strategy.total, false);
    EXPECT_EQ(ordinary.declarations + stream.declarations, strategy.total.declarations);
    EXPECT_EQ(ordinary.hits + stream.hits, strategy.total.hits);
  }
  const ExperimentResult off = RunExperiment(testing::FullFraudScenario({"run.days=2"}));
  EXPECT_EQ(off.strategies[0].total.ecommerce, StreamCounters{});
}

}  // namespace
}  // namespace crsim::sim
