// Adaptive fraudsters (docs/fraud.md): they move their frauds away from what is inspected, which
// erodes a pure exploitation strategy (topk); random controls erode less; a higher penalty deters;
// with adaptation off nothing moves. Every test runs one small scenario for 90 days (about 0.2 s
// a run in release), sharing runs where it can. The thresholds were checked on seeds 7..11, not
// only on the seed used here.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "crsim/sim/experiment.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

// The small scenario with inspections at about 5% of declarations, a static risk profile that
// targets HS chapters 1 and 6 (the most-inspected codes: topk fills its capacity there first) and
// no trader-history term (so topk's targeting is by what is declared, which a fraudster can change).
// Trader volumes are flattened (Zipf 0.3) so that many fraudsters learn, not a handful of big ones:
// with the small scenario's 0.8 the results swing from seed to seed.
ScenarioSpec AdaptiveScenario(bool adaptive, const std::vector<std::string>& overrides = {}) {
  std::vector<std::string> all = {
      "run.days=90",
      "run.warmup_days=0",
      "run.strategies=[\"topk\", \"hybrid\", \"random\"]",
      "strategy.hybrid.random_share=0.1",
      "arrivals.declarations_per_day=4000",
      "traders.count=1500",
      "traders.volume_zipf_exponent=0.3",
      "traders.home_office_share=0.5",
      "administrations[0].offices=2",
      "administrations[0].inspection_capacity=150",
      "administrations[1].inspection_capacity=60",
      "risk.trader_history_weight=0",
      "risk.rules[0].hs_chapters=[1, 6]",
      "risk.rules[0].origins=[\"CN\", \"US\", \"TR\", \"IN\", \"VN\"]",
      "risk.rules[0].unit_value_max=1e9",
      "risk.rules[0].weight=3",
      "fraud.adaptation.learning_rate=0.3",
      std::string("fraud.adaptation.enabled=") + (adaptive ? "true" : "false"),
  };
  all.insert(all.end(), overrides.begin(), overrides.end());
  return testing::SmallScenario(all);
}

constexpr std::size_t kTargetedChapters[] = {1, 6};

// Sums over a window of days.
struct Window {
  std::int64_t declarations = 0, frauds = 0, hits = 0, deterred = 0;
  std::int64_t targeted_frauds = 0, targeted_inspected = 0, frauds_inspected = 0;

  double detection() const { return Ratio(hits, frauds); }
  double targeted_share() const { return Ratio(targeted_frauds, frauds); }
  static double Ratio(std::int64_t a, std::int64_t b) { return b == 0 ? 0.0 : double(a) / double(b); }
};

Window Sum(const StrategyResult& strategy, std::size_t begin, std::size_t end) {
  Window window;
  for (std::size_t day = begin; day < end; ++day) {
    const DayMetrics& m = strategy.daily[day];
    window.declarations += m.declarations;
    window.frauds += m.frauds;
    window.hits += m.hits;
    window.deterred += m.frauds_deterred;
    window.frauds_inspected += m.frauds_inspected;
    for (const std::size_t chapter : kTargetedChapters) {
      window.targeted_frauds += m.frauds_by_chapter[chapter];
      window.targeted_inspected += m.frauds_inspected_by_chapter[chapter];
    }
  }
  return window;
}

ExperimentResult RunWith(const ScenarioSpec& spec, int threads = 2) {
  tbb::task_arena arena(threads);
  ExperimentResult result;
  arena.execute([&] { result = RunExperiment(spec); });
  return result;
}

// Runs are shared between tests (keyed by adaptation and penalty).
const ExperimentResult& CachedRun(bool adaptive, const std::string& penalty = "1.0") {
  static std::map<std::string, ExperimentResult> runs;
  const std::string key = (adaptive ? "on/" : "off/") + penalty;
  auto found = runs.find(key);
  if (found == runs.end()) {
    found = runs.emplace(key, RunWith(AdaptiveScenario(adaptive, {"fraud.adaptation.penalty_per_detection=" + penalty})))
                .first;
  }
  return found->second;
}

struct Erosion {
  Window first, last;
};
Erosion ErosionOf(const ExperimentResult& result, std::size_t strategy) {
  return {Sum(result.strategies[strategy], 0, 30), Sum(result.strategies[strategy], 60, 90)};
}

void Print(const char* label, const Erosion& e) {
  std::printf("%-16s true detection %.3f -> %.3f, frauds in targeted chapters %.3f -> %.3f, frauds %lld -> %lld, "
              "deterred %lld -> %lld\n",
              label, e.first.detection(), e.last.detection(), e.first.targeted_share(), e.last.targeted_share(),
              static_cast<long long>(e.first.frauds), static_cast<long long>(e.last.frauds),
              static_cast<long long>(e.first.deterred), static_cast<long long>(e.last.deterred));
}

TEST(Adaptation, TheTargetedChaptersAreTheMostInspected) {
  const Window off = Sum(CachedRun(false).strategies[0], 0, 30);
  EXPECT_GT(Window::Ratio(off.targeted_inspected, off.targeted_frauds), 2.0 * Window::Ratio(off.frauds_inspected, off.frauds));
}

TEST(Adaptation, FraudMovesAwayFromTheMostInspectedCodesAndTopkErodes) {
  const Erosion topk = ErosionOf(CachedRun(true), 0);
  Print("adaptive topk", topk);
  const Erosion off = ErosionOf(CachedRun(false), 0);
  EXPECT_LT(topk.last.targeted_share(), 0.6 * topk.first.targeted_share());
  EXPECT_LT(topk.last.detection(), topk.first.detection());
  // Paired with the same world without adaptation (where topk improves as it learns): the change
  // over time is clearly worse. Over seeds 7..11 the paired difference is -0.019 to -0.043.
  EXPECT_LT(topk.last.detection() - topk.first.detection(), off.last.detection() - off.first.detection() - 0.015);
}

// Random controls cannot be avoided, only feared: the random strategy loses less than topk. A 10%
// random hybrid spends 90% of its capacity like topk and, in this model, loses about as much as
// topk (within 0.01 over seeds 7..11; see the report of the adaptation work): it is checked not to
// lose more than that, not to lose less.
TEST(Adaptation, RandomControlsLoseLess) {
  const Erosion topk = ErosionOf(CachedRun(true), 0);
  const Erosion hybrid = ErosionOf(CachedRun(true), 1);
  const Erosion random = ErosionOf(CachedRun(true), 2);
  Print("adaptive hybrid", hybrid);
  Print("adaptive random", random);
  const double topk_loss = topk.first.detection() - topk.last.detection();
  const double hybrid_loss = hybrid.first.detection() - hybrid.last.detection();
  const double random_loss = random.first.detection() - random.last.detection();
  EXPECT_LT(random_loss, topk_loss);
  EXPECT_LT(hybrid_loss, topk_loss + 0.01);
}

TEST(Adaptation, WithoutAdaptationNothingMoves) {
  for (std::size_t s = 0; s < 3; ++s) {
    const Erosion off = ErosionOf(CachedRun(false), s);
    Print(s == 0 ? "static topk" : s == 1 ? "static hybrid" : "static random", off);
    // Within sampling noise (sd of a 30-day difference about 0.007 for random): no erosion, no
    // displacement (new traders with other portfolios move the share by up to 15%), no deterrence.
    EXPECT_GT(off.last.detection(), off.first.detection() - 0.02);
    EXPECT_GT(off.last.targeted_share(), 0.8 * off.first.targeted_share());
    EXPECT_EQ(off.first.deterred + off.last.deterred, 0);
  }
}

TEST(Adaptation, AHigherPenaltyLowersTheFraudAttemptRate) {
  const Window low = Sum(CachedRun(true, "1.0").strategies[0], 0, 90);
  const Window high = Sum(CachedRun(true, "5.0").strategies[0], 0, 90);
  std::printf("fraud attempt rate: penalty 1 x duty %.4f (deterred %lld), 5 x duty %.4f (deterred %lld)\n",
              Window::Ratio(low.frauds, low.declarations), static_cast<long long>(low.deterred),
              Window::Ratio(high.frauds, high.declarations), static_cast<long long>(high.deterred));
  EXPECT_LT(Window::Ratio(high.frauds, high.declarations), 0.8 * Window::Ratio(low.frauds, low.declarations));
  EXPECT_GT(high.deterred, low.deterred);
}

TEST(Adaptation, ResultsAreIdenticalForOneAndTwoThreads) {
  const ScenarioSpec spec = testing::FullFraudScenario(
      {"run.days=12", "fraud.adaptation.enabled=true", "fraud.adaptation.learning_rate=0.5",
       "fraud.adaptation.penalty_per_detection=3", "run.chunk_size=1000"});
  const ExperimentResult one = RunWith(spec, 1);
  const ExperimentResult two = RunWith(spec, 2);
  ASSERT_EQ(one.strategies.size(), two.strategies.size());
  std::int64_t deterred = 0;
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    EXPECT_TRUE(one.strategies[s].daily == two.strategies[s].daily) << one.strategies[s].name;
    for (const DayMetrics& day : one.strategies[s].daily) deterred += day.frauds_deterred;
  }
  EXPECT_GT(deterred, 0);
  // Adaptation makes arrivals depend on the strategy: the strategies no longer see the same frauds.
  EXPECT_NE(one.strategies[0].total.frauds, one.strategies[1].total.frauds);
}

}  // namespace
}  // namespace crsim::sim
