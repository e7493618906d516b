#include "crsim/sim/replications.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <vector>

#include "small_scenario.h"

namespace crsim::sim {
namespace {

TEST(StudentT, MatchesTablesAndTendsToTheNormalQuantile) {
  EXPECT_DOUBLE_EQ(StudentT975(1), 12.706);
  EXPECT_DOUBLE_EQ(StudentT975(4), 2.776);
  EXPECT_DOUBLE_EQ(StudentT975(30), 2.042);
  // Published values: t(0.975, 40) = 2.021, 60 -> 2.000, 120 -> 1.980.
  EXPECT_NEAR(StudentT975(40), 2.021, 1e-3);
  EXPECT_NEAR(StudentT975(60), 2.000, 1e-3);
  EXPECT_NEAR(StudentT975(120), 1.980, 1e-3);
  EXPECT_NEAR(StudentT975(1000000), 1.95996, 1e-4);
  EXPECT_LT(StudentT975(31), StudentT975(30)) << "monotone across the table's end";
  EXPECT_TRUE(std::isnan(StudentT975(0)));
}

TEST(MeanConfidenceInterval, HandComputedExample) {
  // 1..5: mean 3, sample sd sqrt(2.5), standard error sqrt(0.5), t(0.975, 4) = 2.776.
  const std::vector<double> values = {1, 2, 3, 4, 5};
  const Interval interval = MeanConfidenceInterval(values);
  EXPECT_DOUBLE_EQ(interval.mean, 3.0);
  EXPECT_NEAR(interval.high - interval.mean, 2.776 * std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(interval.mean - interval.low, 2.776 * std::sqrt(0.5), 1e-12);
  const std::vector<double> one = {7.0};
  EXPECT_DOUBLE_EQ(MeanConfidenceInterval(one).mean, 7.0);
  EXPECT_TRUE(std::isnan(MeanConfidenceInterval(one).low));
}

TEST(Replications, ReplicationZeroIsTheSingleRunAndOthersDiffer) {
  const ScenarioSpec spec = testing::SmallScenario({"run.days=3"});
  const ExperimentResult single = RunExperiment(spec);
  const ExperimentResult zero = RunExperiment(spec, 0);
  const ExperimentResult one = RunExperiment(spec, 1);
  for (std::size_t s = 0; s < single.strategies.size(); ++s) {
    EXPECT_EQ(single.strategies[s].daily, zero.strategies[s].daily);
  }
  EXPECT_NE(zero.strategies[0].daily, one.strategies[0].daily);
}

TEST(Replications, EachReplicationIsIdenticalForAnyThreadCount) {
  const ScenarioSpec spec = testing::SmallScenario({"run.days=3"});
  ExperimentResult sequential, parallel;
  tbb::task_arena(1).execute([&] { sequential = RunExperiment(spec, 2); });
  tbb::task_arena(2).execute([&] { parallel = RunExperiment(spec, 2); });
  for (std::size_t s = 0; s < sequential.strategies.size(); ++s) {
    EXPECT_EQ(sequential.strategies[s].daily, parallel.strategies[s].daily);
  }
}

TEST(Replications, PairedDifferencesAreMeansOfPerReplicationDifferences) {
  const ScenarioSpec spec = testing::SmallScenario({"run.days=4"});
  std::vector<ExperimentResult> results;
  for (std::uint32_t r = 0; r < 5; ++r) results.push_back(RunExperiment(spec, r));
  const ReplicationSummary summary = SummarizeReplications(results);
  EXPECT_EQ(summary.replications, 5);
  ASSERT_EQ(summary.strategies, (std::vector<std::string>{"random", "topk", "hybrid"}));
  // topk - random on hit rate: recompute by hand.
  std::vector<double> differences;
  for (const ExperimentResult& result : results) {
    differences.push_back(result.strategies[1].total.hit_rate() - result.strategies[0].total.hit_rate());
  }
  const Interval expected = MeanConfidenceInterval(differences);
  bool found = false;
  for (const PairedDifference& pair : summary.paired) {
    if (pair.first == "random" && pair.second == "topk" && pair.kpi == "hit_rate") {
      found = true;
      EXPECT_DOUBLE_EQ(pair.difference.mean, -expected.mean);
      // Risk targeting beats random selection in every replication of this scenario, so the
      // paired interval lies entirely below zero.
      EXPECT_LT(pair.difference.high, 0.0);
    }
    EXPECT_NE(pair.kpi, "declarations") << "shared by all strategies: no paired difference";
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(summary.kpis.size(), KpiDefinitions().size());
  EXPECT_EQ(summary.kpis[0].kpi, "declarations");
  EXPECT_DOUBLE_EQ(summary.kpis[0].strategy[0].mean, summary.kpis[0].strategy[1].mean);
  const std::string table = FormatReplicationSummary(summary);
  EXPECT_NE(table.find("5 replications"), std::string::npos);
  EXPECT_NE(table.find("random - topk"), std::string::npos);
}

}  // namespace
}  // namespace crsim::sim
