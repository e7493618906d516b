#include "crsim/sim/replications.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <vector>

#include "crsim/sim/report.h"
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


// The row of `kpi` in a group of the summary.
const StrategyKpiSummary& RowOf(const GroupKpiSummary& group, const std::string& kpi) {
  for (const StrategyKpiSummary& row : group.kpis) {
    if (row.kpi == kpi) return row;
  }
  ADD_FAILURE() << "no row " << kpi << " in " << group.group;
  return group.kpis.front();
}

TEST(Replications, PerAdministrationAndPerTypologyRowsAreMeansOverReplications) {
  // The small scenario has administrations AA and BB.
  const ScenarioSpec spec = testing::SmallScenario({"run.days=4"});
  ASSERT_EQ(spec.administrations.size(), 2u);
  std::vector<ExperimentResult> results;
  for (std::uint32_t r = 0; r < 4; ++r) results.push_back(RunExperiment(spec, r));
  const ReplicationSummary summary = SummarizeReplications(spec, results);
  ASSERT_EQ(summary.by_administration.size(), 2u);
  EXPECT_EQ(summary.by_administration[0].group, "AA");
  EXPECT_EQ(summary.by_administration[1].group, "BB");
  const auto ranges = AdministrationOfficeRanges(spec);
  const auto row_of = RowOf;
  for (std::size_t a = 0; a < 2; ++a) {
    for (std::size_t s = 0; s < summary.strategies.size(); ++s) {
      // True detection rate of administration a by hand, over replications.
      std::vector<double> rates, frauds;
      for (const ExperimentResult& result : results) {
        const DayMetrics part = OfficeRangeMetrics(result.strategies[s].total, ranges[a].first, ranges[a].second);
        rates.push_back(part.true_detection_rate());
        frauds.push_back(static_cast<double>(part.frauds));
      }
      const Interval expected = MeanConfidenceInterval(rates);
      const Interval got = row_of(summary.by_administration[a], "true_detection_rate").strategy[s];
      EXPECT_DOUBLE_EQ(got.mean, expected.mean);
      EXPECT_DOUBLE_EQ(got.low, expected.low);
      EXPECT_DOUBLE_EQ(got.high, expected.high);
      EXPECT_DOUBLE_EQ(row_of(summary.by_administration[a], "frauds").strategy[s].mean,
                       MeanConfidenceInterval(frauds).mean);
    }
  }
  // The administrations' mean frauds and hits add up to the union's.
  for (std::size_t s = 0; s < summary.strategies.size(); ++s) {
    for (const char* kpi : {"frauds", "inspections"}) {
      double union_mean = 0.0;
      for (const StrategyKpiSummary& row : summary.kpis) {
        if (row.kpi == kpi) union_mean = row.strategy[s].mean;
      }
      EXPECT_NEAR(row_of(summary.by_administration[0], kpi).strategy[s].mean +
                      row_of(summary.by_administration[1], kpi).strategy[s].mean,
                  union_mean, 1e-9 * union_mean)
          << kpi;
    }
  }
  // Typologies: every one with a fraud, in typology order, with hits by hand.
  std::vector<std::string> expected_typologies;
  for (std::size_t t = 0; t < data::kNumFraudTypes; ++t) {
    if (results.front().strategies.front().total.by_typology[t].frauds > 0) expected_typologies.push_back(data::kFraudTypeNames[t]);
  }
  ASSERT_GE(expected_typologies.size(), 2u);
  ASSERT_EQ(summary.by_typology.size(), expected_typologies.size());
  for (std::size_t g = 0; g < summary.by_typology.size(); ++g) {
    const GroupKpiSummary& group = summary.by_typology[g];
    EXPECT_EQ(group.group, expected_typologies[g]);
    std::size_t t = 0;
    while (data::kFraudTypeNames[t] != group.group) ++t;
    std::vector<double> hits;
    for (const ExperimentResult& result : results) hits.push_back(static_cast<double>(result.strategies[1].total.by_typology[t].hits));
    EXPECT_DOUBLE_EQ(row_of(group, "hits").strategy[1].mean, MeanConfidenceInterval(hits).mean) << group.group;
  }
  // Paired differences of the group rows: only the listed KPIs, each naming its group.
  ASSERT_FALSE(summary.paired_by_administration.empty());
  ASSERT_FALSE(summary.paired_by_typology.empty());
  for (const std::vector<PairedDifference>* paired : {&summary.paired_by_administration, &summary.paired_by_typology}) {
    for (const PairedDifference& pair : *paired) {
      EXPECT_FALSE(pair.group.empty());
      bool listed = false;
      for (const char* kpi : kGroupPairedKpis) listed = listed || pair.kpi == kpi;
      EXPECT_TRUE(listed) << pair.kpi;
    }
  }
  for (const PairedDifference& pair : summary.paired_by_administration) {
    if (pair.first != "random" || pair.second != "topk" || pair.group != "AA" || pair.kpi != "true_detection_rate") continue;
    std::vector<double> differences;
    for (const ExperimentResult& result : results) {
      differences.push_back(OfficeRangeMetrics(result.strategies[0].total, ranges[0].first, ranges[0].second).true_detection_rate() -
                            OfficeRangeMetrics(result.strategies[1].total, ranges[0].first, ranges[0].second).true_detection_rate());
    }
    EXPECT_DOUBLE_EQ(pair.difference.mean, MeanConfidenceInterval(differences).mean);
  }
  const std::string table = FormatReplicationSummary(summary);
  EXPECT_NE(table.find("by administration\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\nAA\n"), std::string::npos) << table;
  EXPECT_NE(table.find("by typology\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\n" + expected_typologies.front() + "\n"), std::string::npos) << table;
  EXPECT_NE(table.find("random - topk      AA true_detection_rate"), std::string::npos) << table;
  // Without the scenario (or with one administration) there are no administration rows.
  EXPECT_TRUE(SummarizeReplications(results).by_administration.empty());
  // Without an e-commerce stream there are no stream rows.
  EXPECT_TRUE(summary.by_stream.empty());
  EXPECT_EQ(table.find("by stream\n"), std::string::npos) << table;
}

// With the e-commerce stream on: an "ordinary" and an "ecommerce" group whose rows are the means
// over replications of StreamPartMetrics, whose mean counts add up to the union's, with paired rows
// naming their stream.
TEST(Replications, PerStreamRowsAreMeansOverReplicationsOfEachStreamsPart) {
  const ScenarioSpec spec = testing::SmallScenario(
      testing::Concat({"run.days=4"}, testing::EcommerceStreamOverrides()));
  std::vector<ExperimentResult> results;
  for (std::uint32_t r = 0; r < 3; ++r) results.push_back(RunExperiment(spec, r));
  const ReplicationSummary summary = SummarizeReplications(spec, results);
  ASSERT_EQ(summary.by_stream.size(), 2u);
  EXPECT_EQ(summary.by_stream[0].group, "ordinary");
  EXPECT_EQ(summary.by_stream[1].group, "ecommerce");
  const auto mean_of = [](const GroupKpiSummary& group, const std::string& kpi, std::size_t s) {
    return RowOf(group, kpi).strategy[s].mean;
  };
  for (std::size_t s = 0; s < summary.strategies.size(); ++s) {
    for (const bool ecommerce : {false, true}) {
      std::vector<double> declarations, detection, prohibited;
      for (const ExperimentResult& result : results) {
        const DayMetrics part = StreamPartMetrics(result.strategies[s].total, ecommerce);
        declarations.push_back(static_cast<double>(part.declarations));
        detection.push_back(part.true_detection_rate());
        prohibited.push_back(static_cast<double>(part.by_typology[4].frauds));
      }
      const GroupKpiSummary& group = summary.by_stream[ecommerce ? 1 : 0];
      EXPECT_DOUBLE_EQ(mean_of(group, "declarations", s), MeanConfidenceInterval(declarations).mean);
      EXPECT_DOUBLE_EQ(mean_of(group, "true_detection_rate", s), MeanConfidenceInterval(detection).mean);
      EXPECT_DOUBLE_EQ(mean_of(group, "prohibited_goods_frauds", s), MeanConfidenceInterval(prohibited).mean);
    }
    EXPECT_GT(mean_of(summary.by_stream[1], "declarations", s), 0.0);
    double union_declarations = 0.0;
    for (const StrategyKpiSummary& row : summary.kpis) {
      if (row.kpi == "declarations") union_declarations = row.strategy[s].mean;
    }
    EXPECT_NEAR(mean_of(summary.by_stream[0], "declarations", s) + mean_of(summary.by_stream[1], "declarations", s),
                union_declarations, 1e-9 * union_declarations);
  }
  ASSERT_FALSE(summary.paired_by_stream.empty());
  for (const PairedDifference& pair : summary.paired_by_stream) {
    EXPECT_TRUE(pair.group == "ordinary" || pair.group == "ecommerce") << pair.group;
  }
  const std::string table = FormatReplicationSummary(summary);
  EXPECT_NE(table.find("by stream\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\necommerce\n"), std::string::npos) << table;
}

}  // namespace
}  // namespace crsim::sim
