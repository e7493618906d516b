// Several administrations: per-administration metrics, exchange modes between their risk engines
// (crsim/sim/exchange.h) and port shopping by adaptive fraudsters.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <string>
#include <vector>

#include "crsim/data/input_error.h"
#include "crsim/sim/exchange.h"
#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/replications.h"
#include "crsim/sim/report.h"
#include "crsim/sim/world.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

// The small scenario (administrations AA with 3 offices, BB with 2) with `extra` TOML appended.
ScenarioSpec SmallWith(const std::string& extra, const std::vector<std::string>& overrides = {}) {
  return ParseScenario(testing::SmallScenarioToml() + extra, "small.toml", overrides);
}

// The small scenario with administration BB removed (a single administration).
ScenarioSpec SingleAdministrationWith(const std::string& extra, const std::vector<std::string>& overrides = {}) {
  std::string text = testing::SmallScenarioToml();
  const std::string bb = "[[administrations]]\nname = \"BB\"\noffices = 2\ninspection_capacity = 50\ntrade_share = 0.4\n";
  const std::size_t at = text.find(bb);
  EXPECT_NE(at, std::string::npos);
  text.erase(at, bb.size());
  const std::string offices = "offices = [\"AA-1\", \"BB-2\"]";
  text.replace(text.find(offices), offices.size(), "offices = [\"AA-1\"]");
  return ParseScenario(text + extra, "single.toml", overrides);
}

ExperimentResult RunWithThreads(const ScenarioSpec& spec, int threads, std::uint32_t replication = 0) {
  tbb::task_arena arena(threads);
  ExperimentResult result;
  arena.execute([&] { result = RunExperiment(spec, replication); });
  return result;
}

void ExpectPartsSumToUnion(const ScenarioSpec& spec, const DayMetrics& union_metrics, const std::string& where) {
  DayMetrics sum;
  for (const auto& [first, last] : AdministrationOfficeRanges(spec)) {
    const DayMetrics part = OfficeRangeMetrics(union_metrics, first, last);
    sum.declarations += part.declarations;
    sum.inspections += part.inspections;
    sum.hits += part.hits;
    sum.frauds += part.frauds;
    sum.frauds_inspected += part.frauds_inspected;
    sum.compliant_inspected += part.compliant_inspected;
    sum.duty_evaded_cents += part.duty_evaded_cents;
    sum.duty_recovered_cents += part.duty_recovered_cents;
    sum.random_controls += part.random_controls;
    sum.random_hits += part.random_hits;
  }
  EXPECT_EQ(sum.declarations, union_metrics.declarations) << where;
  EXPECT_EQ(sum.inspections, union_metrics.inspections) << where;
  EXPECT_EQ(sum.hits, union_metrics.hits) << where;
  EXPECT_EQ(sum.frauds, union_metrics.frauds) << where;
  EXPECT_EQ(sum.frauds_inspected, union_metrics.frauds_inspected) << where;
  EXPECT_EQ(sum.compliant_inspected, union_metrics.compliant_inspected) << where;
  EXPECT_EQ(sum.duty_evaded_cents, union_metrics.duty_evaded_cents) << where;
  EXPECT_EQ(sum.duty_recovered_cents, union_metrics.duty_recovered_cents) << where;
  EXPECT_EQ(sum.random_controls, union_metrics.random_controls) << where;
  EXPECT_EQ(sum.random_hits, union_metrics.random_hits) << where;
}

TEST(Administrations, PerAdministrationCountersSumToTheUnionsEveryDayAndInTotal) {
  // Backlogged red controls and post-clearance audits complete on later days: those are counted
  // per office too.
  const ScenarioSpec spec = SmallWith("", {"administrations[0].audit_capacity=5", "channels.blue.expected_rate=0.01",
                                           "channels.blue.delay_days=2"});
  const ExperimentResult result = RunExperiment(spec);
  for (const StrategyResult& strategy : result.strategies) {
    ASSERT_GT(strategy.total.hits, 0) << strategy.name;
    ASSERT_GT(strategy.total.by_channel[3].controls, 0) << strategy.name << ": audits completed";
    for (std::size_t day = 0; day < strategy.daily.size(); ++day) {
      ExpectPartsSumToUnion(spec, strategy.daily[day], strategy.name + " day " + std::to_string(day));
    }
    ExpectPartsSumToUnion(spec, strategy.total, strategy.name + " total");
    // Both administrations see fraud and controls.
    for (const auto& [first, last] : AdministrationOfficeRanges(spec)) {
      const DayMetrics part = OfficeRangeMetrics(strategy.total, first, last);
      EXPECT_GT(part.frauds, 0);
      EXPECT_GT(part.inspections, 0);
    }
  }
  const std::string table = FormatAdministrationTable(spec, result);
  EXPECT_NE(table.find("AA\n"), std::string::npos) << table;
  EXPECT_NE(table.find("BB\n"), std::string::npos) << table;
  EXPECT_NE(table.find("union\n"), std::string::npos) << table;
  EXPECT_NE(table.find("fraud share"), std::string::npos) << table;
}

TEST(Administrations, NoTableWithOneAdministration) {
  const ScenarioSpec spec = SingleAdministrationWith("");
  EXPECT_EQ(FormatAdministrationTable(spec, RunExperiment(spec)), "");
}

// The same strategy three times: one engine for all, one per administration, one per
// administration with shared outcomes.
constexpr const char* kExchangeInstances = R"(
[strategy.pooled]
kind = "topk"

[strategy.none]
kind = "topk"
exchange = "none"

[strategy.shared]
kind = "topk"
exchange = "shared_outcomes"
exchange_delay_days = 1
)";

constexpr const char* kExchangeStrategies = "run.strategies=[\"pooled\", \"none\", \"shared\"]";

TEST(Exchange, NoneWithOneAdministrationEqualsPooled) {
  // topk (weighted sum; "shared_outcomes" too: there is no one to share with), bandit (reads the
  // trader posteriors) and topk with the logistic model.
  const ScenarioSpec spec = SingleAdministrationWith(std::string(kExchangeInstances) + R"(
[strategy.bandit_pooled]
kind = "bandit"

[strategy.bandit_none]
kind = "bandit"
exchange = "none"

[strategy.logistic_pooled]
kind = "topk"
combination = "logistic"

[strategy.logistic_none]
kind = "topk"
combination = "logistic"
exchange = "none"

[risk.logistic]
retrain_every_days = 2
min_training_rows = 50
)",
                                                     {"run.strategies=[\"pooled\", \"none\", \"shared\", \"bandit_pooled\", "
                                                      "\"bandit_none\", \"logistic_pooled\", \"logistic_none\"]"});
  const ExperimentResult result = RunExperiment(spec);
  ASSERT_EQ(result.strategies.size(), 7u);
  for (const auto& [pooled_index, other_index] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{3, 4}, std::pair{5, 6}}) {
    const StrategyResult& pooled = result.strategies[static_cast<std::size_t>(pooled_index)];
    const StrategyResult& other = result.strategies[static_cast<std::size_t>(other_index)];
    ASSERT_GT(pooled.total.hits, 0);
    EXPECT_EQ(pooled.daily, other.daily) << pooled.name << " vs " << other.name;
    EXPECT_EQ(pooled.model.trainings, other.model.trainings);
  }
  EXPECT_GT(result.strategies[5].model.trainings, 0) << "the logistic model was trained";
}

TEST(Exchange, ModesDifferWithSeveralAdministrationsAndAreIdenticalForOneAndTwoThreads) {
  const ScenarioSpec spec = SmallWith(kExchangeInstances, {"run.days=8", kExchangeStrategies});
  const ExperimentResult one = RunWithThreads(spec, 1);
  const ExperimentResult two = RunWithThreads(spec, 2);
  ASSERT_EQ(one.strategies.size(), 3u);
  for (std::size_t s = 0; s < 3; ++s) {
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;
  }
  // What the engines learn differs, so the selections do.
  EXPECT_NE(one.strategies[0].daily, one.strategies[1].daily);
  EXPECT_NE(one.strategies[1].daily, one.strategies[2].daily);
}

// Drives the engines of one instance by hand: one inspected declaration of administration AA on
// day 0, nothing after.
class SharedOutcomeDelay : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(SharedOutcomeDelay, OutcomesReachTheOtherAdministrationAfterExactlyTheDelay) {
  const std::int64_t delay = GetParam();
  const ScenarioSpec spec = SmallWith(kExchangeInstances, {kExchangeStrategies});
  const World world = BuildWorld(spec);
  StrategyInstanceSpec instance = FindStrategyInstance(spec, "shared");
  instance.exchange_delay_days = delay;
  ExchangeEngines engines(world, spec, instance, 0);
  ExchangeEngines isolated(world, spec, FindStrategyInstance(spec, "none"), 0);
  ASSERT_EQ(engines.engine_count(), 2u);

  Generator generator(world, spec);
  data::DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  const data::DeclaredView declared = batch.declared();
  std::size_t row = 0;
  while (world.offices[declared.office[row]].administration != 0) ++row;  // a declaration lodged in AA
  const std::uint32_t trader = declared.trader[row];
  std::vector<float> score(batch.size());
  InspectionOutcomes outcomes;
  outcomes.Reset(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    outcomes.detected[i] = 0;
    outcomes.revealed_value[i] = declared.declared_value[i];
    outcomes.revealed_hs6[i] = declared.hs6[i];
  }
  outcomes.inspected[row] = 1;
  outcomes.detected[row] = 1;
  for (ExchangeEngines* e : {&engines, &isolated}) {
    e->Score(declared, 0, score);
    e->Learn(0, declared, outcomes, {}, {});
  }
  EXPECT_EQ(engines.engine(0).trader_inspections()[trader], 1u);
  data::DeclarationBatch empty;
  empty.Reset(0, 0);
  InspectionOutcomes no_outcomes;
  no_outcomes.Reset(0);
  for (std::int64_t day = 0; day <= delay + 2; ++day) {
    if (day > 0) {
      for (ExchangeEngines* e : {&engines, &isolated}) {
        e->Score(empty.declared(), day, {});
        e->Learn(day, empty.declared(), no_outcomes, {}, {});
      }
    }
    const std::uint32_t expected = day >= delay ? 1u : 0u;
    EXPECT_EQ(engines.engine(1).trader_inspections()[trader], expected) << "day " << day;
    EXPECT_EQ(engines.engine(1).hits_so_far(), expected) << "day " << day;
    EXPECT_EQ(engines.engine(0).trader_inspections()[trader], 1u) << "not echoed back, day " << day;
    EXPECT_EQ(isolated.engine(1).trader_inspections()[trader], 0u) << "\"none\" shares nothing, day " << day;
  }
}

INSTANTIATE_TEST_SUITE_P(Delays, SharedOutcomeDelay, ::testing::Values(0, 1, 3));

// scenarios/information_exchange.toml, shortened (20 days of 5000 declarations) to keep the test to
// seconds: the effect holds at that size (measured: shared - none = +4.0 points, 95% interval
// +2.9 .. +5.1, over 5 replications).
ScenarioSpec InformationExchange(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> overrides = {"run.days=20", "arrivals.declarations_per_day=5000"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/information_exchange.toml", overrides);
}

TEST(Exchange, SharingTraderOutcomesRaisesTheUnionsTrueDetectionOfPortShoppingFraud) {
  const ScenarioSpec spec = InformationExchange();
  ASSERT_TRUE(spec.fraud.adaptation.enabled && spec.fraud.adaptation.across_administrations);
  ASSERT_EQ(spec.run.strategies, (std::vector<std::string>{"none", "shared", "pooled"}));
  std::vector<ExperimentResult> replications;
  for (std::uint32_t r = 0; r < 5; ++r) replications.push_back(RunExperiment(spec, r));
  const ReplicationSummary summary = SummarizeReplications(replications);
  const auto paired = [&](const std::string& first, const std::string& second) {
    for (const PairedDifference& pair : summary.paired) {
      if (pair.first == first && pair.second == second && pair.kpi == "true_detection_rate") return pair.difference;
    }
    ADD_FAILURE() << "no paired difference " << first << " - " << second;
    return Interval{};
  };
  // none - shared: the interval of shared - none lies above zero.
  const Interval none_minus_shared = paired("none", "shared");
  EXPECT_LT(none_minus_shared.high, 0.0) << "shared - none = " << -none_minus_shared.mean << " (95% interval "
                                         << -none_minus_shared.high << " .. " << -none_minus_shared.low << ")";
}

TEST(PortShopping, FraudMovesTowardTheWeakestAdministrationOnlyWhenAllowed) {
  // CC nearly stops controlling. Its share of the union's fraud (the pooled strategy's) grows when
  // fraudsters may shop across administrations, and stays at its trade share otherwise.
  const auto cc_fraud_share = [](bool across) {
    const ScenarioSpec spec = InformationExchange({"administrations[2].inspection_capacity=2",
                                                   std::string("fraud.adaptation.across_administrations=") +
                                                       (across ? "true" : "false")});
    const ExperimentResult result = RunExperiment(spec);
    const auto ranges = AdministrationOfficeRanges(spec);
    const DayMetrics& total = result.strategies[2].total;  // pooled
    const DayMetrics cc = OfficeRangeMetrics(total, ranges[2].first, ranges[2].second);
    return DayMetrics::Ratio(cc.frauds, total.frauds);
  };
  const double shopping = cc_fraud_share(true);
  const double staying = cc_fraud_share(false);
  EXPECT_GT(shopping, staying + 0.1) << "CC's fraud share: " << shopping << " with port shopping, " << staying << " without";
}

TEST(Exchange, BadKeysAreReported) {
  const auto problems_of = [](const std::string& extra) {
    try {
      SmallWith(extra, {"run.strategies=[\"x\"]"});
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("parsed");
  };
  const std::string unknown = problems_of("\n[strategy.x]\nkind = \"topk\"\nexchange = \"shared\"\n");
  EXPECT_NE(unknown.find("strategy.x.exchange"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("shared_outcomes"), std::string::npos) << unknown;
  const std::string delay_without_sharing = problems_of("\n[strategy.x]\nkind = \"topk\"\nexchange_delay_days = 2\n");
  EXPECT_NE(delay_without_sharing.find("strategy.x.exchange_delay_days"), std::string::npos) << delay_without_sharing;
  const std::string negative =
      problems_of("\n[strategy.x]\nkind = \"topk\"\nexchange = \"shared_outcomes\"\nexchange_delay_days = -1\n");
  EXPECT_NE(negative.find("strategy.x.exchange_delay_days"), std::string::npos) << negative;
  const std::string shopping = problems_of("\n[strategy.x]\nkind = \"topk\"\n""\n[fraud.adaptation]\nenabled = true\nacross_administrations = 1\n");
  EXPECT_NE(shopping.find("fraud.adaptation.across_administrations"), std::string::npos) << shopping;
}

}  // namespace
}  // namespace crsim::sim
