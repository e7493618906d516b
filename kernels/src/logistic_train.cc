// Training of the logistic model with Eigen (spec in crsim/kernels/logistic.h): L2-regularised
// Newton / IRLS on standardised features, sequential and deterministic.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include <Eigen/Dense>

#include "crsim/kernels/logistic.h"

namespace crsim::kernels {

namespace {

constexpr std::size_t kParameters = kNumFeatures + 1;  // bias first
using Vector = Eigen::Matrix<double, kParameters, 1>;
using Matrix = Eigen::Matrix<double, kParameters, kParameters>;

// log(1 + exp(t)) without overflow.
double Softplus(double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }

}  // namespace

LogisticTrainingResult TrainLogisticModel(const ConstFeatureMatrix& matrix,
                                          std::span<const std::uint8_t> label,
                                          const LogisticTrainingOptions& options) {
  if (label.size() != matrix.rows || matrix.stride < matrix.rows || !(options.l2 > 0.0)) {
    std::fprintf(stderr, "%s:%d: TrainLogisticModel: bad shapes or l2 <= 0\n", __FILE__, __LINE__);
    std::abort();
  }
  const std::size_t rows = matrix.rows;
  LogisticTrainingResult result;
  std::size_t positives = 0;
  for (const std::uint8_t y : label) positives += y != 0 ? 1 : 0;
  // Intercept-only fallback: smoothed log-odds (+0.5 / +1), finite even with one class.
  const double smoothed_rate = (static_cast<double>(positives) + 0.5) / (static_cast<double>(rows) + 1.0);
  result.model.bias = static_cast<float>(std::log(smoothed_rate / (1.0 - smoothed_rate)));
  if (rows < 2 || positives == 0 || positives == rows) {
    result.converged = true;
    return result;
  }

  // Standardised design matrix, column 0 = 1 (bias).
  Eigen::Matrix<double, Eigen::Dynamic, kParameters> design(static_cast<Eigen::Index>(rows), kParameters);
  Eigen::VectorXd target(static_cast<Eigen::Index>(rows));
  std::array<double, kNumFeatures> center{};
  std::array<double, kNumFeatures> scale{};
  for (std::size_t i = 0; i < rows; ++i) {
    design(static_cast<Eigen::Index>(i), 0) = 1.0;
    target(static_cast<Eigen::Index>(i)) = label[i] != 0 ? 1.0 : 0.0;
  }
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    const float* column = matrix.data + f * matrix.stride;
    double sum = 0.0;
    for (std::size_t i = 0; i < rows; ++i) sum += column[i];
    const double mean = sum / static_cast<double>(rows);
    double squares = 0.0;
    for (std::size_t i = 0; i < rows; ++i) squares += (column[i] - mean) * (column[i] - mean);
    const double sd = std::sqrt(squares / static_cast<double>(rows));
    center[f] = mean;
    scale[f] = sd > 1e-12 ? sd : 0.0;  // constant feature: column of zeros, weight stays 0
    for (std::size_t i = 0; i < rows; ++i) {
      design(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(f + 1)) =
          scale[f] > 0.0 ? (column[i] - mean) / scale[f] : 0.0;
    }
  }

  Matrix penalty = Matrix::Identity() * options.l2;
  penalty(0, 0) = 0.0;
  auto objective = [&](const Vector& beta) {  // negative penalised log-likelihood
    const Eigen::VectorXd eta = design * beta;
    double loss = 0.0;
    for (Eigen::Index i = 0; i < eta.size(); ++i) loss += Softplus(eta(i)) - target(i) * eta(i);
    return loss + 0.5 * beta.dot(penalty * beta);
  };

  Vector beta = Vector::Zero();
  beta(0) = std::log(smoothed_rate / (1.0 - smoothed_rate));
  double current = objective(beta);
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    result.iterations = iteration + 1;
    const Eigen::VectorXd eta = design * beta;
    Eigen::VectorXd probability(eta.size());
    Eigen::VectorXd weight(eta.size());
    for (Eigen::Index i = 0; i < eta.size(); ++i) {
      probability(i) = 1.0 / (1.0 + std::exp(-eta(i)));
      weight(i) = probability(i) * (1.0 - probability(i));
    }
    const Vector gradient = design.transpose() * (target - probability) - penalty * beta;
    const Matrix hessian = design.transpose() * weight.asDiagonal() * design + penalty;
    const Vector step = hessian.ldlt().solve(gradient);
    double step_size = 1.0;
    bool improved = false;
    double next = current;
    for (int halving = 0; halving < 30; ++halving, step_size *= 0.5) {
      next = objective(beta + step_size * step);
      if (next <= current) {
        improved = true;
        break;
      }
    }
    if (!improved) {
      result.converged = true;  // no descent left at float-visible precision
      break;
    }
    beta += step_size * step;
    const double change = (current - next) / std::max(1.0, std::abs(current));
    current = next;
    if (change < options.tolerance) {
      result.converged = true;
      break;
    }
  }

  // Back to raw features: w_raw = w / sd, bias_raw = bias - sum w_raw * mean.
  double bias = beta(0);
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    const double raw = scale[f] > 0.0 ? beta(static_cast<Eigen::Index>(f + 1)) / scale[f] : 0.0;
    result.model.weight[f] = static_cast<float>(raw);
    bias -= raw * center[f];
  }
  result.model.bias = static_cast<float>(bias);
  return result;
}

}  // namespace crsim::kernels
