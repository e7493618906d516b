// Tests of the logistic model: SIMD scoring against the scalar reference on every compiled target
// within the bound stated in crsim/kernels/logistic.h (0.25 (F + 1) 2^-23 (|bias| + sum |w x|) +
// 2^-20), parallel == sequential bit for bit, and training: recovers known weights from simulated
// data, is deterministic, handles one class and separable data.
#include "crsim/kernels/logistic.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "kernel_test_support.h"

namespace crsim::kernels {
namespace {

using testing::Bits;
using testing::ForEachTarget;
using testing::kBigSize;
using testing::kMaxSweepSize;

std::vector<float> RandomMatrix(std::size_t rows, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> data(kNumFeatures * rows);
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    for (std::size_t i = 0; i < rows; ++i) {
      data[f * rows + i] = f == kRouteMismatch ? static_cast<float>(rng() % 2) : normal(rng);
    }
  }
  return data;
}

LogisticModel RandomModel(std::mt19937& rng, float scale) {
  std::normal_distribution<float> normal(0.0f, scale);
  LogisticModel model;
  model.bias = normal(rng);
  for (float& w : model.weight) w = normal(rng);
  return model;
}

float Tolerance(const std::vector<float>& data, std::size_t stride, std::size_t i, const LogisticModel& model) {
  double magnitude = std::fabs(model.bias);
  for (std::size_t f = 0; f < kNumFeatures; ++f) magnitude += std::fabs(model.weight[f] * data[f * stride + i]);
  return static_cast<float>(0.25 * (kNumFeatures + 1) * std::ldexp(1.0, -23) * magnitude + std::ldexp(1.0, -20));
}

TEST(LogisticTest, SimdScoreMatchesReferenceOnEveryTarget) {
  std::mt19937 rng(21);
  const std::size_t stride = kBigSize + 3;
  const std::vector<float> data = RandomMatrix(stride, rng);
  for (const float scale : {0.1f, 1.0f, 30.0f}) {  // 30: logits beyond the +-80 clamp
    const LogisticModel model = RandomModel(rng, scale);
    ForEachTarget([&] {
      auto check = [&](std::size_t offset, std::size_t size) {
        const ConstFeatureMatrix matrix{data.data() + offset, size, stride};
        std::vector<float> expected(size), actual(size + 1, -2.0f);
        LogisticScoreReference(matrix, model, expected);
        LogisticScore(matrix, model, std::span(actual).first(size));
        std::size_t outside = 0;
        for (std::size_t i = 0; i < size; ++i) {
          outside += !(std::fabs(actual[i] - expected[i]) <= Tolerance(data, stride, offset + i, model));
          outside += !(actual[i] >= 0.0f && actual[i] <= 1.0f);
        }
        EXPECT_EQ(outside, 0u) << "offset " << offset << " size " << size;
        EXPECT_EQ(actual[size], -2.0f);
      };
      for (std::size_t offset = 0; offset <= 3; ++offset) {
        for (std::size_t size = 0; size <= kMaxSweepSize; ++size) check(offset, size);
      }
      check(1, kBigSize);
    });
  }
}

TEST(LogisticTest, ParallelScoreMatchesSequentialBitForBit) {
  std::mt19937 rng(22);
  const std::size_t stride = kBigSize + 1;
  const std::vector<float> data = RandomMatrix(stride, rng);
  const LogisticModel model = RandomModel(rng, 1.0f);
  ForEachTarget([&] {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{17}, kBigSize}) {
      const ConstFeatureMatrix matrix{data.data() + 1, size, stride};
      std::vector<float> expected(size);
      LogisticScore(matrix, model, expected);
      for (const int threads : {1, 2, 3, 4}) {
        tbb::task_arena arena(threads);
        for (const std::size_t grain : testing::kGrains) {
          if (grain == 1 && size == kBigSize && threads != 2) continue;
          std::vector<float> actual(size, -1.0f);
          arena.execute([&] { LogisticScoreParallel(matrix, model, actual, grain); });
          std::size_t mismatches = 0;
          for (std::size_t i = 0; i < size; ++i) mismatches += Bits(actual[i]) != Bits(expected[i]);
          EXPECT_EQ(mismatches, 0u) << "size " << size << " threads " << threads << " grain " << grain;
        }
      }
    }
  });
}

// Labels drawn from a known model; the fit with a small penalty lands near it, and twice the same.
TEST(LogisticTest, TrainingRecoversKnownWeightsDeterministically) {
  std::mt19937 rng(23);
  const std::size_t rows = 40000;
  std::vector<float> data = RandomMatrix(rows, rng);
  for (std::size_t i = 0; i < rows; ++i) data[kTariffRate * rows + i] = 3.0f;  // constant feature
  LogisticModel truth;
  truth.bias = -1.0f;
  truth.weight[kLowPriceZ] = 0.8f;
  truth.weight[kRuleScore] = -0.5f;
  truth.weight[kRouteMismatch] = 1.5f;
  std::vector<float> probability(rows);
  const ConstFeatureMatrix matrix{data.data(), rows, rows};
  LogisticScoreReference(matrix, truth, probability);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<std::uint8_t> label(rows);
  for (std::size_t i = 0; i < rows; ++i) label[i] = unit(rng) < probability[i] ? 1 : 0;

  const LogisticTrainingResult fit = TrainLogisticModel(matrix, label, {.l2 = 1e-3});
  EXPECT_TRUE(fit.converged);
  EXPECT_NEAR(fit.model.bias, truth.bias, 0.1f);
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    EXPECT_NEAR(fit.model.weight[f], truth.weight[f], 0.06f) << FeatureName(f);
  }
  EXPECT_EQ(fit.model.weight[kTariffRate], 0.0f);  // constant: no information, weight 0
  const LogisticTrainingResult again = TrainLogisticModel(matrix, label, {.l2 = 1e-3});
  EXPECT_EQ(Bits(again.model.bias), Bits(fit.model.bias));
  for (std::size_t f = 0; f < kNumFeatures; ++f) EXPECT_EQ(Bits(again.model.weight[f]), Bits(fit.model.weight[f]));
}

TEST(LogisticTest, TrainingEdgeCases) {
  std::mt19937 rng(24);
  const std::size_t rows = 200;
  std::vector<float> data = RandomMatrix(rows, rng);
  const ConstFeatureMatrix matrix{data.data(), rows, rows};
  // One class: intercept only, finite, low probability.
  std::vector<std::uint8_t> zeros(rows, 0);
  const LogisticTrainingResult none = TrainLogisticModel(matrix, zeros, {});
  EXPECT_TRUE(std::isfinite(none.model.bias));
  EXPECT_LT(none.model.bias, -4.0f);
  for (const float w : none.model.weight) EXPECT_EQ(w, 0.0f);
  // No rows.
  const LogisticTrainingResult empty = TrainLogisticModel({data.data(), 0, 0}, {}, {});
  EXPECT_EQ(empty.model.bias, 0.0f);
  // Perfectly separable on one feature: the penalty keeps the weights finite.
  std::vector<std::uint8_t> separable(rows);
  for (std::size_t i = 0; i < rows; ++i) separable[i] = data[kLowPriceZ * rows + i] > 0.0f ? 1 : 0;
  const LogisticTrainingResult fit = TrainLogisticModel(matrix, separable, {.l2 = 0.1});
  EXPECT_TRUE(std::isfinite(fit.model.bias));
  EXPECT_GT(fit.model.weight[kLowPriceZ], 1.0f);
  for (const float w : fit.model.weight) EXPECT_TRUE(std::isfinite(w));
}

}  // namespace
}  // namespace crsim::kernels
