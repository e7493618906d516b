// Unit-value anomaly kernel: robust z-score of the declared log unit value against a per-HS6
// reference.
//
// What it computes: for every declaration i with declared_value v > 0, declared_quantity q > 0 and a
// reference for its HS6 code h,
//     z[i] = (log(v / q) - median_log_unit_value[h]) * inverse_scale[h]
// where median_log_unit_value[h] is the median of past log unit values of code h and
// inverse_scale[h] = 1 / (1.4826 * MAD[h]) (1.4826 makes the MAD a consistent estimator of the
// standard deviation under normality). A strongly negative z means the goods are declared far
// cheaper than usual for their code: the signature of undervaluation.
// z[i] is NaN when v or q is NaN, zero or negative, or when code h has no reference (its median is
// NaN). Callers decide what a NaN score means (the risk engine treats it as "no evidence").
//
// How: the SIMD version (Highway, runtime dispatch) divides, takes Highway's vectorised natural
// logarithm and gathers the two reference values per lane; the scalar reference uses std::log.
// Highway's Log is accurate to a few ULP but not correctly rounded, so the two agree within a
// tolerance stated in tests/kernels/unit_value_test.cc, not bit for bit.
//
// Limits: precondition hs6[i] < median_log_unit_value.size() == inverse_scale.size(); all
// per-declaration spans have the same length as z.
//
// Parallel driver: RobustUnitValueZParallel runs the SIMD kernel over chunks of `grain`
// declarations in parallel with TBB (in the caller's task arena). The kernel is elementwise, so the
// result is identical, bit for bit, to RobustUnitValueZ for any thread count and grain.
//
// Reference per HS6 x origin (RobustUnitValueZByOrigin): the same z, but the reference of
// declaration i is entry hs6[i] * num_origins + origin[i] of the tables (code-major: the entries
// of one code are contiguous). The index is computed in registers (a u16 -> u32 promotion and one
// multiply-add per lane), so the kernel reads 2 bytes more per declaration than RobustUnitValueZ
// and needs no index column. Which reference an entry holds is the caller's choice: the simulator
// resolves, once per day, every (code, origin) entry to the (code, origin) reference when it has
// enough observations and to the code's own reference otherwise (sim/price_reference.h), so the
// fallback costs nothing per declaration. Precondition: num_origins >= 1, origin[i] <
// num_origins and hs6[i] * num_origins + origin[i] < the table size < 2^31.
//
// Usage:
//   UnitValueReference reference{median, inverse_scale};
//   RobustUnitValueZ(value, quantity, hs6, reference, z);
//   RobustUnitValueZParallel(value, quantity, hs6, reference, z);  // on every TBB thread
//   UnitValueReference by_origin{median_by_origin, inverse_scale_by_origin};  // [codes x origins]
//   RobustUnitValueZByOrigin(value, quantity, hs6, origin, num_origins, by_origin, z);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crsim/kernels/parallel.h"

namespace crsim::kernels {

inline constexpr float kMadToStandardDeviation = 1.4826f;

struct UnitValueReference {
  std::span<const float> median_log_unit_value;  // [num_hs6], NaN when the code has no reference
  std::span<const float> inverse_scale;          // [num_hs6], 1 / (1.4826 * MAD)
};

// SIMD version, dispatched at run time to the best target this CPU supports.
void RobustUnitValueZ(std::span<const float> declared_value, std::span<const float> declared_quantity,
                      std::span<const std::uint32_t> hs6, const UnitValueReference& reference,
                      std::span<float> z);

// RobustUnitValueZ over chunks of `grain` (>= 1) declarations, chunk c = rows [c grain,
// (c+1) grain), run in parallel with tbb::parallel_for in the caller's task arena (wrap the call in
// a tbb::task_arena to limit the threads). Identical output to RobustUnitValueZ for any thread
// count and grain.
void RobustUnitValueZParallel(std::span<const float> declared_value,
                              std::span<const float> declared_quantity,
                              std::span<const std::uint32_t> hs6,
                              const UnitValueReference& reference, std::span<float> z,
                              std::size_t grain = kDefaultParallelGrain);

// Per HS6 x origin: reference entry hs6[i] * num_origins + origin[i] (see above). SIMD, dispatched
// at run time.
void RobustUnitValueZByOrigin(std::span<const float> declared_value,
                              std::span<const float> declared_quantity,
                              std::span<const std::uint32_t> hs6,
                              std::span<const std::uint16_t> origin, std::uint32_t num_origins,
                              const UnitValueReference& reference, std::span<float> z);

// RobustUnitValueZByOrigin over parallel chunks of `grain` rows, as RobustUnitValueZParallel;
// identical output to RobustUnitValueZByOrigin for any thread count and grain.
void RobustUnitValueZByOriginParallel(std::span<const float> declared_value,
                                      std::span<const float> declared_quantity,
                                      std::span<const std::uint32_t> hs6,
                                      std::span<const std::uint16_t> origin,
                                      std::uint32_t num_origins,
                                      const UnitValueReference& reference, std::span<float> z,
                                      std::size_t grain = kDefaultParallelGrain);

// Plain scalar reference of RobustUnitValueZByOrigin.
void RobustUnitValueZByOriginReference(std::span<const float> declared_value,
                                       std::span<const float> declared_quantity,
                                       std::span<const std::uint32_t> hs6,
                                       std::span<const std::uint16_t> origin,
                                       std::uint32_t num_origins,
                                       const UnitValueReference& reference, std::span<float> z);

// Plain scalar reference.
void RobustUnitValueZReference(std::span<const float> declared_value,
                               std::span<const float> declared_quantity,
                               std::span<const std::uint32_t> hs6,
                               const UnitValueReference& reference, std::span<float> z);

// Robust z of log unit values computed beforehand (by LogUnitValue, or any other source):
//     z[i] = (log_unit_value[i] - median_log_unit_value[hs6[i]]) * inverse_scale[hs6[i]]
// For a pipeline that already has the log column (bench/peers: unit_price, then median/MAD, then z)
// this skips RobustUnitValueZ's division and logarithm and reads 8 bytes per declaration instead of
// 12. NaN in the log (LogUnitValue's invalid declarations) or in the reference gives NaN; -inf/+inf
// logs give -inf/+inf z (times the scale's sign). So RobustZOfLogUnitValue(LogUnitValue(v, q)) equals
// RobustUnitValueZ(v, q) bit for bit (same patched Highway log, same arithmetic; tested). SIMD
// (gathers), dispatched at run time, bit-identical to the reference. Precondition as above: hs6[i] <
// median_log_unit_value.size() == inverse_scale.size() < 2^31; the three spans have one length.
void RobustZOfLogUnitValue(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                           const UnitValueReference& reference, std::span<float> z);

// RobustZOfLogUnitValue over parallel chunks of `grain` rows; identical output for any thread count.
void RobustZOfLogUnitValueParallel(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                                   const UnitValueReference& reference, std::span<float> z,
                                   std::size_t grain = kDefaultParallelGrain);

// Plain scalar reference of RobustZOfLogUnitValue.
void RobustZOfLogUnitValueReference(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                                    const UnitValueReference& reference, std::span<float> z);

// Unit value and its natural log, the first step of any price analysis (bench/peers' unit_price
// step): unit_value[i] = declared_value[i] / declared_quantity[i] (IEEE division, whatever the
// inputs) and log_unit_value[i] = log(unit_value[i]) where value > 0 and quantity > 0 (NaN
// otherwise, and NaN for inf / inf), -inf / +inf where the ratio underflows to 0 / overflows.
// SIMD (Highway's Log, the same patched log as the z kernel), dispatched at run time; the unit
// values equal the reference bit for bit, the logs within the tolerance of
// tests/kernels/unit_value_test.cc. All four spans have the same length.
void LogUnitValue(std::span<const float> declared_value, std::span<const float> declared_quantity,
                  std::span<float> unit_value, std::span<float> log_unit_value);

// Plain scalar reference of LogUnitValue (std::log).
void LogUnitValueReference(std::span<const float> declared_value, std::span<const float> declared_quantity,
                           std::span<float> unit_value, std::span<float> log_unit_value);

}  // namespace crsim::kernels
