// Highway translation unit of the unit-value anomaly kernel: compiles unit_value-inl.h once per
// SIMD target (foreach_target.h re-includes this file) and dispatches RobustUnitValueZ at run time
// to the best target the CPU supports. Also the TBB driver, RobustUnitValueZParallel.
#include "crsim/kernels/unit_value.h"

#include <cstddef>
#include <cstdint>
#include <span>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "unit_value.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "unit_value-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

// The per-target entry point the dispatch table points at. Spans are checked by the caller.
HWY_NOINLINE void RobustUnitValueZTarget(std::span<const float> declared_value,
                                         std::span<const float> declared_quantity,
                                         std::span<const std::uint32_t> hs6,
                                         const UnitValueReference& reference, std::span<float> z) {
  UnitValueZSpan(declared_value.data(), declared_quantity.data(), hs6.data(), z.size(),
                 reference.median_log_unit_value.data(), reference.inverse_scale.data(), z.data());
}

HWY_NOINLINE void RobustUnitValueZByOriginTarget(std::span<const float> declared_value,
                                                 std::span<const float> declared_quantity,
                                                 std::span<const std::uint32_t> hs6,
                                                 std::span<const std::uint16_t> origin,
                                                 std::uint32_t num_origins,
                                                 const UnitValueReference& reference,
                                                 std::span<float> z) {
  UnitValueZByOriginSpan(declared_value.data(), declared_quantity.data(), hs6.data(), origin.data(),
                         num_origins, z.size(), reference.median_log_unit_value.data(),
                         reference.inverse_scale.data(), z.data());
}

HWY_NOINLINE void RobustZOfLogUnitValueTarget(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                                              const UnitValueReference& reference, std::span<float> z) {
  ZOfLogUnitValueSpan(log_unit_value.data(), hs6.data(), z.size(), reference.median_log_unit_value.data(),
                      reference.inverse_scale.data(), z.data());
}

HWY_NOINLINE void LogUnitValueTarget(std::span<const float> declared_value, std::span<const float> declared_quantity,
                                     std::span<float> unit_value, std::span<float> log_unit_value) {
  LogUnitValueSpan(declared_value.data(), declared_quantity.data(), unit_value.size(), unit_value.data(),
                   log_unit_value.data());
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "parallel_chunks.h"

namespace crsim::kernels {

HWY_EXPORT(RobustUnitValueZTarget);
HWY_EXPORT(RobustUnitValueZByOriginTarget);
HWY_EXPORT(LogUnitValueTarget);
HWY_EXPORT(RobustZOfLogUnitValueTarget);

namespace {

// O(1) checks of the invariants the vector loop relies on; a mismatch is a caller bug.
void CheckUnitValueCall(std::span<const float> declared_value,
                        std::span<const float> declared_quantity,
                        std::span<const std::uint32_t> hs6, const UnitValueReference& reference,
                        std::span<float> z) {
  const std::size_t count = z.size();
  HWY_ASSERT(declared_value.size() == count && declared_quantity.size() == count &&
             hs6.size() == count);
  if (count == 0) return;
  HWY_ASSERT(!reference.median_log_unit_value.empty() &&
             reference.median_log_unit_value.size() == reference.inverse_scale.size());
}

void CheckZOfLogUnitValueCall(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                              const UnitValueReference& reference, std::span<float> z) {
  HWY_ASSERT(log_unit_value.size() == z.size() && hs6.size() == z.size());
  if (z.empty()) return;
  HWY_ASSERT(!reference.median_log_unit_value.empty() &&
             reference.median_log_unit_value.size() == reference.inverse_scale.size() &&
             reference.median_log_unit_value.size() < (std::size_t{1} << 31));
}

void CheckUnitValueByOriginCall(std::span<const float> declared_value,
                                std::span<const float> declared_quantity,
                                std::span<const std::uint32_t> hs6,
                                std::span<const std::uint16_t> origin, std::uint32_t num_origins,
                                const UnitValueReference& reference, std::span<float> z) {
  CheckUnitValueCall(declared_value, declared_quantity, hs6, reference, z);
  HWY_ASSERT(origin.size() == z.size() && num_origins >= 1);
  HWY_ASSERT(reference.median_log_unit_value.size() < (std::size_t{1} << 31));
}

}  // namespace

void RobustUnitValueZByOrigin(std::span<const float> declared_value,
                              std::span<const float> declared_quantity,
                              std::span<const std::uint32_t> hs6,
                              std::span<const std::uint16_t> origin, std::uint32_t num_origins,
                              const UnitValueReference& reference, std::span<float> z) {
  CheckUnitValueByOriginCall(declared_value, declared_quantity, hs6, origin, num_origins, reference,
                             z);
  if (z.empty()) return;
  HWY_DYNAMIC_DISPATCH(RobustUnitValueZByOriginTarget)(declared_value, declared_quantity, hs6,
                                                        origin, num_origins, reference, z);
}

void RobustUnitValueZByOriginParallel(std::span<const float> declared_value,
                                      std::span<const float> declared_quantity,
                                      std::span<const std::uint32_t> hs6,
                                      std::span<const std::uint16_t> origin,
                                      std::uint32_t num_origins,
                                      const UnitValueReference& reference, std::span<float> z,
                                      std::size_t grain) {
  CheckUnitValueByOriginCall(declared_value, declared_quantity, hs6, origin, num_origins, reference,
                             z);
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(z.size(), grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(RobustUnitValueZByOriginTarget)(
        declared_value.subspan(begin, count), declared_quantity.subspan(begin, count),
        hs6.subspan(begin, count), origin.subspan(begin, count), num_origins, reference,
        z.subspan(begin, count));
  });
}

void RobustUnitValueZ(std::span<const float> declared_value,
                      std::span<const float> declared_quantity, std::span<const std::uint32_t> hs6,
                      const UnitValueReference& reference, std::span<float> z) {
  CheckUnitValueCall(declared_value, declared_quantity, hs6, reference, z);
  if (z.empty()) return;
  HWY_DYNAMIC_DISPATCH(RobustUnitValueZTarget)(declared_value, declared_quantity, hs6, reference,
                                                z);
}

void RobustUnitValueZParallel(std::span<const float> declared_value,
                              std::span<const float> declared_quantity,
                              std::span<const std::uint32_t> hs6,
                              const UnitValueReference& reference, std::span<float> z,
                              std::size_t grain) {
  CheckUnitValueCall(declared_value, declared_quantity, hs6, reference, z);
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(z.size(), grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(RobustUnitValueZTarget)(
        declared_value.subspan(begin, count), declared_quantity.subspan(begin, count),
        hs6.subspan(begin, count), reference, z.subspan(begin, count));
  });
}

void RobustZOfLogUnitValue(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                           const UnitValueReference& reference, std::span<float> z) {
  CheckZOfLogUnitValueCall(log_unit_value, hs6, reference, z);
  if (z.empty()) return;
  HWY_DYNAMIC_DISPATCH(RobustZOfLogUnitValueTarget)(log_unit_value, hs6, reference, z);
}

void RobustZOfLogUnitValueParallel(std::span<const float> log_unit_value, std::span<const std::uint32_t> hs6,
                                   const UnitValueReference& reference, std::span<float> z, std::size_t grain) {
  CheckZOfLogUnitValueCall(log_unit_value, hs6, reference, z);
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(z.size(), grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(RobustZOfLogUnitValueTarget)(log_unit_value.subspan(begin, count),
                                                       hs6.subspan(begin, count), reference, z.subspan(begin, count));
  });
}

void LogUnitValue(std::span<const float> declared_value, std::span<const float> declared_quantity,
                  std::span<float> unit_value, std::span<float> log_unit_value) {
  HWY_ASSERT(declared_value.size() == unit_value.size() && declared_quantity.size() == unit_value.size() &&
             log_unit_value.size() == unit_value.size());
  if (unit_value.empty()) return;
  HWY_DYNAMIC_DISPATCH(LogUnitValueTarget)(declared_value, declared_quantity, unit_value, log_unit_value);
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
