// Tests of the feature matrix kernel: SIMD against the scalar reference on every compiled target
// (exact for every feature but log trader age; that one within 6 ULP + 1e-7, Highway's Log being
// documented at <= 4 ULP), sizes 0..49 at misaligned starts, NaN and negative inputs, a batch
// bigger than any buffer, no departure column, and parallel == sequential bit for bit.
#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/logistic.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kernel_test_support.h"

namespace crsim::kernels {
namespace {

using testing::Bits;
using testing::ForEachTarget;
using testing::kBigSize;
using testing::kMaxSweepSize;
using testing::Ulp;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::size_t kNumHs6 = 700;
constexpr std::size_t kNumTraders = 900;
constexpr std::size_t kNumCountries = 60;

struct Data {
  std::vector<float> z, age, rule;
  std::vector<std::uint32_t> hs6, trader;
  std::vector<std::uint8_t> chapter;
  std::vector<std::uint16_t> origin, departure;
  std::vector<float> tariff, trader_mean, trader_bonus, chapter_rate, origin_rate;

  FeatureInputs Inputs(std::size_t offset, std::size_t size, bool with_departure) const {
    return {std::span(z).subspan(offset, size),      std::span(hs6).subspan(offset, size),
            std::span(chapter).subspan(offset, size), std::span(origin).subspan(offset, size),
            with_departure ? std::span(departure).subspan(offset, size) : std::span<const std::uint16_t>(),
            std::span(age).subspan(offset, size),    std::span(trader).subspan(offset, size),
            std::span(rule).subspan(offset, size)};
  }
  FeatureTables Tables() const { return {tariff, trader_mean, trader_bonus, chapter_rate, origin_rate}; }
};

Data RandomData(std::size_t rows, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_int_distribution<int> kind(0, 19);
  Data data;
  for (std::size_t i = 0; i < rows; ++i) {
    const int k = kind(rng);
    data.z.push_back(k == 0 ? kNaN : k == 1 ? -1e30f : normal(rng) * 3.0f);
    data.age.push_back(k == 2 ? kNaN : k == 3 ? -5.0f : k == 4 ? 0.0f : k == 5 ? 1e-6f : unit(rng) * 4000.0f);
    data.rule.push_back(unit(rng) * 10.0f);
    data.hs6.push_back(static_cast<std::uint32_t>(rng() % kNumHs6));
    data.trader.push_back(static_cast<std::uint32_t>(rng() % kNumTraders));
    data.chapter.push_back(static_cast<std::uint8_t>(rng() % 256));
    data.origin.push_back(static_cast<std::uint16_t>(rng() % kNumCountries));
    data.departure.push_back(k < 12 ? data.origin.back() : static_cast<std::uint16_t>(rng() % kNumCountries));
  }
  for (std::size_t h = 0; h < kNumHs6; ++h) data.tariff.push_back(unit(rng) * 0.3f);
  for (std::size_t t = 0; t < kNumTraders; ++t) {
    data.trader_mean.push_back(unit(rng));
    data.trader_bonus.push_back(unit(rng) * 0.1f);
  }
  for (std::size_t c = 0; c < kChapterRateTableSize; ++c) data.chapter_rate.push_back(unit(rng));
  for (std::size_t c = 0; c < kNumCountries; ++c) data.origin_rate.push_back(unit(rng));
  return data;
}

// Compares two matrices of `size` rows; exact except the log-age column.
void ExpectMatrixMatches(const std::vector<float>& actual, const std::vector<float>& expected,
                         std::size_t size, bool exact_everywhere) {
  std::size_t mismatches = 0;
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    for (std::size_t i = 0; i < size; ++i) {
      const float a = actual[f * size + i];
      const float e = expected[f * size + i];
      if (f == kLogTraderAge && !exact_everywhere) {
        mismatches += !(std::fabs(a - e) <= 6.0f * Ulp(e) + 1e-7f);
      } else {
        mismatches += Bits(a) != Bits(e);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "size " << size;
}

void ExpectSimdMatchesReference(const Data& data, std::size_t offset, std::size_t size, bool with_departure) {
  const FeatureInputs inputs = data.Inputs(offset, size, with_departure);
  std::vector<float> expected(kNumFeatures * size), actual(kNumFeatures * size + 1, -3.0f);
  BuildFeatureMatrixReference(inputs, data.Tables(), {expected.data(), size, size});
  BuildFeatureMatrix(inputs, data.Tables(), {actual.data(), size, size});
  EXPECT_EQ(actual.back(), -3.0f);  // nothing written past the matrix
  actual.pop_back();
  ExpectMatrixMatches(actual, expected, size, false);
}

TEST(FeatureMatrixTest, SimdMatchesReferenceOnEveryTarget) {
  std::mt19937 rng(11);
  const Data data = RandomData(kBigSize + 3, rng);
  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) {
        ExpectSimdMatchesReference(data, offset, size, true);
        ExpectSimdMatchesReference(data, offset, size, false);
      }
    }
    ExpectSimdMatchesReference(data, 1, kBigSize, true);
  });
}

TEST(FeatureMatrixTest, HandComputedRow) {
  Data data;
  data.z = {-3.5f, kNaN, 50.0f, -100.0f};
  data.age = {std::exp(2.0f) - 1.0f, kNaN, -1.0f, 0.0f};
  data.rule = {2.0f, 0.0f, 1.0f, 0.5f};
  data.hs6 = {1, 0, 1, 0};
  data.trader = {0, 1, 0, 1};
  data.chapter = {61, 1, 97, 255};
  data.origin = {3, 2, 1, 0};
  data.departure = {4, 2, 1, 1};
  data.tariff = {0.0f, 0.12f};
  data.trader_mean = {0.25f, 0.5f};
  data.trader_bonus = {0.05f, 0.01f};
  data.chapter_rate.assign(kChapterRateTableSize, 0.1f);
  data.chapter_rate[61] = 0.7f;
  data.origin_rate = {0.0f, 0.1f, 0.2f, 0.3f, 0.4f};
  ForEachTarget([&] {
    std::vector<float> m(kNumFeatures * 4);
    BuildFeatureMatrix(data.Inputs(0, 4, true), data.Tables(), {m.data(), 4, 4});
    auto at = [&](std::size_t f, std::size_t i) { return m[f * 4 + i]; };
    EXPECT_EQ(at(kLowPriceZ, 0), 3.5f);
    EXPECT_EQ(at(kLowPriceZ, 1), 0.0f);    // NaN z: no evidence
    EXPECT_EQ(at(kLowPriceZ, 2), 0.0f);    // expensive: not a low price
    EXPECT_EQ(at(kLowPriceZ, 3), kLowPriceZCap);
    EXPECT_EQ(at(kTariffRate, 0), 0.12f);
    EXPECT_NEAR(at(kLogTraderAge, 0), 2.0f, 1e-6f);
    EXPECT_EQ(at(kLogTraderAge, 1), 0.0f);  // NaN age
    EXPECT_EQ(at(kLogTraderAge, 2), 0.0f);  // negative age
    EXPECT_EQ(at(kLogTraderAge, 3), 0.0f);
    EXPECT_EQ(at(kTraderMean, 1), 0.5f);
    EXPECT_EQ(at(kTraderBonus, 0), 0.05f);
    EXPECT_EQ(at(kRuleScore, 0), 2.0f);
    EXPECT_EQ(at(kRouteMismatch, 0), 1.0f);
    EXPECT_EQ(at(kRouteMismatch, 1), 0.0f);
    EXPECT_EQ(at(kRouteMismatch, 3), 1.0f);
    EXPECT_EQ(at(kChapterRate, 0), 0.7f);
    EXPECT_EQ(at(kChapterRate, 3), 0.1f);
    EXPECT_EQ(at(kOriginRate, 0), 0.3f);
  });
}

TEST(FeatureMatrixTest, ParallelMatchesSequentialBitForBit) {
  std::mt19937 rng(12);
  const Data data = RandomData(kBigSize + 1, rng);
  ForEachTarget([&] {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{17}, kBigSize}) {
      const FeatureInputs inputs = data.Inputs(1, size, true);
      std::vector<float> expected(kNumFeatures * size);
      BuildFeatureMatrix(inputs, data.Tables(), {expected.data(), size, size});
      for (const int threads : {1, 2, 3, 4}) {
        tbb::task_arena arena(threads);
        for (const std::size_t grain : testing::kGrains) {
          if (grain == 1 && size == kBigSize && threads != 2) continue;
          std::vector<float> actual(kNumFeatures * size, -1.0f);
          arena.execute([&] {
            BuildFeatureMatrixParallel(inputs, data.Tables(), {actual.data(), size, size}, grain);
          });
          SCOPED_TRACE("threads " + std::to_string(threads) + " grain " + std::to_string(grain));
          ExpectMatrixMatches(actual, expected, size, true);
        }
      }
    }
  });
}

// The fused scorer (LogisticScoreOfInputs in logistic.h) equals BuildFeatureMatrix + LogisticScore
// bit for bit on every target, sizes 0..49 at misaligned starts, with and without departures and
// with a big batch; its parallel driver equals it for any threads and grain.
TEST(FeatureMatrixTest, FusedLogisticScoreEqualsMatrixThenScore) {
  std::mt19937 rng(13);
  const Data data = RandomData(kBigSize + 3, rng);
  LogisticModel model;
  model.bias = -2.5f;
  std::normal_distribution<float> weight(0.0f, 0.8f);
  for (float& w : model.weight) w = weight(rng);
  const auto expect_fused_equal = [&](std::size_t offset, std::size_t size, bool with_departure) {
    const FeatureInputs inputs = data.Inputs(offset, size, with_departure);
    std::vector<float> matrix(kNumFeatures * size), expected(size), fused(size + 1, -3.0f);
    BuildFeatureMatrix(inputs, data.Tables(), {matrix.data(), size, size});
    LogisticScore({matrix.data(), size, size}, model, expected);
    LogisticScoreOfInputs(inputs, data.Tables(), model, std::span(fused).first(size));
    EXPECT_EQ(fused.back(), -3.0f) << "written past the output";
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < size; ++i) mismatches += Bits(fused[i]) != Bits(expected[i]);
    EXPECT_EQ(mismatches, 0u) << "offset " << offset << " size " << size << " departure " << with_departure;
  };
  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) {
        expect_fused_equal(offset, size, true);
        expect_fused_equal(offset, size, false);
      }
    }
    expect_fused_equal(1, kBigSize, true);
    const FeatureInputs inputs = data.Inputs(1, kBigSize, true);
    std::vector<float> sequential(kBigSize);
    LogisticScoreOfInputs(inputs, data.Tables(), model, sequential);
    for (const int threads : {1, 2, 3}) {
      tbb::task_arena arena(threads);
      for (const std::size_t grain : {std::size_t{7}, std::size_t{1000}, kDefaultParallelGrain}) {
        std::vector<float> parallel(kBigSize, -1.0f);
        arena.execute([&] { LogisticScoreOfInputsParallel(inputs, data.Tables(), model, parallel, grain); });
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < kBigSize; ++i) mismatches += Bits(parallel[i]) != Bits(sequential[i]);
        EXPECT_EQ(mismatches, 0u) << "threads " << threads << " grain " << grain;
      }
    }
  });
}

}  // namespace
}  // namespace crsim::kernels
