// Limit cases whose answer is known exactly: capacity is a hard bound, perfect controls of
// everything find every fraud, and without fraud nothing is found.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/strategy.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

// Every strategy inspects exactly min(capacity, declarations) at every office, never more.
TEST(Limits, CapacityIsNeverExceededAndFullyUsed) {
  const ScenarioSpec spec = testing::FullFraudScenario({"run.days=2"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  const CounterRandom random(spec.run.seed);
  data::DeclarationBatch batch;
  generator.GenerateDay(1, batch, 4096);
  std::vector<float> priority(batch.size()), score(batch.size());
  FillRandomPriority(random, 1, priority);
  for (std::size_t i = 0; i < score.size(); ++i) score[i] = static_cast<float>(i % 97) / 97.0f;  // many ties
  for (const std::vector<std::uint32_t>& capacity :
       {std::vector<std::uint32_t>{60, 60, 60, 50, 50}, std::vector<std::uint32_t>{0, 1, 100000, 7, 0}}) {
    for (const std::string& name : RegisteredStrategyNames()) {
      SCOPED_TRACE(name);
      const auto strategy = MakeStrategy(name, spec);
      std::vector<std::uint8_t> selected(batch.size(), 0);
      strategy->Select({batch.declared(), score, priority, capacity}, selected);
      std::vector<std::uint32_t> per_office(capacity.size(), 0), rows(capacity.size(), 0);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        ++rows[batch.declared().office[i]];
        per_office[batch.declared().office[i]] += selected[i];
      }
      for (std::size_t office = 0; office < capacity.size(); ++office) {
        EXPECT_EQ(per_office[office], std::min(capacity[office], rows[office])) << "office " << office;
      }
    }
  }
}

TEST(Limits, InspectingEverythingWithPerfectDetectionFindsEveryFraud) {
  std::vector<std::string> overrides = {"run.days=3", "administrations[0].inspection_capacity=10000000",
                                        "administrations[1].inspection_capacity=10000000"};
  for (const char* type : {"undervaluation", "misclassification", "origin_misdeclaration", "quantity_misdeclaration",
                           "prohibited_goods", "low_value_splitting"}) {
    overrides.push_back(std::string("inspection.detection_probability.") + type + "=1.0");
  }
  const ExperimentResult result = RunExperiment(testing::FullFraudScenario(overrides));
  for (const StrategyResult& strategy : result.strategies) {
    SCOPED_TRACE(strategy.name);
    ASSERT_GT(strategy.total.frauds, 100);
    EXPECT_EQ(strategy.total.inspections, strategy.total.declarations);
    EXPECT_EQ(strategy.total.hits, strategy.total.frauds);
    EXPECT_DOUBLE_EQ(strategy.total.true_detection_rate(), 1.0);
    EXPECT_EQ(strategy.total.duty_recovered_cents, strategy.total.duty_evaded_cents);
  }
}

TEST(Limits, WithoutFraudNothingIsFound) {
  const ExperimentResult result =
      RunExperiment(testing::SmallScenario({"run.days=3", "fraud.fraud_prone_rate=0", "fraud.honest_rate=0"}));
  for (const StrategyResult& strategy : result.strategies) {
    SCOPED_TRACE(strategy.name);
    EXPECT_GT(strategy.total.inspections, 0);
    EXPECT_EQ(strategy.total.frauds, 0);
    EXPECT_EQ(strategy.total.hits, 0);
    EXPECT_EQ(strategy.total.duty_evaded_cents, 0);
    EXPECT_EQ(strategy.total.compliant_inspected, strategy.total.inspections);
  }
}

}  // namespace
}  // namespace crsim::sim
