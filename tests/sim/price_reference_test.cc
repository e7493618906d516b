// Tests of PriceReference (crsim/sim/price_reference.h): accuracy of the binned median and MAD
// against the exact ones, the sparse walks against the dense ones (bit for bit), the HS6 x origin
// fallback at its exact boundary, the sliding window's eviction on hand-made days and on random
// days (against a reference rebuilt from the window's days alone), and the memory bound.
#include "crsim/sim/price_reference.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/risk_engine.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

double ExactMedian(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double ExactMad(const std::vector<double>& values) {
  const double median = ExactMedian(values);
  std::vector<double> deviations;
  for (const double v : values) deviations.push_back(std::fabs(v - median));
  return ExactMedian(deviations);
}

std::uint32_t Bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float Mad(const PriceReference& reference, std::size_t entry) {
  return 1.0f / (kernels::kMadToStandardDeviation * reference.view().inverse_scale[entry]);
}

// The histogram estimates are exact up to the bin width: the median interpolates inside the bin
// holding the middle observation, so it is off by at most one bin; the MAD measures distances to
// bin midpoints, so it is off by at most one bin plus the median's error.
TEST(PriceReference, HistogramMedianAndMadAreWithinABinOfTheExactOnes) {
  std::mt19937 engine(11);
  for (const double sd : {0.05, 0.3, 1.0}) {
    std::normal_distribution<double> normal(2.0, sd);
    PriceReference reference(1, 1);
    std::vector<double> values;
    for (int i = 0; i < 5001; ++i) {
      const auto value = static_cast<float>(normal(engine));
      values.push_back(value);
      reference.Add(0, value);
    }
    reference.CloseDay();
    const double width = PriceReference::kBinWidth;
    EXPECT_NEAR(reference.median(0), ExactMedian(values), width) << "sd " << sd;
    EXPECT_NEAR(Mad(reference, 0), std::max(ExactMad(values), width / 2), 2 * width) << "sd " << sd;
  }
}

TEST(PriceReference, CodesBelowTheMinimumCountHaveNoReference) {
  PriceReference reference(2, 10);
  for (int i = 0; i < 9; ++i) reference.Add(0, 1.0f);
  for (int i = 0; i < 10; ++i) reference.Add(1, 1.0f);
  reference.Add(0, std::nanf(""));  // ignored: not an observation
  reference.CloseDay();
  EXPECT_EQ(reference.count(0), 9u);
  EXPECT_TRUE(std::isnan(reference.median(0)));
  EXPECT_FALSE(std::isnan(reference.median(1)));
  EXPECT_TRUE(std::isfinite(reference.view().inverse_scale[1])) << "a zero MAD is floored at half a bin";
}

// The sparse walks skip empty bins only, so they must return the dense walks' floats exactly: this
// is what keeps the default scenario's results identical to the dense histograms of before.
TEST(PriceReference, SparseMedianAndMadAreTheDenseOnesBitForBit) {
  std::mt19937 engine(5);
  constexpr std::size_t kBins = PriceReference::kBins;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<std::uint32_t> dense(kBins, 0);
    const int clusters = 1 + trial % 4;
    const int observations = 1 + static_cast<int>(engine() % 400);
    std::uniform_int_distribution<int> center_bin(0, static_cast<int>(kBins) - 1);
    std::vector<int> centers;
    for (int c = 0; c < clusters; ++c) centers.push_back(center_bin(engine));
    std::normal_distribution<double> spread(0.0, 1.0 + trial % 30);
    for (int i = 0; i < observations; ++i) {
      const int bin = std::clamp(centers[static_cast<std::size_t>(i % clusters)] + static_cast<int>(spread(engine)), 0,
                                 static_cast<int>(kBins) - 1);
      ++dense[static_cast<std::size_t>(bin)];
    }
    if (trial % 7 == 0) dense[0] += 3;           // outliers in the end bins
    if (trial % 11 == 0) dense[kBins - 1] += 2;
    std::vector<std::uint64_t> keys;
    std::vector<std::uint32_t> counts;
    std::uint64_t total = 0;
    const std::uint64_t group = 1 + static_cast<std::uint64_t>(trial);  // high bits must be ignored
    for (std::size_t b = 0; b < kBins; ++b) {
      if (dense[b] == 0) continue;
      keys.push_back((group << PriceReference::kBinBits) | b);
      counts.push_back(dense[b]);
      total += dense[b];
    }
    const float lowest = PriceReference::kLowestLogPrice;
    const float width = PriceReference::kBinWidth;
    const float median = HistogramMedian(dense, total, lowest, width);
    ASSERT_EQ(Bits(SparseHistogramMedian(keys, counts, total, lowest, width, kBins)), Bits(median)) << trial;
    // The MAD around the median, and around arbitrary centers (bin edges and midpoints included).
    for (const float center : {median, lowest + width * static_cast<float>(centers[0]),
                               lowest + width * (static_cast<float>(centers[0]) + 0.5f), lowest, lowest + 30.0f}) {
      ASSERT_EQ(Bits(SparseHistogramMad(keys, counts, total, lowest, width, kBins, center)),
                Bits(HistogramMad(dense, total, lowest, width, center)))
          << "trial " << trial << " center " << center;
    }
  }
}

// Level hs6_origin, min_reference_count 10. Code 0: origin 0 has 20 observations near log price 1,
// origin 1 has 9 near 3 (one short: falls back to code 0's reference), then a tenth (uses its own).
// Code 1 has 9 observations in all: no reference at any origin.
TEST(PriceReference, FallbackToTheCodeBelowTheMinimumCountExactly) {
  PriceReference reference(2, 3, 10, 0, PriceReferenceLevel::kHs6Origin);
  for (int i = 0; i < 20; ++i) reference.Add(0, 0, 1.0f + 0.01f * static_cast<float>(i % 5));
  for (int i = 0; i < 9; ++i) reference.Add(0, 1, 3.0f);
  for (int i = 0; i < 9; ++i) reference.Add(1, static_cast<std::uint16_t>(i % 3), 2.0f);
  reference.CloseDay();
  ASSERT_EQ(reference.view().median_log_unit_value.size(), 6u);
  EXPECT_EQ(reference.count(0), 29u);
  EXPECT_EQ(reference.count(0, 0), 20u);
  EXPECT_EQ(reference.count(0, 1), 9u);
  EXPECT_EQ(reference.count(0, 2), 0u);
  const float code_median = reference.median(0);
  ASSERT_FALSE(std::isnan(code_median));
  // (0, 0): its own reference, which differs from the code's (the 9 at 3.0 pull the code's up).
  EXPECT_NEAR(reference.median(0, 0), 1.02f, PriceReference::kBinWidth);
  EXPECT_NE(Bits(reference.median(0, 0)), Bits(code_median));
  // (0, 1) with min - 1 and (0, 2) with none: the code's reference, scale included.
  for (const int origin : {1, 2}) EXPECT_EQ(Bits(reference.median(0, static_cast<std::uint16_t>(origin))), Bits(code_median)) << origin;
  EXPECT_EQ(Bits(reference.view().inverse_scale[1]), Bits(reference.view().inverse_scale[2])) << "both the code's";
  EXPECT_NE(Bits(reference.view().inverse_scale[0]), Bits(reference.view().inverse_scale[1]));
  // Code 1: 9 < 10 everywhere: NaN, so z is NaN.
  for (std::uint16_t origin = 0; origin < 3; ++origin) EXPECT_TRUE(std::isnan(reference.median(1, origin)));

  // The tenth observation of (0, 1): exactly min, the fine group is used from the next day on.
  reference.Add(0, 1, 3.0f);
  reference.CloseDay();
  EXPECT_EQ(reference.count(0, 1), 10u);
  EXPECT_NEAR(reference.median(0, 1), 3.0f, PriceReference::kBinWidth);
  EXPECT_NE(Bits(reference.median(0, 1)), Bits(reference.median(0)));
  EXPECT_EQ(Bits(reference.median(0, 2)), Bits(reference.median(0))) << "still falls back";

  // The kernel reads the resolved table: a declaration of (0, 1) priced at exp(3) has z = 0 up to
  // the median's bin interpolation, and code 1 gives NaN.
  const std::vector<float> value = {std::exp(3.0f), 5.0f, std::exp(1.02f)};
  const std::vector<float> quantity = {1.0f, 1.0f, 1.0f};
  const std::vector<std::uint32_t> hs6 = {0, 1, 0};
  const std::vector<std::uint16_t> origin = {1, 2, 0};
  std::vector<float> z(3);
  reference.RobustZParallel(value, quantity, hs6, origin, z);
  EXPECT_NEAR(z[0], 0.0f, 1.0f);
  EXPECT_TRUE(std::isnan(z[1]));
  EXPECT_NEAR(z[2], 0.0f, 1.0f);
}

// Window of 3 days on hand-made days: day d has 10 observations at log price d + 1. After day 2 the
// window holds days 0..2 (median in day 1's bin); each later day evicts the oldest exactly.
TEST(PriceReference, WindowEvictsTheOldestDayOnHandMadeDays) {
  PriceReference reference(1, 1, 5, 3, PriceReferenceLevel::kHs6);
  const auto add_day = [&](int observations, float log_price) {
    for (int i = 0; i < observations; ++i) reference.Add(0, log_price);
    reference.CloseDay();
  };
  add_day(10, 1.0f);
  EXPECT_EQ(reference.count(0), 10u);
  add_day(10, 2.0f);
  add_day(10, 3.0f);
  EXPECT_EQ(reference.count(0), 30u);
  EXPECT_NEAR(reference.median(0), 2.0f, PriceReference::kBinWidth);
  add_day(10, 4.0f);  // day 0 (log price 1) leaves
  EXPECT_EQ(reference.count(0), 30u);
  EXPECT_NEAR(reference.median(0), 3.0f, PriceReference::kBinWidth);
  add_day(4, 5.0f);  // day 1 leaves: 10 at 3, 10 at 4, 4 at 5
  EXPECT_EQ(reference.count(0), 24u);
  EXPECT_NEAR(reference.median(0), 4.0f, PriceReference::kBinWidth);
  add_day(0, 0.0f);
  add_day(0, 0.0f);  // days 3 leaves: only the 4 at 5 remain, below min_reference_count 5
  EXPECT_EQ(reference.count(0), 4u);
  EXPECT_TRUE(std::isnan(reference.median(0)));
  add_day(0, 0.0f);  // day 4 leaves: the window is empty, and so is its histogram
  EXPECT_EQ(reference.count(0), 0u);
  EXPECT_EQ(reference.window_pairs(), 0u);
}

// Random days with a drifting price, both levels: after every day the windowed reference equals,
// bit for bit, a fresh all-history reference fed with the window's days only (in shuffled order),
// and its median and MAD are within one and two bins of the exact ones over those days.
TEST(PriceReference, WindowedReferenceIsTheReferenceOfTheWindowsDays) {
  constexpr std::size_t kCodes = 3, kOrigins = 4;
  constexpr std::int64_t kWindow = 5;
  std::mt19937 engine(2026);
  struct Observation {
    std::uint32_t hs6;
    std::uint16_t origin;
    float log_price;
  };
  for (const PriceReferenceLevel level : {PriceReferenceLevel::kHs6, PriceReferenceLevel::kHs6Origin}) {
    PriceReference windowed(kCodes, kOrigins, 20, kWindow, level);
    std::deque<std::vector<Observation>> days;
    for (int day = 0; day < 14; ++day) {
      std::vector<Observation> today;
      const int count = static_cast<int>(engine() % 300);  // some thin days
      std::normal_distribution<float> noise(0.2f * static_cast<float>(day), 0.4f);
      for (int i = 0; i < count; ++i) {
        const auto hs6 = static_cast<std::uint32_t>(engine() % kCodes);
        const auto origin = static_cast<std::uint16_t>(engine() % (hs6 + 1));  // origins 0..hs6 only
        today.push_back({hs6, origin, noise(engine) + static_cast<float>(hs6) + 0.3f * origin});
        windowed.Add(hs6, origin, today.back().log_price);
      }
      windowed.CloseDay();
      days.push_back(today);
      if (days.size() > static_cast<std::size_t>(kWindow)) days.pop_front();

      PriceReference fresh(kCodes, kOrigins, 20, 0, level);
      std::vector<Observation> all;
      for (const auto& past : days) all.insert(all.end(), past.begin(), past.end());
      std::shuffle(all.begin(), all.end(), engine);
      for (const Observation& o : all) fresh.Add(o.hs6, o.origin, o.log_price);
      fresh.CloseDay();
      const auto a = windowed.view();
      const auto b = fresh.view();
      ASSERT_EQ(a.median_log_unit_value.size(), b.median_log_unit_value.size());
      for (std::size_t e = 0; e < a.median_log_unit_value.size(); ++e) {
        ASSERT_EQ(Bits(a.median_log_unit_value[e]), Bits(b.median_log_unit_value[e])) << "day " << day << " entry " << e;
        ASSERT_EQ(Bits(a.inverse_scale[e]), Bits(b.inverse_scale[e])) << "day " << day << " entry " << e;
      }
      for (std::uint32_t hs6 = 0; hs6 < kCodes; ++hs6) {
        std::vector<double> values;
        for (const Observation& o : all) {
          if (o.hs6 == hs6) values.push_back(o.log_price);
        }
        ASSERT_EQ(windowed.count(hs6), values.size());
        if (values.size() < 20) {
          EXPECT_TRUE(std::isnan(windowed.median(hs6)));
          continue;
        }
        const double width = PriceReference::kBinWidth;
        EXPECT_NEAR(windowed.median(hs6), ExactMedian(values), width) << "day " << day;
        if (level == PriceReferenceLevel::kHs6) {
          EXPECT_NEAR(Mad(windowed, hs6), std::max(ExactMad(values), width / 2), 2 * width) << "day " << day;
        }
      }
    }
  }
}

// Memory depends on the window and one day's volume, not on the number of days: after the window
// has filled, 60 more days of the same volume do not grow it, and it stays under the bound stated
// in price_reference.h (with 2x for vector growth).
TEST(PriceReference, MemoryStopsGrowingOnceTheWindowIsFull) {
  constexpr std::size_t kCodes = 200, kOrigins = 25;
  constexpr std::int64_t kWindow = 7;
  constexpr int kPerDay = 20000;
  PriceReference reference(kCodes, kOrigins, 30, kWindow, PriceReferenceLevel::kHs6Origin);
  std::mt19937 engine(3);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  std::size_t after_window = 0;
  for (int day = 0; day < 80; ++day) {
    for (int i = 0; i < kPerDay; ++i) {
      const auto hs6 = static_cast<std::uint32_t>(engine() % kCodes);
      reference.Add(hs6, static_cast<std::uint16_t>(engine() % kOrigins), 0.01f * static_cast<float>(hs6) + noise(engine));
    }
    reference.CloseDay();
    if (day == 2 * kWindow) after_window = reference.memory_bytes();
  }
  EXPECT_LE(reference.memory_bytes(), after_window * 5 / 4);
  const std::size_t groups = kCodes + kCodes * kOrigins;
  const std::size_t keys_per_day = 2 * kPerDay;
  const std::size_t bound = 2 * (24 * static_cast<std::size_t>(kWindow) * keys_per_day + 12 * kWindow * keys_per_day +
                                 16 * keys_per_day) +
                            16 * groups + 8 * kCodes * kOrigins;
  EXPECT_LE(reference.memory_bytes(), bound);
}

// The risk engine at level hs6_origin scores with the by-origin kernel over the resolved table.
TEST(PriceReference, RiskEngineScoresAgainstTheHs6OriginTable) {
  const ScenarioSpec spec = testing::SmallScenario({"risk.price_reference=\"hs6_origin\"", "risk.price_window_days=2",
                                                    "risk.rules=[]", "risk.trader_history_weight=0.0"});
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  RiskEngine engine(world, spec);
  const Inspector inspector(spec);
  data::DeclarationBatch batch;
  InspectionOutcomes outcomes;
  for (std::int64_t day = 0; day < 3; ++day) {
    generator.GenerateDay(day, batch, 4096);
    outcomes.Reset(batch.size());
    inspector.InspectAndMeasure(day, batch.declared(), batch.truth(), outcomes);
    engine.Learn(batch.declared(), outcomes);
  }
  EXPECT_EQ(engine.price_reference().level(), PriceReferenceLevel::kHs6Origin);
  EXPECT_EQ(engine.price_reference().view().median_log_unit_value.size(),
            world.catalogue.size() * world.country_iso.size());
  generator.GenerateDay(3, batch, 4096);
  const auto declared = batch.declared();
  std::vector<float> score(batch.size()), z(batch.size());
  engine.Score(declared, 3, score);
  kernels::RobustUnitValueZByOriginReference(declared.declared_value, declared.declared_quantity, declared.hs6,
                                             declared.origin, static_cast<std::uint32_t>(world.country_iso.size()),
                                             engine.price_reference().view(), z);
  std::size_t scored = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const double low_price = std::isnan(z[i]) ? 0.0 : std::max(0.0f, -z[i]);
    scored += !std::isnan(z[i]);
    ASSERT_NEAR(score[i], spec.risk.unit_value_weight * low_price, 1e-4 * (1.0 + low_price)) << "row " << i;
  }
  EXPECT_GT(scored, 0u);
}

// A whole run with per-HS6 x origin references over a 2-day window: the metric series are the same
// on 1 thread with 16384-row chunks and on 2 threads with 700-row chunks, and the references change
// the selections (the topk strategy differs from the run with the default references).
TEST(PriceReference, Hs6OriginWindowedRunIsIdenticalForOneAndTwoThreads) {
  const auto run = [](int threads, std::int64_t chunk, const std::string& level) {
    const ScenarioSpec spec = testing::SmallScenario({"run.chunk_size=" + std::to_string(chunk),
                                                      "risk.price_reference=\"" + level + "\"",
                                                      "risk.price_window_days=2", "risk.min_reference_count=5"});
    tbb::task_arena arena(threads);
    ExperimentResult result;
    arena.execute([&] { result = RunExperiment(spec); });
    return result;
  };
  const ExperimentResult one = run(1, 16384, "hs6_origin");
  const ExperimentResult two = run(2, 700, "hs6_origin");
  ASSERT_EQ(one.strategies.size(), two.strategies.size());
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;
  }
  const ExperimentResult coarse = run(2, 700, "hs6");
  bool any_difference = false;
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    any_difference |= !(one.strategies[s].daily == coarse.strategies[s].daily);
  }
  EXPECT_TRUE(any_difference) << "the HS6 x origin references changed no selection";
}

}  // namespace
}  // namespace crsim::sim
