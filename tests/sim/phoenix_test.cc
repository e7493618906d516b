// Phoenix importers ([fraud.phoenix], typology 7) and the declarant column: prevalence and fields
// within sampling error, identities abandoned when caught and replaced, the declarant posterior
// finding them, determinism, and the realism guard.
//
// Tolerances: counts are sums of independent Bernoullis given the world; 5 standard deviations
// (a false alarm below 1e-6 per check).
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/phoenix.h"
#include "crsim/sim/separability.h"
#include "crsim/sim/world.h"
#include "bernoulli_sum.h"
#include "generated_rows.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

// The small scenario with shell firms. Only prohibited goods are on, so that every attempt becomes
// a fraud (no typology needs anything) and the fraud rate is exactly the configured one.
std::vector<std::string> PhoenixOverrides(const std::vector<std::string>& more = {}) {
  return testing::Concat({"fraud.phoenix.enabled=true", "fraud.phoenix.firms=10", "fraud.phoenix.identities_per_firm=200",
                          "fraud.phoenix.volume_share=0.05", "fraud.phoenix.fraud_rate=0.5",
                          "fraud.phoenix.lifetime_days=30", "fraud.phoenix.shelf_days_max=400",
                          "fraud.phoenix.complicit_declarants=2", "traders.declarants=20"},
                         more);
}

ScenarioSpec ProhibitedOnly(const std::vector<std::string>& more = {}) {
  return testing::SmallScenario(testing::Concat(PhoenixOverrides(testing::ProhibitedGoodsOnly()), more));
}

using testing::BernoulliSum;

TEST(Phoenix, WorldInterleavesIdentitiesAndGivesMostTheirFirmsComplicitDeclarant) {
  const ScenarioSpec spec = ProhibitedOnly();
  const World world = BuildWorld(spec);
  const PhoenixFirmsLayout& layout = world.phoenix;
  ASSERT_EQ(layout.identity.size(), 2000u);
  ASSERT_EQ(world.traders.size(), 3000u + 2000u);
  BernoulliSum loyal;
  std::uint32_t below_last_ordinary = 0;
  for (std::uint32_t p = 0; p < layout.identity.size(); ++p) {
    const std::uint32_t trader = layout.identity[p];
    const std::uint32_t firm = p / layout.identities_per_firm;
    ASSERT_EQ(world.traders.phoenix_firm[trader], static_cast<std::int32_t>(firm));
    ASSERT_TRUE(world.traders.fraud_prone[trader]);
    loyal.Add(spec.fraud.phoenix.declarant_loyalty,
              world.traders.declarant[trader] == layout.complicit_declarant[firm % layout.complicit_declarant.size()]);
    below_last_ordinary += trader < world.traders.size() - 1 ? 1 : 0;
  }
  // A non-loyal identity may draw its firm's complicit declarant by chance: allow for it.
  EXPECT_GE(loyal.observed, loyal.expected - 5.0 * std::sqrt(loyal.variance));
  EXPECT_LE(loyal.observed, loyal.expected + 0.25 * (layout.identity.size() - loyal.expected) +
                                5.0 * std::sqrt(loyal.variance));
  EXPECT_GT(below_last_ordinary, 1900u) << "identities are not all at the end of the trader index";
  std::uint32_t ordinary_declarant_max = 0;
  for (std::uint32_t t = 0; t < world.traders.size(); ++t) {
    ordinary_declarant_max = std::max(ordinary_declarant_max, world.traders.declarant[t]);
  }
  EXPECT_LT(ordinary_declarant_max, world.declarants);
}

TEST(Phoenix, VolumeFraudRateBitsAndAgesAreAsConfigured) {
  const ScenarioSpec spec = ProhibitedOnly();
  const World world = BuildWorld(spec);
  const PhoenixSpec& phoenix = spec.fraud.phoenix;
  BernoulliSum volume, phoenix_fraud, prone_fraud;
  testing::ForEachGeneratedRow(world, spec, 6, [&](const data::DeclaredView& declared, const data::TruthView& truth,
                                                  std::size_t i) {
    const std::uint32_t trader = declared.trader[i];
    const bool is_phoenix = world.traders.phoenix_firm[trader] >= 0;
    volume.Add(phoenix.volume_share, is_phoenix);
    const std::uint8_t type = truth.fraud_type[i];
    ASSERT_EQ(declared.declarant[i], world.traders.declarant[trader]);
    if (is_phoenix) {
      phoenix_fraud.Add(phoenix.fraud_rate, type != 0);
      ASSERT_TRUE(type == 0 || type == (data::kFraudPhoenix | data::kFraudProhibitedGoods)) << int(type);
      // Registered up to shelf_days_max days before its first day, which is at most lifetime_days ago.
      ASSERT_GE(declared.trader_age_days[i], 0.0f);
      ASSERT_LE(declared.trader_age_days[i], static_cast<float>(phoenix.shelf_days_max + phoenix.lifetime_days));
    } else {
      ASSERT_EQ(type & data::kFraudPhoenix, 0) << "only phoenix identities carry the phoenix bit";
      if (world.traders.fraud_prone[trader]) prone_fraud.Add(spec.fraud.fraud_prone_rate, type != 0);
    }
    // Prohibited goods alter nothing declared.
    ASSERT_EQ(declared.hs6[i], truth.true_hs6[i]);
    ASSERT_EQ(declared.declared_value[i], truth.true_value[i]);
    ASSERT_EQ(truth.duty_evaded[i], 0.0f);
  });
  volume.Expect("phoenix share of declarations");
  phoenix_fraud.Expect("phoenix fraud rate");
  prone_fraud.Expect("fraud-prone rate unchanged");
}

TEST(Phoenix, ACaughtIdentityIsReplacedTheNextDayAndOthersExpire) {
  const ScenarioSpec spec = ProhibitedOnly();
  const World world = BuildWorld(spec);
  PhoenixFirms firms(world, spec.fraud.phoenix);
  firms.BeginDay(0);
  const std::uint32_t per_firm = world.phoenix.identities_per_firm;
  const std::uint32_t first = world.phoenix.identity[3 * per_firm];  // firm 3's identity 0
  ASSERT_TRUE(firms.IsActive(first));
  data::DeclarationBatch batch;
  batch.Reset(0, 2);
  batch.mutable_declared().trader[0] = first;
  batch.mutable_declared().trader[1] = world.phoenix.identity[4 * per_firm];  // inspected, not detected
  InspectionOutcomes outcomes;
  outcomes.Reset(2);
  outcomes.detected[0] = 1;
  outcomes.detected[1] = 0;
  firms.Learn(batch.declared(), outcomes);
  EXPECT_TRUE(firms.IsActive(first)) << "abandoned from the next day";
  firms.BeginDay(1);
  EXPECT_FALSE(firms.IsActive(first));
  EXPECT_TRUE(firms.IsActive(world.phoenix.identity[3 * per_firm + 1]));
  EXPECT_EQ(firms.generation(3), 1u);
  EXPECT_EQ(firms.generation(4), 0u);
  EXPECT_EQ(firms.identities_caught(), 1u);
  EXPECT_EQ(firms.RegistrationDay(world.phoenix.identity[3 * per_firm + 1]),
            1 - world.phoenix.shelf_days[3 * per_firm + 1]);
}

// Identities started per run: with nothing ever detected they only expire, firm f's first at day
// -(f L / F) + L and then every L days; detections add replacements.
TEST(Phoenix, IdentitiesUsedGrowWithDetections) {
  const std::vector<std::string> run = {"run.days=40", "run.strategies=[\"topk\"]", "run.warmup_days=0"};
  std::vector<std::string> blind = run;
  for (const char* t : {"undervaluation", "misclassification", "origin_misdeclaration", "quantity_misdeclaration",
                        "prohibited_goods", "low_value_splitting"}) {
    blind.push_back(std::string("inspection.detection_probability.") + t + "=0");
  }
  const ExperimentResult caught = RunExperiment(ProhibitedOnly(run));
  const ExperimentResult never = RunExperiment(ProhibitedOnly(blind));
  const ScenarioSpec spec = ProhibitedOnly(run);
  const std::int64_t firms = spec.fraud.phoenix.firms, lifetime = spec.fraud.phoenix.lifetime_days;
  std::int64_t expiries = 0;
  for (std::int64_t f = 0; f < firms; ++f) {
    for (std::int64_t start = -(f * lifetime) / firms + lifetime; start < spec.run.days; start += lifetime) {
      expiries += start >= 0 ? 1 : 0;
    }
  }
  EXPECT_EQ(never.strategies[0].total.phoenix_new_identities, expiries);
  EXPECT_GT(caught.strategies[0].total.by_typology[6].hits, 20);
  EXPECT_GT(caught.strategies[0].total.phoenix_new_identities, expiries + 20);
}

// The network-aware term: the declarant's posterior hit rate finds phoenix fraud that trader
// history cannot (each identity is new). Same world and arrivals, topk both times.
TEST(Phoenix, DeclarantPosteriorRaisesDetectionOfPhoenixFraud) {
  const std::vector<std::string> run = {"run.days=60", "run.strategies=[\"topk\"]", "run.warmup_days=0",
                                        "fraud.phoenix.volume_share=0.02", "fraud.phoenix.shelf_days_max=1000",
                                        "traders.declarants=20"};
  std::vector<std::string> network = run;
  network.push_back("risk.declarant_history_weight=4");
  const ExperimentResult without = RunExperiment(testing::SmallScenario(PhoenixOverrides(run)));
  const ExperimentResult with = RunExperiment(testing::SmallScenario(PhoenixOverrides(network)));
  const TypologyMetrics& a = without.strategies[0].total.by_typology[6];
  const TypologyMetrics& b = with.strategies[0].total.by_typology[6];
  ASSERT_GT(a.frauds, 1000);
  const double rate_without = static_cast<double>(a.hits) / static_cast<double>(a.frauds);
  const double rate_with = static_cast<double>(b.hits) / static_cast<double>(b.frauds);
  std::printf("phoenix true detection: %.2f%% without the declarant term, %.2f%% with it\n", 100 * rate_without,
              100 * rate_with);
  EXPECT_GT(rate_with, rate_without * 1.1);
}

TEST(Phoenix, GenerationAndMetricsAreIdenticalForOneAndTwoThreadsWithEverythingOn) {
  const auto run = [](int threads) {
    ScenarioSpec spec = testing::FullFraudScenario(PhoenixOverrides(
        {"fraud.adaptation.enabled=true", "run.chunk_size=" + std::to_string(threads == 1 ? 16384 : 700)}));
    tbb::task_arena arena(threads);
    ExperimentResult result;
    arena.execute([&] { result = RunExperiment(spec); });
    return result;
  };
  const ExperimentResult one = run(1);
  const ExperimentResult two = run(2);
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    EXPECT_GT(one.strategies[s].total.by_typology[6].frauds, 0);
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;
  }
}

// The realism guard with phoenix on: no declared feature and no identifier separates phoenix fraud
// above 0.95, except the trader as a category (see docs/fraud.md: an identity that cheats on half
// its declarations is, in sample, its own perfect label; no learner has that label, each identity
// being new and abandoned when caught).
TEST(Phoenix, NotSeparableByTheDeclarantOrAnyFeatureButTheInSampleTraderCategory) {
  const SeparabilityReport report =
      InspectData(testing::FullFraudScenario(
      PhoenixOverrides({"run.days=6", "fraud.phoenix.shelf_days_max=1000", "fraud.phoenix.firms=40"})));
  std::printf("%s", FormatSeparabilityReport(report).c_str());
  bool saw_phoenix = false;
  for (const TypologySeparability& typology : report.typologies) {
    saw_phoenix = saw_phoenix || typology.typology == "phoenix";
    for (const FeatureSeparability& feature : typology.features) {
      // The same holds for the ring typology of the full-fraud scenario (docs/fraud.md, "Fraud rings").
      const bool actor = typology.typology == "phoenix" || typology.typology == "ring";
      if (actor && feature.feature == "trader (category)") continue;
      EXPECT_LE(feature.auc, 0.95) << typology.typology << " by " << feature.feature;
    }
  }
  EXPECT_TRUE(saw_phoenix);
}

}  // namespace
}  // namespace crsim::sim
