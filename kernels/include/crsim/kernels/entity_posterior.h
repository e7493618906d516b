// Entity risk kernel: a Beta-Binomial posterior of the hit rate of every entity (trader today;
// declarant, HS chapter or origin tomorrow) from its inspection outcomes, and the per-declaration
// gather of that posterior.
//
// Model: entity e has been inspected n_e times with h_e hits (frauds found). Its hit rate p_e has a
// Beta prior with mean m (the population hit rate) and strength s (pseudo-inspections):
//     p_e ~ Beta(s m, s (1 - m))  ->  posterior Beta(h_e + s m, n_e - h_e + s (1 - m))
//     mean[e]  = (h_e + s m) / (n_e + s)
//     bonus[e] = c * sqrt(mean[e] (1 - mean[e]) / (n_e + s + 1))        (c * posterior sd)
// mean + bonus is an upper confidence bound: an entity seldom inspected keeps a large bonus, so a
// selection that rewards the bonus explores it ("optimism under uncertainty").
//
// Split for a cheap per-day update: UpdateBetaBinomialPosterior is O(entities) and runs once per
// day after the day's inspections (it must touch every entity because m changes); the per-declaration
// part is a pure gather, GatherEntityPosterior: two table lookups per declaration (SIMD
// GatherIndex), the same cost whatever the entity. The kernel knows nothing of what an entity is:
// a declarant column plugs in by calling both with declarant ids and declarant counts.
//
// Numerics: the update computes in double and rounds once to float, with the same expression as the
// risk engine's historical trader risk ((h + s m) / (n + s)), so the weighted-sum score is unchanged
// bit for bit. The gather copies floats: SIMD, parallel and reference are identical, exactly.
//
// Preconditions (checked with HWY_ASSERT where O(1); a violation is a caller bug, not bad input):
//   hits[e] <= inspections[e]; 0 <= m <= 1; s > 0; c >= 0 (otherwise mean/bonus may be NaN or
//   negative but nothing is undefined); entity[i] < table size; equal span lengths. Empty spans
//   are a no-op.
//
// Usage:
//   UpdateBetaBinomialPosterior(inspections, hits, {population_hit_rate, 10.0}, 1.0, mean, bonus);
//   GatherEntityPosteriorParallel(declared.trader, mean, bonus, trader_mean, trader_bonus);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crsim/kernels/parallel.h"

namespace crsim::kernels {

struct BetaBinomialPrior {
  double mean = 0.0;       // m: population hit rate, 0..1
  double strength = 10.0;  // s: pseudo-inspections, > 0
};

// Per-entity posterior mean and bonus (c x posterior sd); all spans have the entity count.
void UpdateBetaBinomialPosterior(std::span<const std::uint32_t> inspections,
                                 std::span<const std::uint32_t> hits, const BetaBinomialPrior& prior,
                                 double bonus_sd_multiplier, std::span<float> mean,
                                 std::span<float> bonus);

// SIMD: mean_out[i] = mean_table[entity[i]], bonus_out[i] = bonus_table[entity[i]].
void GatherEntityPosterior(std::span<const std::uint32_t> entity, std::span<const float> mean_table,
                           std::span<const float> bonus_table, std::span<float> mean_out,
                           std::span<float> bonus_out);

// GatherEntityPosterior over chunks of `grain` rows in parallel (crsim/kernels/parallel.h).
void GatherEntityPosteriorParallel(std::span<const std::uint32_t> entity,
                                   std::span<const float> mean_table,
                                   std::span<const float> bonus_table, std::span<float> mean_out,
                                   std::span<float> bonus_out,
                                   std::size_t grain = kDefaultParallelGrain);

// Plain scalar reference of the gather.
void GatherEntityPosteriorReference(std::span<const std::uint32_t> entity,
                                    std::span<const float> mean_table,
                                    std::span<const float> bonus_table, std::span<float> mean_out,
                                    std::span<float> bonus_out);

}  // namespace crsim::kernels
