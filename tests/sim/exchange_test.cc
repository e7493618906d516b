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

[strategy.profiles]
kind = "topk"
exchange = "shared_profiles"
exchange_delay_days = 1
)";

constexpr const char* kExchangeStrategies = "run.strategies=[\"pooled\", \"none\", \"shared\", \"profiles\"]";

TEST(Exchange, NoneWithOneAdministrationEqualsPooled) {
  // topk (weighted sum; "shared_outcomes" and "shared_profiles" too: there is no one to share
  // with), bandit (reads the trader posteriors) and topk with the logistic model.
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

[strategy.logistic_profiles]
kind = "topk"
combination = "logistic"
exchange = "shared_profiles"
exchange_delay_days = 2

[risk.logistic]
retrain_every_days = 2
min_training_rows = 50
)",
                                                     {"run.strategies=[\"pooled\", \"none\", \"shared\", \"bandit_pooled\", "
                                                      "\"bandit_none\", \"logistic_pooled\", \"logistic_none\", "
                                                      "\"profiles\", \"logistic_profiles\"]"});
  const ExperimentResult result = RunExperiment(spec);
  ASSERT_EQ(result.strategies.size(), 9u);
  for (const auto& [pooled_index, other_index] :
       {std::pair{0, 1}, std::pair{0, 2}, std::pair{3, 4}, std::pair{5, 6}, std::pair{0, 7}, std::pair{5, 8}}) {
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
  ASSERT_EQ(one.strategies.size(), 4u);
  for (std::size_t s = 0; s < 4; ++s) {
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;
  }
  // What the engines learn differs, so the selections do.
  EXPECT_NE(one.strategies[0].daily, one.strategies[1].daily);
  EXPECT_NE(one.strategies[1].daily, one.strategies[2].daily);
  EXPECT_NE(one.strategies[1].daily, one.strategies[3].daily);
  EXPECT_NE(one.strategies[2].daily, one.strategies[3].daily);
}

// Drives the engines of instances by hand: one inspected declaration of administration AA on day 0
// (a fraud found), nothing after.
struct OneInspectionInAA {
  explicit OneInspectionInAA(const ScenarioSpec& spec) : world(BuildWorld(spec)) {
    Generator generator(world, spec);
    generator.GenerateDay(0, batch, 4096);
    const data::DeclaredView declared = batch.declared();
    while (world.offices[declared.office[row]].administration != 0) ++row;  // a declaration lodged in AA
    outcomes.Reset(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      outcomes.detected[i] = 0;
      outcomes.revealed_value[i] = declared.declared_value[i];
      outcomes.revealed_hs6[i] = declared.hs6[i];
    }
    outcomes.inspected[row] = 1;
    outcomes.detected[row] = 1;
    empty.Reset(0, 0);
    no_outcomes.Reset(0);
  }
  std::uint32_t trader() const { return batch.declared().trader[row]; }
  std::uint32_t declarant() const { return batch.declared().declarant[row]; }
  // Day 0 with the inspection, or a later day without declarations.
  void Feed(std::int64_t day, const std::vector<ExchangeEngines*>& engines) {
    const data::DeclaredView declared = day == 0 ? batch.declared() : empty.declared();
    std::vector<float> score(declared.size());
    for (ExchangeEngines* e : engines) {
      e->Score(declared, day, score);
      e->Learn(day, declared, day == 0 ? outcomes : no_outcomes, {}, {});
    }
  }

  World world;
  data::DeclarationBatch batch, empty;
  InspectionOutcomes outcomes, no_outcomes;
  std::size_t row = 0;
};

class SharedOutcomeDelay : public ::testing::TestWithParam<std::int64_t> {};

TEST_P(SharedOutcomeDelay, OutcomesReachTheOtherAdministrationAfterExactlyTheDelay) {
  const std::int64_t delay = GetParam();
  const ScenarioSpec spec = SmallWith(kExchangeInstances, {kExchangeStrategies});
  OneInspectionInAA day0(spec);
  StrategyInstanceSpec instance = FindStrategyInstance(spec, "shared");
  instance.exchange_delay_days = delay;
  ExchangeEngines engines(day0.world, spec, instance, 0);
  ExchangeEngines isolated(day0.world, spec, FindStrategyInstance(spec, "none"), 0);
  ASSERT_EQ(engines.engine_count(), 2u);
  const std::uint32_t trader = day0.trader();
  const std::uint32_t declarant = day0.declarant();
  for (std::int64_t day = 0; day <= delay + 2; ++day) {
    day0.Feed(day, {&engines, &isolated});
    if (day == 0) {
      EXPECT_EQ(engines.engine(0).trader_inspections()[trader], 1u);
      EXPECT_EQ(engines.engine(0).declarant_inspections()[declarant], 1u);
    }
    const std::uint32_t expected = day >= delay ? 1u : 0u;
    EXPECT_EQ(engines.engine(1).trader_inspections()[trader], expected) << "day " << day;
    EXPECT_EQ(engines.engine(1).declarant_inspections()[declarant], expected) << "the declarant's outcome, day " << day;
    EXPECT_EQ(engines.engine(1).hits_so_far(), expected) << "day " << day;
    EXPECT_EQ(engines.engine(0).trader_inspections()[trader], 1u) << "not echoed back, day " << day;
    EXPECT_EQ(isolated.engine(1).trader_inspections()[trader], 0u) << "\"none\" shares nothing, day " << day;
    EXPECT_EQ(isolated.engine(1).declarant_inspections()[declarant], 0u) << "\"none\" shares nothing, day " << day;
  }
}

TEST_P(SharedOutcomeDelay, ProfilesButNoEntityHistoriesReachTheOtherAdministrationAfterExactlyTheDelay) {
  const std::int64_t delay = GetParam();
  // The logistic model's engines: the shared profile includes the labelled training row.
  const ScenarioSpec spec = SmallWith(kExchangeInstances, {kExchangeStrategies, "strategy.profiles.combination=\"logistic\""});
  OneInspectionInAA day0(spec);
  StrategyInstanceSpec instance = FindStrategyInstance(spec, "profiles");
  ASSERT_EQ(instance.combination, "logistic");
  instance.exchange_delay_days = delay;
  ExchangeEngines engines(day0.world, spec, instance, 0);
  ASSERT_EQ(engines.engine_count(), 2u);
  const std::uint32_t trader = day0.trader();
  for (std::int64_t day = 0; day <= delay + 2; ++day) {
    day0.Feed(day, {&engines});
    const std::uint64_t expected = day >= delay ? 1u : 0u;
    EXPECT_EQ(engines.engine(1).hits_so_far(), expected) << "the overall hit count, day " << day;
    EXPECT_EQ(engines.engine(1).training_rows(), expected) << "the labelled row, day " << day;
    EXPECT_EQ(engines.engine(1).trader_inspections()[trader], 0u) << "trader histories stay national, day " << day;
    EXPECT_EQ(engines.engine(1).declarant_inspections()[day0.declarant()], 0u) << "day " << day;
    EXPECT_EQ(engines.engine(0).training_rows(), 1u) << "not echoed back, day " << day;
    EXPECT_EQ(engines.engine(0).trader_inspections()[trader], 1u) << "day " << day;
  }
}

TEST(Exchange, SharedProfilesShareThePriceReferences) {
  // Every declaration of AA reaches BB's price reference: with delay 0, BB's engine after day 0
  // scores like an engine that saw the whole day (the pooled one) on the price component alone.
  const ScenarioSpec spec = SmallWith(kExchangeInstances, {kExchangeStrategies, "risk.rule_weight=0",
                                                           "risk.trader_history_weight=0", "risk.unit_value_weight=1",
                                                           "strategy.profiles.exchange_delay_days=0"});
  OneInspectionInAA day0(spec);
  ExchangeEngines profiles(day0.world, spec, FindStrategyInstance(spec, "profiles"), 0);
  ExchangeEngines pooled(day0.world, spec, FindStrategyInstance(spec, "pooled"), 0);
  ExchangeEngines none(day0.world, spec, FindStrategyInstance(spec, "none"), 0);
  day0.Feed(0, {&profiles, &pooled, &none});
  // Score the same day's declarations again (as day 1): the references now hold day 0.
  const data::DeclaredView declared = day0.batch.declared();
  std::vector<float> from_profiles(declared.size()), from_pooled(declared.size()), from_none(declared.size());
  profiles.Score(declared, 1, from_profiles);
  pooled.Score(declared, 1, from_pooled);
  none.Score(declared, 1, from_none);
  EXPECT_EQ(from_profiles, from_pooled);
  EXPECT_NE(from_none, from_pooled) << "national references differ";
}

INSTANTIATE_TEST_SUITE_P(Delays, SharedOutcomeDelay, ::testing::Values(0, 1, 3));

// scenarios/information_exchange.toml, shortened (20 days of 5000 declarations) to keep the test to
// seconds: the effects hold at that size (measured: shared - none = +4.0 points, 95% interval
// +2.9 .. +5.1, over 5 replications).
ScenarioSpec InformationExchange(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> overrides = {"run.days=20", "arrivals.declarations_per_day=5000"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/information_exchange.toml", overrides);
}

TEST(Exchange, SharingTraderOutcomesRaisesTheUnionsTrueDetectionOfPortShoppingFraud) {
  const ScenarioSpec spec = InformationExchange();
  ASSERT_TRUE(spec.fraud.adaptation.enabled && spec.fraud.adaptation.across_administrations);
  ASSERT_EQ(spec.run.strategies, (std::vector<std::string>{"none", "shared", "pooled", "profiles", "tipped"}));
  std::vector<ExperimentResult> replications;
  for (std::uint32_t r = 0; r < 5; ++r) replications.push_back(RunExperiment(spec, r));
  const ReplicationSummary summary = SummarizeReplications(spec, replications);
  const auto paired = [&](const std::string& first, const std::string& second, const std::string& group = "") {
    for (const std::vector<PairedDifference>* list : {&summary.paired, &summary.paired_by_administration}) {
      for (const PairedDifference& pair : *list) {
        if (pair.first == first && pair.second == second && pair.kpi == "true_detection_rate" && pair.group == group) {
          return pair.difference;
        }
      }
    }
    ADD_FAILURE() << "no paired difference " << first << " - " << second << " " << group;
    return Interval{};
  };
  // none - shared: the interval of shared - none lies above zero.
  const Interval none_minus_shared = paired("none", "shared");
  EXPECT_LT(none_minus_shared.high, 0.0) << "shared - none = " << -none_minus_shared.mean << " (95% interval "
                                         << -none_minus_shared.high << " .. " << -none_minus_shared.low << ")";
  // Common risk profiles alone: national engines that share price references and hit counts
  // (measured at this size: profiles - none = +4.1 points, 95% interval +3.2 .. +5.1; at the
  // scenario's full size, 40 days of 10000, +1.2 +- 0.3, over 6 replications: likely because
  // national price references fill up more slowly on fewer declarations; not measured further).
  const Interval none_minus_profiles = paired("none", "profiles");
  EXPECT_LT(none_minus_profiles.high, 0.0) << "profiles - none = " << -none_minus_profiles.mean << " (95% interval "
                                           << -none_minus_profiles.high << " .. " << -none_minus_profiles.low << ")";
  // CC's pre-arrival tips: the intelligence strategy ("tipped", otherwise "shared") raises CC's
  // true detection rate (measured: +15.2 points, 95% interval +12.5 .. +18.0).
  const Interval cc_shared_minus_tipped = paired("shared", "tipped", "CC");
  EXPECT_LT(cc_shared_minus_tipped.high, 0.0) << "CC: tipped - shared = " << -cc_shared_minus_tipped.mean
                                              << " (95% interval " << -cc_shared_minus_tipped.high << " .. "
                                              << -cc_shared_minus_tipped.low << ")";
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
