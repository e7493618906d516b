// Helpers shared by the kernel tests: run a body on every compiled and supported Highway target
// (the dispatcher forced to each in turn), bit comparison, ULP, the standard size sweep.
#pragma once

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

namespace crsim::kernels::testing {

inline void ForEachTarget(const std::function<void()>& body) {
  const std::vector<std::int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (const std::int64_t target : targets) {
    SCOPED_TRACE(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    body();
    hwy::SetSupportedTargetsForTest(0);
  }
}

inline std::uint32_t Bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

inline float Ulp(float x) {
  const float magnitude = std::fabs(x);
  return std::nextafter(magnitude, std::numeric_limits<float>::infinity()) - magnitude;
}

// Sizes 0 .. 3 vectors of AVX3 + 1, and a size bigger than any internal buffer.
inline constexpr std::size_t kMaxSweepSize = 3 * 16 + 1;
inline constexpr std::size_t kBigSize = 100003;
inline constexpr std::size_t kGrains[] = {1, 7, 64, 1000, 16384, kBigSize + 1};

}  // namespace crsim::kernels::testing
