// Tests of the entity posterior kernel: the per-entity update against hand-computed Beta-Binomial
// posteriors, and the SIMD gather against the scalar reference (exact: it copies floats) on every
// compiled target, sizes 0..49 at misaligned starts, a big batch, and parallel == sequential.
#include "crsim/kernels/entity_posterior.h"

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

TEST(EntityPosteriorTest, UpdateMatchesBetaBinomialPosterior) {
  const std::vector<std::uint32_t> inspections = {0, 10, 10, 1000, 3};
  const std::vector<std::uint32_t> hits = {0, 0, 10, 100, 3};
  std::vector<float> mean(5);
  std::vector<float> bonus(5);
  const BetaBinomialPrior prior{0.2, 10.0};
  UpdateBetaBinomialPosterior(inspections, hits, prior, 2.0, mean, bonus);
  for (std::size_t e = 0; e < 5; ++e) {
    const double a = hits[e] + 10.0 * 0.2;
    const double b = inspections[e] - hits[e] + 10.0 * 0.8;
    const double expected_mean = a / (a + b);
    const double expected_sd = std::sqrt(a * b / ((a + b) * (a + b) * (a + b + 1.0)));
    EXPECT_NEAR(mean[e], expected_mean, 1e-7) << e;
    EXPECT_NEAR(bonus[e], 2.0 * expected_sd, 1e-7) << e;
  }
  // No data: the prior mean; more inspections shrink the bonus.
  EXPECT_FLOAT_EQ(mean[0], 0.2f);
  EXPECT_GT(bonus[1], bonus[3]);
  // The historical trader-risk expression, bit for bit (the weighted-sum score depends on it).
  EXPECT_EQ(Bits(mean[3]), Bits(static_cast<float>((100 + 10.0 * 0.2) / (1000 + 10.0))));
}

TEST(EntityPosteriorTest, UpdateEdgeCases) {
  // Empty: no-op. Prior mean 0 or 1: variance 0, bonus 0 (never NaN from sqrt of -0).
  UpdateBetaBinomialPosterior({}, {}, {}, 1.0, {}, {});
  const std::vector<std::uint32_t> none = {0, 0};
  std::vector<float> mean(2);
  std::vector<float> bonus(2);
  UpdateBetaBinomialPosterior(none, none, {0.0, 5.0}, 3.0, mean, bonus);
  EXPECT_EQ(mean[0], 0.0f);
  EXPECT_EQ(bonus[0], 0.0f);
  UpdateBetaBinomialPosterior(none, none, {1.0, 5.0}, 3.0, mean, bonus);
  EXPECT_EQ(mean[1], 1.0f);
  EXPECT_EQ(bonus[1], 0.0f);
}

struct Tables {
  std::vector<float> mean;
  std::vector<float> bonus;
  std::vector<std::uint32_t> entity;
};

Tables RandomTables(std::size_t entities, std::size_t rows, std::mt19937& rng) {
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_int_distribution<std::uint32_t> id(0, static_cast<std::uint32_t>(entities - 1));
  Tables tables;
  for (std::size_t e = 0; e < entities; ++e) {
    tables.mean.push_back(unit(rng));
    tables.bonus.push_back(e % 97 == 0 ? std::numeric_limits<float>::quiet_NaN() : unit(rng));
  }
  for (std::size_t i = 0; i < rows; ++i) tables.entity.push_back(i % 13 == 0 ? 0 : id(rng));
  tables.entity.back() = static_cast<std::uint32_t>(entities - 1);
  return tables;
}

void ExpectGatherMatches(const Tables& tables, std::size_t offset, std::size_t size) {
  const auto entity = std::span(tables.entity).subspan(offset, size);
  std::vector<float> expected_mean(size), expected_bonus(size), mean(size + 1, -7.0f),
      bonus(size + 1, -7.0f);
  GatherEntityPosteriorReference(entity, tables.mean, tables.bonus, expected_mean, expected_bonus);
  GatherEntityPosterior(entity, tables.mean, tables.bonus, std::span(mean).first(size),
                        std::span(bonus).first(size));
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < size; ++i) {
    mismatches += Bits(mean[i]) != Bits(expected_mean[i]);
    mismatches += Bits(bonus[i]) != Bits(expected_bonus[i]);
  }
  EXPECT_EQ(mismatches, 0u) << "offset " << offset << " size " << size;
  EXPECT_EQ(mean[size], -7.0f);  // nothing written past the end
  EXPECT_EQ(bonus[size], -7.0f);
}

TEST(EntityPosteriorTest, SimdGatherMatchesReferenceOnEveryTarget) {
  std::mt19937 rng(4);
  const Tables tables = RandomTables(5000, kBigSize + 3, rng);
  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) ExpectGatherMatches(tables, offset, size);
    }
    ExpectGatherMatches(tables, 1, kBigSize);
  });
}

TEST(EntityPosteriorTest, ParallelGatherMatchesSequential) {
  std::mt19937 rng(5);
  const Tables tables = RandomTables(3000, kBigSize + 1, rng);
  ForEachTarget([&] {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{17}, kBigSize}) {
      const auto entity = std::span(tables.entity).subspan(1, size);
      std::vector<float> expected_mean(size), expected_bonus(size);
      GatherEntityPosterior(entity, tables.mean, tables.bonus, expected_mean, expected_bonus);
      for (const int threads : {1, 2, 3, 4}) {
        tbb::task_arena arena(threads);
        for (const std::size_t grain : testing::kGrains) {
          if (grain == 1 && size == kBigSize && threads != 2) continue;
          std::vector<float> mean(size, -1.0f), bonus(size, -1.0f);
          arena.execute([&] {
            GatherEntityPosteriorParallel(entity, tables.mean, tables.bonus, mean, bonus, grain);
          });
          std::size_t mismatches = 0;
          for (std::size_t i = 0; i < size; ++i) {
            mismatches += Bits(mean[i]) != Bits(expected_mean[i]);
            mismatches += Bits(bonus[i]) != Bits(expected_bonus[i]);
          }
          EXPECT_EQ(mismatches, 0u) << "size " << size << " threads " << threads << " grain " << grain;
        }
      }
    }
  });
}

}  // namespace
}  // namespace crsim::kernels
