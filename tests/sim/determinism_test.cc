// Every parallel path gives the same result as the sequential one: the generator's columns and the
// experiment's metric series are compared bit for bit across thread counts and chunk sizes.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cstring>

#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

template <typename T>
bool SameBits(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

bool SameBatch(const data::DeclarationBatch& a, const data::DeclarationBatch& b) {
  const auto x = a.declared(), y = b.declared();
  const auto s = a.truth(), t = b.truth();
  return SameBits(x.declaration_id, y.declaration_id) && SameBits(x.trader, y.trader) &&
         SameBits(x.office, y.office) && SameBits(x.hs6, y.hs6) && SameBits(x.hs_chapter, y.hs_chapter) &&
         SameBits(x.origin, y.origin) && SameBits(x.declared_value, y.declared_value) &&
         SameBits(x.declared_quantity, y.declared_quantity) && SameBits(x.unit_value, y.unit_value) &&
         SameBits(x.trader_age_days, y.trader_age_days) && SameBits(s.fraud_type, t.fraud_type) &&
         SameBits(s.true_value, t.true_value) && SameBits(s.true_hs6, t.true_hs6) &&
         SameBits(s.duty_evaded, t.duty_evaded) && SameBits(x.departure, y.departure) &&
         SameBits(s.true_quantity, t.true_quantity) && SameBits(s.true_origin, t.true_origin) &&
         SameBits(s.severity, t.severity) && SameBits(x.declarant, y.declarant);
}

data::DeclarationBatch GenerateWith(int threads, std::size_t chunk_size, std::int64_t day,
                                    const ScenarioSpec& spec = testing::SmallScenario()) {
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  tbb::task_arena arena(threads);
  arena.execute([&] { generator.GenerateDay(day, batch, chunk_size); });
  return batch;
}

TEST(Determinism, GeneratorColumnsAreIdenticalForAnyThreadCountAndChunkSize) {
  for (const std::int64_t day : {0, 4}) {
    const data::DeclarationBatch sequential = GenerateWith(1, 1 << 20, day);
    ASSERT_GT(sequential.size(), 10000u);
    for (const int threads : {1, 2, 3}) {
      for (const std::size_t chunk : {64u, 1000u, 16384u}) {
        EXPECT_TRUE(SameBatch(sequential, GenerateWith(threads, chunk, day)))
            << "day " << day << ", " << threads << " threads, chunk " << chunk;
      }
    }
  }
}

TEST(Determinism, GeneratorWithEveryTypologyIsIdenticalForOneAndTwoThreads) {
  const ScenarioSpec spec =
      testing::FullFraudScenario({"fraud.phoenix.enabled=true", "fraud.phoenix.volume_share=0.05"});
  const data::DeclarationBatch sequential = GenerateWith(1, 1 << 20, 3, spec);
  std::size_t typologies = 0;
  for (const std::uint8_t type : sequential.truth().fraud_type) typologies |= type;
  ASSERT_EQ(typologies, (1u << data::kNumFraudTypes) - 1) << "every typology occurs";
  EXPECT_TRUE(SameBatch(sequential, GenerateWith(2, 1000, 3, spec)));
}

TEST(Determinism, GeneratorWithTheEcommerceStreamIsIdenticalForOneAndTwoThreads) {
  const ScenarioSpec spec = testing::FullFraudScenario(testing::EcommerceStreamOverrides());
  const data::DeclarationBatch sequential = GenerateWith(1, 1 << 20, 3, spec);
  ASSERT_GT(sequential.size(), 50000u);
  EXPECT_TRUE(SameBatch(sequential, GenerateWith(2, 1000, 3, spec)));
  EXPECT_TRUE(SameBatch(sequential, GenerateWith(2, 64, 3, spec)));
}

ExperimentResult RunWith(int threads, std::int64_t chunk_size, bool full_fraud = false,
                         const std::vector<std::string>& more = {}) {
  std::vector<std::string> overrides = {"run.chunk_size=" + std::to_string(chunk_size)};
  overrides.insert(overrides.end(), more.begin(), more.end());
  const ScenarioSpec spec = full_fraud ? testing::FullFraudScenario(overrides) : testing::SmallScenario(overrides);
  tbb::task_arena arena(threads);
  ExperimentResult result;
  arena.execute([&] { result = RunExperiment(spec); });
  return result;
}

TEST(Determinism, MetricSeriesAreIdenticalForAnyThreadCountAndChunkSize) {
  const ExperimentResult reference = RunWith(1, 16384);
  ASSERT_EQ(reference.strategies.size(), 3u);
  for (const auto& [threads, chunk] : {std::pair{2, 16384}, std::pair{2, 700}, std::pair{1, 700}}) {
    const ExperimentResult other = RunWith(threads, chunk);
    ASSERT_EQ(other.strategies.size(), reference.strategies.size());
    EXPECT_EQ(other.declarations, reference.declarations);
    for (std::size_t s = 0; s < reference.strategies.size(); ++s) {
      EXPECT_EQ(other.strategies[s].daily, reference.strategies[s].daily)
          << reference.strategies[s].name << " with " << threads << " threads, chunk " << chunk;
      EXPECT_EQ(other.strategies[s].total, reference.strategies[s].total);
    }
  }
}

TEST(Determinism, MetricsByTypologyAreIdenticalForOneAndTwoThreads) {
  const ExperimentResult one = RunWith(1, 16384, true);
  const ExperimentResult two = RunWith(2, 700, true);
  ASSERT_EQ(one.strategies.size(), two.strategies.size());
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    EXPECT_GT(one.strategies[s].total.by_typology[2].frauds, 0) << "origin misdeclaration occurs";
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;  // includes by_typology
  }
}

TEST(Determinism, MetricsWithTheEcommerceStreamAreIdenticalForOneAndTwoThreads) {
  const std::vector<std::string> stream = testing::EcommerceStreamOverrides();
  const ExperimentResult one = RunWith(1, 16384, true, stream);
  const ExperimentResult two = RunWith(2, 700, true, stream);
  ASSERT_EQ(one.strategies.size(), two.strategies.size());
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;
  }
}

TEST(Determinism, StrategiesSeeIdenticalArrivals) {
  const ExperimentResult result = RunWith(2, 16384);
  for (std::size_t day = 0; day < result.strategies[0].daily.size(); ++day) {
    for (const StrategyResult& strategy : result.strategies) {
      EXPECT_EQ(strategy.daily[day].declarations, result.strategies[0].daily[day].declarations);
      EXPECT_EQ(strategy.daily[day].frauds, result.strategies[0].daily[day].frauds);
      EXPECT_EQ(strategy.daily[day].duty_evaded_cents, result.strategies[0].daily[day].duty_evaded_cents);
    }
  }
}

TEST(Determinism, DifferentSeedsGiveDifferentRuns) {
  const ScenarioSpec a = testing::SmallScenario({"run.days=2"});
  const ScenarioSpec b = testing::SmallScenario({"run.days=2", "run.seed=8"});
  EXPECT_NE(RunExperiment(a).strategies[0].daily, RunExperiment(b).strategies[0].daily);
}

}  // namespace
}  // namespace crsim::sim
