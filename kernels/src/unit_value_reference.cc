// Plain scalar reference of the unit-value anomaly kernel (spec in crsim/kernels/unit_value.h): the
// definition the SIMD kernel is tested against.
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>

#include "crsim/kernels/unit_value.h"

namespace crsim::kernels {

void RobustUnitValueZReference(std::span<const float> declared_value,
                               std::span<const float> declared_quantity,
                               std::span<const std::uint32_t> hs6,
                               const UnitValueReference& reference, std::span<float> z) {
  const std::size_t count = z.size();
  if (declared_value.size() != count || declared_quantity.size() != count || hs6.size() != count ||
      reference.median_log_unit_value.size() != reference.inverse_scale.size()) {
    std::fprintf(stderr, "%s:%d: RobustUnitValueZReference: span lengths differ\n", __FILE__,
                 __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < count; ++i) {
    const float value = declared_value[i];
    const float quantity = declared_quantity[i];
    // Written so that NaN (every comparison false) gives NaN.
    if (!(value > 0.0f && quantity > 0.0f)) {
      z[i] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const std::uint32_t code = hs6[i];
    assert(code < reference.median_log_unit_value.size());
    // The quotient in float, as the SIMD kernel: IEEE division is correctly rounded, so both see
    // the same ratio and differ only by the logarithm.
    const float ratio = value / quantity;
    z[i] =
        (std::log(ratio) - reference.median_log_unit_value[code]) * reference.inverse_scale[code];
  }
}

void RobustUnitValueZByOriginReference(std::span<const float> declared_value,
                                       std::span<const float> declared_quantity,
                                       std::span<const std::uint32_t> hs6,
                                       std::span<const std::uint16_t> origin,
                                       std::uint32_t num_origins,
                                       const UnitValueReference& reference, std::span<float> z) {
  const std::size_t count = z.size();
  if (origin.size() != count || hs6.size() != count || num_origins == 0) {
    std::fprintf(stderr, "%s:%d: RobustUnitValueZByOriginReference: bad spans or num_origins\n",
                 __FILE__, __LINE__);
    std::abort();
  }
  // The reference index of every row, then the per-HS6 reference over those indices: the same
  // arithmetic row by row.
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t index = hs6[i] * num_origins + origin[i];
    RobustUnitValueZReference(declared_value.subspan(i, 1), declared_quantity.subspan(i, 1),
                              std::span(&index, 1), reference, z.subspan(i, 1));
  }
}

void RobustZOfLogUnitValueReference(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                                    const UnitValueReference& reference, std::span<float> z) {
  if (log_unit_value.size() != z.size() || hs6.size() != z.size() ||
      reference.median_log_unit_value.size() != reference.inverse_scale.size()) {
    std::fprintf(stderr, "%s:%d: RobustZOfLogUnitValueReference: span lengths differ\n", __FILE__, __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < z.size(); ++i) {
    const std::uint32_t code = hs6[i];
    assert(code < reference.median_log_unit_value.size());
    z[i] = (log_unit_value[i] - reference.median_log_unit_value[code]) * reference.inverse_scale[code];
  }
}

void LogUnitValueReference(std::span<const float> declared_value, std::span<const float> declared_quantity,
                           std::span<float> unit_value, std::span<float> log_unit_value) {
  const std::size_t count = unit_value.size();
  if (declared_value.size() != count || declared_quantity.size() != count || log_unit_value.size() != count) {
    std::fprintf(stderr, "%s:%d: LogUnitValueReference: span lengths differ\n", __FILE__, __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < count; ++i) {
    const float value = declared_value[i];
    const float quantity = declared_quantity[i];
    unit_value[i] = value / quantity;
    // Written so that NaN (every comparison false) gives NaN.
    log_unit_value[i] = value > 0.0f && quantity > 0.0f ? std::log(unit_value[i])
                                                        : std::numeric_limits<float>::quiet_NaN();
  }
}

}  // namespace crsim::kernels
