// Plain scalar reference of the entity posterior gather (spec in crsim/kernels/entity_posterior.h).
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "crsim/kernels/entity_posterior.h"

namespace crsim::kernels {

void GatherEntityPosteriorReference(std::span<const std::uint32_t> entity,
                                    std::span<const float> mean_table,
                                    std::span<const float> bonus_table, std::span<float> mean_out,
                                    std::span<float> bonus_out) {
  if (mean_out.size() != entity.size() || bonus_out.size() != entity.size() ||
      mean_table.size() != bonus_table.size()) {
    std::fprintf(stderr, "%s:%d: GatherEntityPosteriorReference: span lengths differ\n", __FILE__,
                 __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < entity.size(); ++i) {
    assert(entity[i] < mean_table.size());
    mean_out[i] = mean_table[entity[i]];
    bonus_out[i] = bonus_table[entity[i]];
  }
}

}  // namespace crsim::kernels
