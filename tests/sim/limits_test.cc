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
  std::vector<float> trader_mean(world.traders.size(), 0.1f);
  std::vector<std::uint32_t> trader_inspections(world.traders.size(), 3);
  std::vector<std::uint8_t> tipped(batch.size(), 0);
  for (std::size_t i = 0; i < tipped.size(); i += 11) tipped[i] = 1;
  for (const std::vector<std::uint32_t>& capacity :
       {std::vector<std::uint32_t>{60, 60, 60, 50, 50}, std::vector<std::uint32_t>{0, 1, 100000, 7, 0}}) {
    for (const std::string& name : RegisteredStrategyNames()) {
      SCOPED_TRACE(name);
      const auto strategy = MakeStrategy(name, spec);
      std::vector<std::uint8_t> selected(batch.size(), 0);
      SelectionInputs inputs{batch.declared(), score, priority, capacity};
      inputs.trader_mean = trader_mean;
      inputs.trader_inspections = trader_inspections;
      inputs.trader_aeo = world.traders.aeo;
      inputs.tipped = tipped;
      inputs.random = &random;
      inputs.day = 1;
      strategy->Select(inputs, selected);
      std::vector<std::uint32_t> per_office(capacity.size(), 0), rows(capacity.size(), 0);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        ++rows[batch.declared().office[i]];
        per_office[batch.declared().office[i]] += selected[i];
      }
      for (std::size_t office = 0; office < capacity.size(); ++office) {
        // threshold leaves capacity unused when too few scores exceed its threshold (never more).
        if (name == "threshold") {
          EXPECT_LE(per_office[office], std::min(capacity[office], rows[office])) << "office " << office;
        } else {
          EXPECT_EQ(per_office[office], std::min(capacity[office], rows[office])) << "office " << office;
        }
      }
    }
  }
}

void ExpectEveryFraudFound(const std::string& channel_capacity, const char* detection_table) {
  std::vector<std::string> overrides = {
      "run.days=3", "run.strategies=[\"random\", \"topk\", \"hybrid\", \"bandit\", \"aeo\", \"intelligence\"]",
      "traders.aeo_share=0.1", "intelligence.coverage=0.3", "intelligence.precision=0.5", "strategy.aeo.selection_factor=1.0",
      "administrations[0]." + channel_capacity + "=10000000", "administrations[1]." + channel_capacity + "=10000000"};
  if (channel_capacity != "inspection_capacity") {
    overrides.push_back("administrations[0].inspection_capacity=0");
    overrides.push_back("administrations[1].inspection_capacity=0");
  }
  for (const char* type : {"undervaluation", "misclassification", "origin_misdeclaration", "quantity_misdeclaration",
                           "prohibited_goods", "low_value_splitting"}) {
    overrides.push_back(std::string("inspection.") + detection_table + "." + type + "=1.0");
  }
  const ExperimentResult result = RunExperiment(testing::FullFraudScenario(overrides));
  for (const StrategyResult& strategy : result.strategies) {
    SCOPED_TRACE(strategy.name + " with " + channel_capacity);
    ASSERT_GT(strategy.total.frauds, 100);
    EXPECT_EQ(strategy.total.inspections, strategy.total.declarations);
    EXPECT_EQ(strategy.total.hits, strategy.total.frauds);
    EXPECT_DOUBLE_EQ(strategy.total.true_detection_rate(), 1.0);
    EXPECT_EQ(strategy.total.duty_recovered_cents, strategy.total.duty_evaded_cents);
  }
}

// Every strategy, in the red (physical) channel and, with no red capacity, in the yellow
// (documentary) channel: capacity for every declaration and perfect detection find every fraud.
TEST(Limits, InspectingEverythingWithPerfectDetectionFindsEveryFraud) {
  ExpectEveryFraudFound("inspection_capacity", "detection_probability");
  ExpectEveryFraudFound("documentary_capacity", "documentary_detection_probability");
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
