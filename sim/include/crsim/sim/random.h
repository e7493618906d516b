// Counter-based random numbers and the distributions built on them.
//
// Every random number in crsim is a pure function of (seed, stream, logical coordinates): Philox4x32-10
// (Random123) keyed by the scenario seed, with a counter made of the coordinates that name the draw,
// for example (stream = generate, day, record, block). No generator state is carried between draws,
// so a record's numbers do not depend on which thread makes it, on the chunking, or on the order in
// which records are made: that is what makes every run bit-identical for any thread count.
//
// Distributions are implemented here rather than taken from <random>, whose algorithms differ
// between standard libraries. Each takes raw 32-bit words and documents how many it consumes.
#pragma once

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace crsim::sim {

// Independent random streams (at most 255). The value is part of the counter: never renumber a
// stream, or every published result changes.
enum class Stream : std::uint32_t {
  kWorld = 1,           // catalogue, traders, portfolios: counter (entity kind, index, block)
  kArrivals = 2,        // daily declaration counts: counter (day, stream: 0 ordinary, 1 e-commerce, draw)
  kGenerate = 3,        // declaration contents: counter (day, record, block)
  kInspection = 4,      // detection outcomes: counter (day, record)
  kStrategyRandom = 5,  // random inspection picks: counter (day, record)
  kIntelligence = 6,    // tips: counter (day, record)
  kStrategyBandit = 7,  // Thompson sampling draws of the bandit strategy: counter (day, record)
  kEcommerce = 16,      // e-commerce stream declaration contents: counter (day, record, block) (crsim/sim/ecommerce.h)
  kModelTraining = 32,  // seeds of trained risk models (XGBoost's seed): counter (training index, 0, 0)
};

using RandomBlock = std::array<std::uint32_t, 4>;

// Keyed by the seed; the replication index and the stream share the counter's last word
// (replication << 8 | stream), so replication 0 draws exactly what a single run draws.
class CounterRandom {
 public:
  static constexpr std::uint32_t kMaxReplications = 1u << 24;

  explicit CounterRandom(std::uint64_t seed, std::uint32_t replication = 0)
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}},
        replication_bits_(replication << 8) {}

  // Four independent uniform 32-bit words for the coordinates (stream, a, b, c).
  RandomBlock Block(Stream stream, std::uint32_t a, std::uint32_t b, std::uint32_t c) const {
    const r123::Philox4x32::ctr_type counter = {{a, b, c, replication_bits_ | static_cast<std::uint32_t>(stream)}};
    const r123::Philox4x32::ctr_type out = generator_(counter, key_);
    return {out[0], out[1], out[2], out[3]};
  }

 private:
  r123::Philox4x32 generator_;
  r123::Philox4x32::key_type key_;
  std::uint32_t replication_bits_;
};

// Words from consecutive blocks (stream, a, b, 0), (stream, a, b, 1), ... of one logical
// coordinate, for draws whose number is not fixed in advance (rejection sampling, portfolios).
class WordSequence {
 public:
  WordSequence(const CounterRandom& random, Stream stream, std::uint32_t a, std::uint32_t b,
               std::uint32_t first_block = 0)
      : random_(random), stream_(stream), a_(a), b_(b), block_index_(first_block) {}

  std::uint32_t Next() {
    if (used_ == 4) {
      block_ = random_.Block(stream_, a_, b_, block_index_++);
      used_ = 0;
    }
    return block_[used_++];
  }

 private:
  const CounterRandom& random_;
  Stream stream_;
  std::uint32_t a_, b_;
  std::uint32_t block_index_;
  RandomBlock block_{};
  int used_ = 4;
};

// Uniform in [0, 1) with 24 random bits (exactly representable as float).
inline float UniformFloat(std::uint32_t word) {
  return static_cast<float>(word >> 8) * 0x1.0p-24f;
}

// Uniform in [0, 1) with 32 random bits.
inline double UniformDouble(std::uint32_t word) { return static_cast<double>(word) * 0x1.0p-32; }

// Uniform in (0, 1]: safe to take the logarithm of.
inline double UniformOpenDouble(std::uint32_t word) {
  return (static_cast<double>(word) + 1.0) * 0x1.0p-32;
}

// Uniform integer in [0, n) by Lemire's multiply-shift (bias below n / 2^32, negligible for the
// table sizes used here). Consumes one word.
inline std::uint32_t UniformIndex(std::uint32_t word, std::uint32_t n) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(word) * n) >> 32);
}

// Two independent standard normals from two words (Box-Muller).
inline std::array<double, 2> StandardNormalPair(std::uint32_t word_a, std::uint32_t word_b) {
  const double radius = std::sqrt(-2.0 * std::log(UniformOpenDouble(word_a)));
  const double angle = 2.0 * std::numbers::pi * UniformDouble(word_b);
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

// Uniform in (0, 1] with 24 random bits, as float.
inline float UniformOpenFloat(std::uint32_t word) {
  return static_cast<float>((word >> 8) + 1) * 0x1.0p-24f;
}

// The same in single precision, for the generator's hot loop: float logf/sincosf cost about half
// their double versions. 24-bit uniforms bound |z| by sqrt(-2 ln 2^-24) = 5.77, a tail cut at
// probability 8e-9 that the generator's log-normal values do not notice.
inline std::array<float, 2> StandardNormalPairFloat(std::uint32_t word_a, std::uint32_t word_b) {
  const float radius = std::sqrt(-2.0f * std::log(UniformOpenFloat(word_a)));
  const float angle = 2.0f * std::numbers::pi_v<float> * UniformFloat(word_b);
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

// Poisson(mean) for one logical coordinate: draws words from (stream, a, b, draw) for draw = 0, 1, ...
// Uses inversion for mean < 10 and Hörmann's PTRS transformed rejection (1993) above, which needs
// about 1.2 blocks on average. Exact in distribution for every mean.
std::uint64_t PoissonSample(const CounterRandom& random, Stream stream, std::uint32_t a,
                            std::uint32_t b, double mean);

}  // namespace crsim::sim
