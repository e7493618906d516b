#include "crsim/sim/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "crsim/sim/world.h"

namespace crsim::sim {
namespace {

TEST(CounterRandom, SameCoordinatesSameNumbersDifferentCoordinatesDifferent) {
  const CounterRandom a(123), b(123), other_seed(124);
  EXPECT_EQ(a.Block(Stream::kGenerate, 1, 2, 3), b.Block(Stream::kGenerate, 1, 2, 3));
  EXPECT_NE(a.Block(Stream::kGenerate, 1, 2, 3), a.Block(Stream::kGenerate, 1, 2, 4));
  EXPECT_NE(a.Block(Stream::kGenerate, 1, 2, 3), a.Block(Stream::kInspection, 1, 2, 3));
  EXPECT_NE(a.Block(Stream::kGenerate, 1, 2, 3), other_seed.Block(Stream::kGenerate, 1, 2, 3));
}

TEST(CounterRandom, MatchesThePublishedPhiloxKnownAnswer) {
  // Random123's kat_vectors: philox4x32 10 rounds, counter = key = 0.
  const r123::Philox4x32 philox;
  const r123::Philox4x32::ctr_type out = philox({{0, 0, 0, 0}}, {{0, 0}});
  EXPECT_EQ(out[0], 0x6627e8d5u);
  EXPECT_EQ(out[1], 0xe169c58du);
  EXPECT_EQ(out[2], 0xbc57ac4cu);
  EXPECT_EQ(out[3], 0x9b00dbd8u);
}

TEST(Distributions, UniformsStayInTheirIntervals) {
  EXPECT_EQ(UniformFloat(0), 0.0f);
  EXPECT_LT(UniformFloat(0xffffffffu), 1.0f);
  EXPECT_GT(UniformOpenDouble(0), 0.0);
  EXPECT_EQ(UniformOpenDouble(0xffffffffu), 1.0);
  EXPECT_EQ(UniformIndex(0xffffffffu, 7), 6u);
  EXPECT_EQ(UniformIndex(0, 7), 0u);
}

// Sample mean and variance against the distribution's, within 5 standard errors (a false alarm
// has probability below 1e-6 per check).
void ExpectMoments(const std::vector<double>& samples, double mean, double variance) {
  const double n = static_cast<double>(samples.size());
  double sum = 0.0, sum_squares = 0.0;
  for (const double x : samples) sum += x;
  const double sample_mean = sum / n;
  for (const double x : samples) sum_squares += (x - sample_mean) * (x - sample_mean);
  const double sample_variance = sum_squares / (n - 1.0);
  EXPECT_NEAR(sample_mean, mean, 5.0 * std::sqrt(variance / n));
  // The variance of the sample variance is about 2 sigma^4 / n for near-normal data; allow 5 of those.
  EXPECT_NEAR(sample_variance, variance, 5.0 * variance * std::sqrt(2.0 / n) + 1e-12);
}

TEST(Distributions, StandardNormalPairHasUnitMoments) {
  const CounterRandom random(9);
  std::vector<double> samples;
  for (std::uint32_t i = 0; i < 50000; ++i) {
    const RandomBlock words = random.Block(Stream::kWorld, 99, i, 0);
    const auto pair = StandardNormalPair(words[0], words[1]);
    samples.push_back(pair[0]);
    samples.push_back(pair[1]);
  }
  ExpectMoments(samples, 0.0, 1.0);
}

class PoissonMoments : public ::testing::TestWithParam<double> {};

TEST_P(PoissonMoments, MeanAndVarianceEqualTheRate) {
  const double mean = GetParam();
  const CounterRandom random(2026);
  std::vector<double> samples;
  for (std::uint32_t i = 0; i < 40000; ++i) {
    samples.push_back(static_cast<double>(PoissonSample(random, Stream::kArrivals, i, 17, mean)));
  }
  ExpectMoments(samples, mean, mean);
}

// Both algorithms (inversion below 10, PTRS above) and a large daily arrival rate.
INSTANTIATE_TEST_SUITE_P(Rates, PoissonMoments, ::testing::Values(0.5, 3.0, 9.9, 10.0, 37.5, 1000.0, 550000.0));

TEST(Poisson, ZeroMeanGivesZero) {
  const CounterRandom random(1);
  EXPECT_EQ(PoissonSample(random, Stream::kArrivals, 0, 0, 0.0), 0u);
}

TEST(AliasTable, DrawsInProportionToWeights) {
  const std::vector<double> weights = {5.0, 0.0, 1.0, 3.0, 1.0};
  const AliasTable table(weights);
  const CounterRandom random(5);
  std::vector<double> counts(weights.size(), 0.0);
  const std::uint32_t draws = 200000;
  for (std::uint32_t i = 0; i < draws; ++i) {
    const RandomBlock words = random.Block(Stream::kWorld, 7, i, 0);
    ++counts[table.Sample(words[0], words[1])];
  }
  EXPECT_EQ(counts[1], 0.0) << "a zero weight is never drawn";
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double p = weights[i] / 10.0;
    EXPECT_NEAR(counts[i] / draws, p, 5.0 * std::sqrt(p * (1 - p) / draws)) << "index " << i;
  }
}

TEST(AliasTable, RejectsAllZeroWeights) { EXPECT_THROW(AliasTable(std::vector<double>{0.0, 0.0}), std::invalid_argument); }

}  // namespace
}  // namespace crsim::sim
