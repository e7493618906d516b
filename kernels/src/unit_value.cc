// Highway translation unit of the unit-value anomaly kernel: compiles unit_value-inl.h once per
// SIMD target (foreach_target.h re-includes this file) and dispatches RobustUnitValueZ at run time
// to the best target the CPU supports.
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

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace crsim::kernels {

HWY_EXPORT(RobustUnitValueZTarget);

void RobustUnitValueZ(std::span<const float> declared_value,
                      std::span<const float> declared_quantity, std::span<const std::uint32_t> hs6,
                      const UnitValueReference& reference, std::span<float> z) {
  // O(1) checks of the invariants the vector loop relies on; a mismatch is a caller bug.
  const std::size_t count = z.size();
  HWY_ASSERT(declared_value.size() == count && declared_quantity.size() == count &&
             hs6.size() == count);
  if (count == 0) return;
  HWY_ASSERT(!reference.median_log_unit_value.empty() &&
             reference.median_log_unit_value.size() == reference.inverse_scale.size());
  HWY_DYNAMIC_DISPATCH(RobustUnitValueZTarget)(declared_value, declared_quantity, hs6, reference,
                                                z);
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
