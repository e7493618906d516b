#include "crsim/sim/random.h"

#include <cmath>

namespace crsim::sim {

std::uint64_t PoissonSample(const CounterRandom& random, Stream stream, std::uint32_t a,
                            std::uint32_t b, double mean) {
  if (!(mean > 0.0)) return 0;
  WordSequence words(random, stream, a, b);
  if (mean < 10.0) {
    // Inversion: walk the cumulative distribution until it passes one uniform.
    const double u = UniformDouble(words.Next());
    double probability = std::exp(-mean);
    double cumulative = probability;
    std::uint64_t k = 0;
    while (u >= cumulative && k < 1000) {
      ++k;
      probability *= mean / static_cast<double>(k);
      cumulative += probability;
    }
    return k;
  }
  // PTRS: W. Hörmann, "The transformed rejection method for generating Poisson random variables",
  // Insurance: Mathematics and Economics 12 (1993) 39-45.
  const double sqrt_mean = std::sqrt(mean);
  const double log_mean = std::log(mean);
  const double b_coef = 0.931 + 2.53 * sqrt_mean;
  const double a_coef = -0.059 + 0.02483 * b_coef;
  const double inverse_alpha = 1.1239 + 1.1328 / (b_coef - 3.4);
  const double v_r = 0.9277 - 3.6224 / (b_coef - 2.0);
  for (;;) {
    const double u = UniformDouble(words.Next()) - 0.5;
    const double v = UniformOpenDouble(words.Next());
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2.0 * a_coef / us + b_coef) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return static_cast<std::uint64_t>(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(inverse_alpha) - std::log(a_coef / (us * us) + b_coef) <=
        -mean + k * log_mean - std::lgamma(k + 1.0)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

}  // namespace crsim::sim
