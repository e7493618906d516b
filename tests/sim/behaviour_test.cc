// Behaviour on the baseline scenario: risk-based selection must beat random selection, and random
// selection must find fraud at the rate the truth says it should.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/strategy.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

const StrategyResult& Find(const ExperimentResult& result, const std::string& name) {
  for (const StrategyResult& strategy : result.strategies) {
    if (strategy.name == name) return strategy;
  }
  throw std::runtime_error("no strategy " + name);
}

TEST(Behaviour, TopKBeatsRandomOnTheBaselineScenario) {
  const ScenarioSpec spec = testing::BaselineScenario({"run.days=7"});
  const ExperimentResult result = RunExperiment(spec);
  const DayMetrics& random = Find(result, "random").total;
  const DayMetrics& topk = Find(result, "topk").total;
  const DayMetrics& hybrid = Find(result, "hybrid").total;
  ASSERT_GT(random.inspections, 1000);
  EXPECT_EQ(random.inspections, topk.inspections) << "same capacity, fully used";
  // Risk-based targeting must do much better than chance, on every KPI the mission cares about.
  EXPECT_GT(topk.hit_rate(), 2.0 * random.hit_rate());
  EXPECT_GT(topk.revenue_recall(), 2.0 * random.revenue_recall());
  EXPECT_LT(topk.compliant_inspected, random.compliant_inspected);
  // The hybrid spends part of its capacity at random, so it lies between the two.
  EXPECT_GT(hybrid.hit_rate(), random.hit_rate());
  EXPECT_LT(hybrid.hit_rate(), topk.hit_rate());
}

// Random selection draws capacity[o] declarations uniformly within each office o, so the expected
// number of frauds it inspects is sum_o k_o * prevalence_o (k_o inspections at office o), and the
// expected hits weight each fraud by its detection probability. Sampling within an office is
// without replacement, so the binomial variance used here is an upper bound: 5 sd is conservative.
TEST(Behaviour, RandomFindsFraudAtTheTruePrevalence) {
  const ScenarioSpec spec = testing::BaselineScenario({"run.days=4"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  const Inspector inspector(spec);
  const CounterRandom random(spec.run.seed);
  const auto strategy = MakeStrategy("random", spec);
  std::vector<std::uint32_t> capacity;
  for (const Office& office : world.offices) capacity.push_back(office.inspection_capacity);
  const double detection[] = {spec.inspection.detection_probability.undervaluation,
                              spec.inspection.detection_probability.misclassification};

  data::DeclarationBatch batch;
  InspectionOutcomes outcomes;
  std::vector<float> priority;
  double inspections = 0, frauds_inspected = 0, hits = 0;
  double expected_frauds = 0, fraud_variance = 0, expected_hits = 0, hit_variance = 0;
  for (std::int64_t day = 0; day < spec.run.days; ++day) {
    generator.GenerateDay(day, batch, 16384);
    priority.resize(batch.size());
    FillRandomPriority(random, day, priority);
    outcomes.Reset(batch.size());
    strategy->Select({batch.declared(), {}, priority, capacity}, outcomes.inspected.span());
    const DayMetrics metrics = inspector.InspectAndMeasure(day, batch.declared(), batch.truth(), outcomes);
    inspections += static_cast<double>(metrics.inspections);
    frauds_inspected += static_cast<double>(metrics.frauds_inspected);
    hits += static_cast<double>(metrics.hits);

    std::vector<double> declarations(capacity.size()), frauds(capacity.size()), detectable(capacity.size()),
        inspected(capacity.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const std::uint16_t office = batch.declared().office[i];
      declarations[office] += 1;
      inspected[office] += outcomes.inspected[i];
      const std::uint8_t type = batch.truth().fraud_type[i];
      if (type != 0) {
        frauds[office] += 1;
        detectable[office] += detection[type == data::kFraudUndervaluation ? 0 : 1];
      }
    }
    for (std::size_t office = 0; office < capacity.size(); ++office) {
      const double p = frauds[office] / declarations[office];
      const double q = detectable[office] / declarations[office];
      expected_frauds += inspected[office] * p;
      fraud_variance += inspected[office] * p * (1 - p);
      expected_hits += inspected[office] * q;
      hit_variance += inspected[office] * q * (1 - q);
    }
  }
  ASSERT_GT(inspections, 1000);
  EXPECT_NEAR(frauds_inspected, expected_frauds, 5.0 * std::sqrt(fraud_variance));
  EXPECT_NEAR(hits, expected_hits, 5.0 * std::sqrt(hit_variance));
}

}  // namespace
}  // namespace crsim::sim
