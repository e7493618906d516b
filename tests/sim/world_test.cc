#include "crsim/sim/world.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "small_scenario.h"

namespace crsim::sim {
namespace {

TEST(World, ChaptersAreTheRealHsChapters) {
  const auto& chapters = RealHsChapters();
  EXPECT_EQ(chapters.size(), 96u);
  EXPECT_EQ(chapters.front(), 1);
  EXPECT_EQ(chapters.back(), 97);
  EXPECT_EQ(std::count(chapters.begin(), chapters.end(), 77), 0);
}

TEST(World, CatalogueHasTheConfiguredShapeAndValidCodes) {
  const ScenarioSpec spec = testing::SmallScenario();
  const World world = BuildWorld(spec);
  const Catalogue& catalogue = world.catalogue;
  ASSERT_EQ(catalogue.size(), 20u * 3u * 4u);
  std::set<std::uint8_t> chapters(catalogue.chapter.begin(), catalogue.chapter.end());
  EXPECT_EQ(chapters.size(), 20u);
  EXPECT_EQ(*chapters.begin(), 1) << "chapters are spread from the first";
  EXPECT_EQ(*chapters.rbegin(), 97) << "to the last real chapter";
  for (std::size_t h = 0; h < catalogue.size(); ++h) {
    EXPECT_EQ(catalogue.hs6_code[h] / 10000, catalogue.chapter[h]);
    EXPECT_EQ(catalogue.hs6_code[h] / 100, catalogue.heading[h]);
    EXPECT_GE(catalogue.tariff_rate[h], spec.catalogue.tariff_min);
    EXPECT_LE(catalogue.tariff_rate[h], spec.catalogue.tariff_max + 1e-6);
    EXPECT_GE(catalogue.log_price_sd[h], spec.catalogue.log_price_sigma_min - 1e-6);
    EXPECT_LE(catalogue.log_price_sd[h], spec.catalogue.log_price_sigma_max + 1e-6);
    for (std::uint32_t k = catalogue.misclassification_offsets[h]; k < catalogue.misclassification_offsets[h + 1]; ++k) {
      const std::uint32_t target = catalogue.misclassification_targets[k];
      EXPECT_LT(catalogue.tariff_rate[target], catalogue.tariff_rate[h]);
      EXPECT_EQ(catalogue.chapter[target], catalogue.chapter[h]);
    }
  }
}

TEST(World, OfficesAreNamedPerAdministration) {
  const World world = BuildWorld(testing::SmallScenario());
  ASSERT_EQ(world.offices.size(), 5u);
  EXPECT_EQ(world.offices[0].name, "AA-1");
  EXPECT_EQ(world.offices[3].name, "BB-1");
  EXPECT_EQ(world.offices[3].administration, 1u);
  EXPECT_EQ(world.offices[4].inspection_capacity, 50u);
  EXPECT_EQ(world.administration_first_office, (std::vector<std::uint32_t>{0, 3, 5}));
}

TEST(World, FraudProneShareIsReproducedWithinSamplingError) {
  // Each trader is fraud-prone independently with probability p, so the count is Binomial(n, p):
  // 5 standard deviations leave a false-alarm chance below 1e-6.
  const ScenarioSpec spec = testing::SmallScenario({"traders.count=40000", "traders.fraud_prone_share=0.12"});
  const World world = BuildWorld(spec);
  const double n = 40000.0, p = 0.12;
  double prone = 0.0;
  for (const std::uint8_t flag : world.traders.fraud_prone) prone += flag;
  EXPECT_NEAR(prone / n, p, 5.0 * std::sqrt(p * (1 - p) / n));
}

TEST(World, TradersHaveHeavyTailedVolumesAndValidPortfolios) {
  const ScenarioSpec spec = testing::SmallScenario();
  const World world = BuildWorld(spec);
  const Traders& traders = world.traders;
  ASSERT_EQ(traders.size(), 3000u);
  EXPECT_DOUBLE_EQ(traders.volume_weight[0] / traders.volume_weight[9], std::pow(10.0, 0.8));
  for (std::size_t t = 0; t < traders.size(); ++t) {
    EXPECT_LT(traders.registration_day[t], spec.run.days);
    EXPECT_GE(traders.registration_day[t], -spec.traders.max_age_days);
    const std::uint32_t administration = traders.administration[t];
    EXPECT_GE(traders.home_office[t], world.administration_first_office[administration]);
    EXPECT_LT(traders.home_office[t], world.administration_first_office[administration + 1]);
  }
  for (const std::uint32_t code : traders.portfolio_hs6) EXPECT_LT(code, world.catalogue.size());
  for (const std::uint16_t origin : traders.portfolio_origin) EXPECT_LT(origin, world.country_iso.size());
}

TEST(World, SameScenarioSameWorld) {
  const World a = BuildWorld(testing::SmallScenario());
  const World b = BuildWorld(testing::SmallScenario());
  EXPECT_EQ(a.catalogue.tariff_rate, b.catalogue.tariff_rate);
  EXPECT_EQ(a.traders.portfolio_hs6, b.traders.portfolio_hs6);
  const World c = BuildWorld(testing::SmallScenario({"run.seed=8"}));
  EXPECT_NE(a.traders.portfolio_hs6, c.traders.portfolio_hs6);
}

}  // namespace
}  // namespace crsim::sim
