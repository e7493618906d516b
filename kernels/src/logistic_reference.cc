// Plain scalar reference of the logistic scorer (spec in crsim/kernels/logistic.h).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

#include "crsim/kernels/logistic.h"

namespace crsim::kernels {

void LogisticScoreReference(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                            std::span<float> probability) {
  if (probability.size() != matrix.rows || matrix.stride < matrix.rows) {
    std::fprintf(stderr, "%s:%d: LogisticScoreReference: bad shapes\n", __FILE__, __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < matrix.rows; ++i) {
    float logit = model.bias;
    for (std::size_t f = 0; f < kNumFeatures; ++f) {
      const float term = model.weight[f] * matrix.data[f * matrix.stride + i];
      logit = logit + term;
    }
    logit = std::min(std::max(logit, -kLogitClamp), kLogitClamp);
    probability[i] = 1.0f / (1.0f + std::exp(-logit));
  }
}

}  // namespace crsim::kernels
