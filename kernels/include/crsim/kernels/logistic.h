// Logistic model: L2-regularised training with Eigen (Newton / IRLS, deterministic) on a feature
// matrix (crsim/kernels/feature_matrix.h), and SIMD scoring.
//
// Scoring: probability[i] = 1 / (1 + exp(-t)), t = clamp(bias + sum_f weight[f] x[f][i], -80, 80).
// The clamp keeps exp finite in float (exp(80) ~ 5.5e34) and changes a probability only beyond
// |t| = 80, where it is within 1.8e-35 of 0 or 1 (and exactly 1 in float on the high side).
// SIMD (Highway, runtime dispatch): N rows per step, one broadcast weight and one unit-stride load
// per feature (column-major matrix), FMA where the target has it, Highway's Exp. The scalar
// reference uses separate multiply and add and std::exp, so they differ by rounding:
// |p_simd - p_ref| <= 0.25 x (F + 1) x 2^-23 x (|bias| + sum_f |w_f x_f|) + 2^-20 (the logit's
// rounding through p' <= 1/4, plus Highway's Exp error and the division's rounding,
// generously bounded); tests/kernels/logistic_test.cc checks exactly that bound.
//
// Training: TrainLogisticModel fits bias and weights by maximising
//     sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)] - (l2 / 2) |w|^2     (bias not penalised)
// on the given rows, after standardising each feature to mean 0 and sd 1 over those rows (so the
// penalty treats features alike; constant features get weight 0), with Newton steps (= IRLS)
// solved by Eigen's LDLT on the (F + 1) x (F + 1) Hessian, halving a step that does not improve the
// objective. Everything is sequential double arithmetic in a fixed order: the same rows give the
// same model bit for bit. l2 > 0 makes the problem strictly concave, so the optimum exists even when
// the classes are separable. Labels are 0/1 (any nonzero counts as 1). Fewer than 2 rows, or a
// single class, give the intercept-only model (bias = log-odds of the smoothed rate, weights 0).
//
// Selective labels: the caller trains on inspected declarations only, label = detected; a fraud the
// inspection missed is a 0, as in reality (see sim/src/risk_engine.cc).
//
// Preconditions: weight.size() == matrix features (kNumFeatures); probability.size() == rows; a NaN
// feature gives an unspecified probability in 0..1 or NaN, without UB (the SIMD clamp and the
// scalar one treat NaN differently); the feature kernel never produces NaN.
//
// Usage:
//   LogisticModel model = TrainLogisticModel(inspected_features, detected, {.l2 = 1.0}).model;
//   LogisticScoreParallel(features.view(), model, probability);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/parallel.h"

namespace crsim::kernels {

inline constexpr float kLogitClamp = 80.0f;

struct LogisticModel {
  float bias = 0.0f;
  std::array<float, kNumFeatures> weight{};
};

struct LogisticTrainingOptions {
  double l2 = 1.0;           // penalty on the standardised weights, > 0
  int max_iterations = 50;   // Newton steps
  double tolerance = 1e-10;  // stop when the relative objective change falls below it
};

struct LogisticTrainingResult {
  LogisticModel model;
  int iterations = 0;
  bool converged = false;
};

// `label` has matrix.rows entries.
LogisticTrainingResult TrainLogisticModel(const ConstFeatureMatrix& matrix,
                                          std::span<const std::uint8_t> label,
                                          const LogisticTrainingOptions& options);

// SIMD, dispatched at run time.
void LogisticScore(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                   std::span<float> probability);

void LogisticScoreParallel(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                           std::span<float> probability, std::size_t grain = kDefaultParallelGrain);

// Fused: the probabilities LogisticScore would give on the matrix BuildFeatureMatrix builds from
// (inputs, tables), without the matrix. Each vector of rows' nine features stay in registers and
// go straight into the dot product, so nothing is stored and read back (36 bytes per row). Same
// arithmetic in the same order: bit-identical to BuildFeatureMatrix + LogisticScore on the same
// SIMD target (tests/kernels/logistic_test.cc). For scoring only: training needs the matrix of the
// inspected rows. Preconditions: those of BuildFeatureMatrix, with probability.size() rows.
void LogisticScoreOfInputs(const FeatureInputs& inputs, const FeatureTables& tables, const LogisticModel& model,
                           std::span<float> probability);

// LogisticScoreOfInputs over parallel chunks of `grain` rows; identical for any thread count.
void LogisticScoreOfInputsParallel(const FeatureInputs& inputs, const FeatureTables& tables,
                                   const LogisticModel& model, std::span<float> probability,
                                   std::size_t grain = kDefaultParallelGrain);

// Plain scalar reference.
void LogisticScoreReference(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                            std::span<float> probability);

}  // namespace crsim::kernels
