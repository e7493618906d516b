// Highway translation unit of the entity posterior kernel: the per-target gather with runtime
// dispatch, its TBB driver, and the per-entity update (scalar double: O(entities) once a day).
#include "crsim/kernels/entity_posterior.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "entity_posterior.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "entity_posterior-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void GatherEntityPosteriorTarget(std::span<const std::uint32_t> entity,
                                              std::span<const float> mean_table,
                                              std::span<const float> bonus_table,
                                              std::span<float> mean_out, std::span<float> bonus_out) {
  GatherEntityPosteriorSpan(entity.data(), entity.size(), mean_table.data(), bonus_table.data(),
                            mean_out.data(), bonus_out.data());
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "parallel_chunks.h"

namespace crsim::kernels {

HWY_EXPORT(GatherEntityPosteriorTarget);

namespace {

void CheckGatherCall(std::span<const std::uint32_t> entity, std::span<const float> mean_table,
                     std::span<const float> bonus_table, std::span<float> mean_out,
                     std::span<float> bonus_out) {
  HWY_ASSERT(mean_out.size() == entity.size() && bonus_out.size() == entity.size());
  HWY_ASSERT(mean_table.size() == bonus_table.size());
  HWY_ASSERT(entity.empty() || !mean_table.empty());
}

}  // namespace

void UpdateBetaBinomialPosterior(std::span<const std::uint32_t> inspections,
                                 std::span<const std::uint32_t> hits, const BetaBinomialPrior& prior,
                                 double bonus_sd_multiplier, std::span<float> mean,
                                 std::span<float> bonus) {
  const std::size_t count = inspections.size();
  HWY_ASSERT(hits.size() == count && mean.size() == count && bonus.size() == count);
  const double strength = prior.strength;
  const double prior_hits = strength * prior.mean;
  for (std::size_t e = 0; e < count; ++e) {
    const double inspected = inspections[e];
    // Same expression, same order as the risk engine's historical trader risk: bit-identical.
    const double posterior_mean = (hits[e] + prior_hits) / (inspected + strength);
    mean[e] = static_cast<float>(posterior_mean);
    const double variance = posterior_mean * (1.0 - posterior_mean) / (inspected + strength + 1.0);
    bonus[e] = static_cast<float>(bonus_sd_multiplier * std::sqrt(variance > 0.0 ? variance : 0.0));
  }
}

void GatherEntityPosterior(std::span<const std::uint32_t> entity, std::span<const float> mean_table,
                           std::span<const float> bonus_table, std::span<float> mean_out,
                           std::span<float> bonus_out) {
  CheckGatherCall(entity, mean_table, bonus_table, mean_out, bonus_out);
  if (entity.empty()) return;
  HWY_DYNAMIC_DISPATCH(GatherEntityPosteriorTarget)(entity, mean_table, bonus_table, mean_out,
                                                     bonus_out);
}

void GatherEntityPosteriorParallel(std::span<const std::uint32_t> entity,
                                   std::span<const float> mean_table,
                                   std::span<const float> bonus_table, std::span<float> mean_out,
                                   std::span<float> bonus_out, std::size_t grain) {
  CheckGatherCall(entity, mean_table, bonus_table, mean_out, bonus_out);
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(entity.size(), grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(GatherEntityPosteriorTarget)(entity.subspan(begin, count), mean_table,
                                                       bonus_table, mean_out.subspan(begin, count),
                                                       bonus_out.subspan(begin, count));
  });
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
