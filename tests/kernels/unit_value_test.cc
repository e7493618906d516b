// Tests of the unit-value anomaly kernel: the SIMD kernel (every compiled and supported Highway
// target) against the scalar reference, within a stated tolerance, plus hand-computed cases.
//
// Tolerance. Both kernels compute the same float ratio r = v / q (IEEE division is correctly
// rounded), so they differ only in the logarithm and in the two roundings after it. With
// L = log(r) exact, Lh = Highway's Log (documented max error 4 ULP for float32) and Ls = std::log
// (glibc's logf: under 1 ULP):
//   |Lh - Ls| <= 5 ulp(L) <= 6 ulp(Ls)        (one more ULP where Ls and L straddle a binade)
//   d = L - median is rounded once on each side: the two d differ by <= |Lh - Ls| + ulp(d)
//     (+1 ulp for the binade again: 2 ulp(d))
//   z = d * s is rounded once on each side: the two z differ by <= s * |delta d| + ulp(z)
//     (+1 for the binade: 2 ulp(z))
// so tol = s * (6 ulp(|Ls|) + 2 ulp(|Ls - median|)) + 2 ulp(|z_ref|). The first term dominates
// when log(r) is close to the median (cancellation): the logarithm's own error is then the whole
// story, and a relative tolerance on z would be wrong. Infinities (ratio overflowed or underflowed)
// and NaN must match exactly.
#include "kernel_test_support.h"
#include "crsim/kernels/unit_value.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace crsim::kernels {
namespace {

using testing::Bits;
using testing::ForEachTarget;
using testing::kBigSize;
using testing::kMaxSweepSize;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr std::size_t kNumHs6 = 2000;
constexpr std::uint32_t kSentinel = 0xDEADBEEFu;

// Distance from |x| to the next representable float: one unit in the last place.
float Ulp(float x) {
  const float magnitude = std::fabs(x);
  return std::nextafter(magnitude, kInfinity) - magnitude;
}

struct ReferenceTables {
  std::vector<float> median;
  std::vector<float> inverse_scale;
  UnitValueReference View() const { return UnitValueReference{median, inverse_scale}; }
};

ReferenceTables RandomReference(std::mt19937& rng) {
  std::uniform_real_distribution<float> median(-2.0f, 9.0f);
  std::uniform_real_distribution<float> log_scale(-3.0f, 3.0f);
  std::uniform_int_distribution<int> kind(0, 19);
  ReferenceTables tables;
  for (std::size_t h = 0; h < kNumHs6; ++h) {
    tables.median.push_back(kind(rng) == 0 ? kNaN : median(rng));  // ~5% codes without reference
    tables.inverse_scale.push_back(std::exp(log_scale(rng)));
  }
  return tables;
}

struct Declarations {
  std::vector<float> value;
  std::vector<float> quantity;
  std::vector<std::uint32_t> hs6;
};

// Log-uniform values and quantities, with NaN, zero, -0, negative, infinite and extreme entries
// (ratios that underflow to subnormal or zero and that overflow) mixed in.
Declarations RandomDeclarations(std::size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> log_value(-2.0f, 14.0f);
  std::uniform_real_distribution<float> log_quantity(-3.0f, 11.0f);
  std::uniform_int_distribution<std::uint32_t> code(0, kNumHs6 - 1);
  std::uniform_int_distribution<int> kind(0, 39);
  const auto special = [&](float usual) {
    switch (kind(rng)) {
      case 0:
        return kNaN;
      case 1:
        return 0.0f;
      case 2:
        return -0.0f;
      case 3:
        return -usual;
      case 4:
        return kInfinity;
      case 5:
        return 1e-30f;
      case 6:
        return 1e30f;
      case 7:
        return std::numeric_limits<float>::denorm_min();
      default:
        return usual;
    }
  };
  Declarations declarations;
  for (std::size_t i = 0; i < count; ++i) {
    declarations.value.push_back(special(std::exp(log_value(rng))));
    declarations.quantity.push_back(special(std::exp(log_quantity(rng))));
    declarations.hs6.push_back(code(rng));
  }
  return declarations;
}

// Largest |simd - reference| / tol seen, over all checks (reported at the end of the random test).
double worst_error_in_tolerances = 0.0;

void ExpectSimdMatchesReference(const Declarations& declarations, const ReferenceTables& tables,
                                std::size_t offset, std::size_t size) {
  SCOPED_TRACE("offset " + std::to_string(offset) + " size " + std::to_string(size));
  const std::span<const float> value = std::span(declarations.value).subspan(offset, size);
  const std::span<const float> quantity = std::span(declarations.quantity).subspan(offset, size);
  const std::span<const std::uint32_t> hs6 = std::span(declarations.hs6).subspan(offset, size);
  std::vector<float> reference(size);
  RobustUnitValueZReference(value, quantity, hs6, tables.View(), reference);

  constexpr std::size_t kGuard = 20;
  float sentinel_float;
  std::memcpy(&sentinel_float, &kSentinel, sizeof sentinel_float);
  std::vector<float> simd(offset + size + kGuard, sentinel_float);
  RobustUnitValueZ(value, quantity, hs6, tables.View(), std::span(simd).subspan(offset, size));

  std::size_t failures = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const float expected = reference[i];
    const float actual = simd[offset + i];
    bool ok;
    float tolerance = 0.0f;
    if (std::isnan(expected) || std::isinf(expected)) {
      ok = std::isnan(expected) ? std::isnan(actual) : Bits(actual) == Bits(expected);
    } else {
      const float log_ratio = std::log(value[i] / quantity[i]);
      const float median = tables.median[hs6[i]];
      const float scale = tables.inverse_scale[hs6[i]];
      tolerance =
          scale * (6.0f * Ulp(log_ratio) + 2.0f * Ulp(log_ratio - median)) + 2.0f * Ulp(expected);
      const float error = std::fabs(actual - expected);
      ok = error <= tolerance;  // false for NaN actual
      if (ok) {
        worst_error_in_tolerances =
            std::max(worst_error_in_tolerances, static_cast<double>(error) / tolerance);
      }
    }
    if (!ok && ++failures <= 3) {
      ADD_FAILURE() << "row " << i << " (v " << value[i] << ", q " << quantity[i] << ", hs6 "
                    << hs6[i] << "): simd " << actual << ", reference " << expected
                    << ", tolerance " << tolerance;
    }
  }
  EXPECT_EQ(failures, 0u);
  for (std::size_t i = 0; i < simd.size(); ++i) {
    if (i >= offset && i < offset + size) continue;
    ASSERT_EQ(Bits(simd[i]), kSentinel) << "z written outside the window at " << i;
  }
}

TEST(UnitValueKernelTest, SimdMatchesReferenceOnEveryTarget) {
  std::mt19937 rng(2024);
  const ReferenceTables tables = RandomReference(rng);
  const Declarations declarations = RandomDeclarations(kBigSize + 3, rng);
  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) {
        ExpectSimdMatchesReference(declarations, tables, offset, size);
      }
    }
    ExpectSimdMatchesReference(declarations, tables, 0, kBigSize);
    ExpectSimdMatchesReference(declarations, tables, 1, kBigSize);
  });
  std::cout << "worst |simd - reference| = " << worst_error_in_tolerances << " tolerances\n";
}

// One declaration through both kernels on every target; returns the reference z after checking
// every target against it (exactly for NaN/inf, within 8 ULP of z otherwise: these cases have no
// cancellation).
float ZOne(float value, float quantity, float median, float inverse_scale) {
  const std::uint32_t code = 0;
  const UnitValueReference reference{std::span(&median, 1), std::span(&inverse_scale, 1)};
  float expected = 0.0f;
  RobustUnitValueZReference(std::span(&value, 1), std::span(&quantity, 1), std::span(&code, 1),
                            reference, std::span(&expected, 1));
  ForEachTarget([&] {
    float actual = 0.0f;
    RobustUnitValueZ(std::span(&value, 1), std::span(&quantity, 1), std::span(&code, 1), reference,
                     std::span(&actual, 1));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(actual)) << actual;
    } else if (std::isinf(expected)) {
      EXPECT_EQ(actual, expected);
    } else {
      EXPECT_NEAR(actual, expected, 8.0f * Ulp(expected));
    }
  });
  return expected;
}

TEST(UnitValueKernelTest, HandComputedCases) {
  // 200 EUR for 10 units against a median unit value of 10 EUR, MAD scale 1/2: z = 2 log 2.
  EXPECT_NEAR(ZOne(200.0f, 10.0f, std::log(10.0f), 2.0f), 2.0f * std::log(2.0f), 1e-6f);
  // Declared at a tenth of the usual price: strongly negative.
  EXPECT_NEAR(ZOne(1.0f, 1.0f, std::log(10.0f), 1.0f), -std::log(10.0f), 1e-6f);
  EXPECT_TRUE(std::isnan(ZOne(kNaN, 1.0f, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(1.0f, kNaN, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(0.0f, 1.0f, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(1.0f, 0.0f, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(-0.0f, 1.0f, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(-5.0f, 1.0f, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(5.0f, -1.0f, 0.0f, 1.0f)));
  EXPECT_TRUE(std::isnan(ZOne(5.0f, 1.0f, kNaN, 1.0f)));  // code without reference
  // Ratios outside (0, FLT_MAX]: the kernels agree on +-inf rather than on garbage.
  EXPECT_EQ(ZOne(1e-30f, 1e30f, 0.0f, 1.0f), -kInfinity);
  EXPECT_EQ(ZOne(1e30f, 1e-30f, 0.0f, 1.0f), kInfinity);
  // A subnormal ratio is still a finite logarithm.
  EXPECT_NEAR(ZOne(1e-30f, 1e10f, 0.0f, 1.0f), std::log(1e-40), 1e-4);
}

// RobustUnitValueZParallel against RobustUnitValueZ (the single-threaded SIMD kernel), bit for bit
// (the same kernel on the same rows: no tolerance), on 1..4 threads and grains from 1 row to more
// than the whole input, on every target.
TEST(UnitValueKernelTest, ParallelMatchesSequentialForAnyThreadsAndGrain) {
  std::mt19937 rng(77);
  const ReferenceTables tables = RandomReference(rng);
  const Declarations declarations = RandomDeclarations(kBigSize + 1, rng);
  ForEachTarget([&] {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{17}, kBigSize}) {
      // Misaligned start.
      const std::span<const float> value = std::span(declarations.value).subspan(1, size);
      const std::span<const float> quantity = std::span(declarations.quantity).subspan(1, size);
      const std::span<const std::uint32_t> hs6 = std::span(declarations.hs6).subspan(1, size);
      std::vector<float> expected(size);
      RobustUnitValueZ(value, quantity, hs6, tables.View(), expected);
      for (const int threads : {1, 2, 3, 4}) {
        tbb::task_arena arena(threads);
        for (const std::size_t grain : {std::size_t{1}, std::size_t{7}, std::size_t{64},
                                        std::size_t{1000}, kDefaultParallelGrain, kBigSize + 1}) {
          if (grain == 1 && size == kBigSize && threads != 2) continue;  // one-row tasks: once
          SCOPED_TRACE("size " + std::to_string(size) + " threads " + std::to_string(threads) +
                       " grain " + std::to_string(grain));
          std::vector<float> z(size, -1.0f);
          arena.execute(
              [&] { RobustUnitValueZParallel(value, quantity, hs6, tables.View(), z, grain); });
          std::size_t mismatches = 0;
          for (std::size_t i = 0; i < size; ++i) mismatches += Bits(z[i]) != Bits(expected[i]);
          EXPECT_EQ(mismatches, 0u);
        }
      }
    }
  });
}

// The per-HS6 x origin kernel: a table of kNumHs6 / kNumOrigins codes x kNumOrigins origins (the
// same 2000 entries as above), origins drawn per row. Its reference is defined as the per-HS6
// reference over the index hs6 * origins + origin, so the SIMD kernel is held to the same tolerance
// (ExpectSimdMatchesReference on that index column) and must also equal the per-HS6 SIMD kernel over
// the index column bit for bit (same lanes, same arithmetic).
constexpr std::uint32_t kNumOrigins = 25;

struct ByOriginDeclarations {
  Declarations declarations;  // hs6 < kNumHs6 / kNumOrigins
  std::vector<std::uint16_t> origin;
  Declarations indexed;  // the same rows with hs6 replaced by hs6 * kNumOrigins + origin
};

ByOriginDeclarations RandomByOriginDeclarations(std::size_t count, std::mt19937& rng) {
  ByOriginDeclarations result;
  result.declarations = RandomDeclarations(count, rng);
  std::uniform_int_distribution<std::uint32_t> origin(0, kNumOrigins - 1);
  for (std::uint32_t& code : result.declarations.hs6) code %= kNumHs6 / kNumOrigins;
  result.indexed = result.declarations;
  for (std::size_t i = 0; i < count; ++i) {
    result.origin.push_back(static_cast<std::uint16_t>(origin(rng)));
    result.indexed.hs6[i] = result.declarations.hs6[i] * kNumOrigins + result.origin[i];
  }
  return result;
}

TEST(UnitValueKernelTest, ByOriginSimdMatchesReferenceOnEveryTarget) {
  std::mt19937 rng(4242);
  const ReferenceTables tables = RandomReference(rng);
  const ByOriginDeclarations rows = RandomByOriginDeclarations(kBigSize + 3, rng);
  // The reference of the by-origin kernel is the per-HS6 reference over the index column.
  for (std::size_t size : {std::size_t{0}, std::size_t{5}, kBigSize}) {
    std::vector<float> by_origin(size), indexed(size);
    const auto& d = rows.declarations;
    RobustUnitValueZByOriginReference(std::span(d.value).first(size), std::span(d.quantity).first(size),
                                      std::span(d.hs6).first(size), std::span(rows.origin).first(size),
                                      kNumOrigins, tables.View(), by_origin);
    RobustUnitValueZReference(std::span(rows.indexed.value).first(size),
                              std::span(rows.indexed.quantity).first(size),
                              std::span(rows.indexed.hs6).first(size), tables.View(), indexed);
    for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(Bits(by_origin[i]), Bits(indexed[i])) << i;
  }
  ForEachTarget([&] {
    for (const std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
      for (std::size_t size = 0; size <= kMaxSweepSize; ++size) {
        const auto& d = rows.declarations;
        const auto value = std::span(d.value).subspan(offset, size);
        const auto quantity = std::span(d.quantity).subspan(offset, size);
        std::vector<float> by_origin(size + 1, -7.0f), indexed(size);
        RobustUnitValueZByOrigin(value, quantity, std::span(d.hs6).subspan(offset, size),
                                 std::span(rows.origin).subspan(offset, size), kNumOrigins, tables.View(),
                                 std::span(by_origin).first(size));
        RobustUnitValueZ(value, quantity, std::span(rows.indexed.hs6).subspan(offset, size), tables.View(), indexed);
        for (std::size_t i = 0; i < size; ++i) {
          ASSERT_EQ(Bits(by_origin[i]), Bits(indexed[i])) << "offset " << offset << " size " << size << " row " << i;
        }
        ASSERT_EQ(by_origin[size], -7.0f) << "written past the end";
      }
    }
    // Against the scalar reference, with the tolerance of the per-HS6 kernel, on the index column.
    ExpectSimdMatchesReference(rows.indexed, tables, 1, kBigSize);
    const auto& d = rows.declarations;
    std::vector<float> by_origin(kBigSize), indexed(kBigSize);
    RobustUnitValueZByOrigin(std::span(d.value).subspan(1, kBigSize), std::span(d.quantity).subspan(1, kBigSize),
                             std::span(d.hs6).subspan(1, kBigSize), std::span(rows.origin).subspan(1, kBigSize),
                             kNumOrigins, tables.View(), by_origin);
    RobustUnitValueZ(std::span(d.value).subspan(1, kBigSize), std::span(d.quantity).subspan(1, kBigSize),
                     std::span(rows.indexed.hs6).subspan(1, kBigSize), tables.View(), indexed);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < kBigSize; ++i) mismatches += Bits(by_origin[i]) != Bits(indexed[i]);
    EXPECT_EQ(mismatches, 0u);
  });
}

TEST(UnitValueKernelTest, ByOriginParallelMatchesSequentialForAnyThreadsAndGrain) {
  std::mt19937 rng(99);
  const ReferenceTables tables = RandomReference(rng);
  const ByOriginDeclarations rows = RandomByOriginDeclarations(kBigSize + 1, rng);
  const auto& d = rows.declarations;
  ForEachTarget([&] {
    for (const std::size_t size : {std::size_t{0}, std::size_t{17}, kBigSize}) {
      const auto value = std::span(d.value).subspan(1, size);
      const auto quantity = std::span(d.quantity).subspan(1, size);
      const auto hs6 = std::span(d.hs6).subspan(1, size);
      const auto origin = std::span(rows.origin).subspan(1, size);
      std::vector<float> expected(size);
      RobustUnitValueZByOrigin(value, quantity, hs6, origin, kNumOrigins, tables.View(), expected);
      for (const int threads : {1, 2, 3}) {
        tbb::task_arena arena(threads);
        for (const std::size_t grain : {std::size_t{7}, std::size_t{1000}, kDefaultParallelGrain, kBigSize + 1}) {
          SCOPED_TRACE("size " + std::to_string(size) + " threads " + std::to_string(threads) + " grain " +
                       std::to_string(grain));
          std::vector<float> z(size, -1.0f);
          arena.execute([&] {
            RobustUnitValueZByOriginParallel(value, quantity, hs6, origin, kNumOrigins, tables.View(), z, grain);
          });
          std::size_t mismatches = 0;
          for (std::size_t i = 0; i < size; ++i) mismatches += Bits(z[i]) != Bits(expected[i]);
          EXPECT_EQ(mismatches, 0u);
        }
      }
    }
  });
}

// LogUnitValue: unit values bit for bit (the same IEEE division), logs within 6 ULP of std::log's
// (Highway's Log is within 4 ULP of the exact log, glibc's logf within 1; one more where they
// straddle a binade), NaN (of either sign) and infinities exactly; every window size on every target, nothing
// written outside the window.
TEST(UnitValueKernelTest, LogUnitValueMatchesReferenceOnEveryTarget) {
  std::mt19937 rng(77);
  const Declarations d = RandomDeclarations(kBigSize + 3, rng);
  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{16}, std::size_t{17},
                               kMaxSweepSize, kBigSize}) {
        const auto value = std::span(d.value).subspan(offset, size);
        const auto quantity = std::span(d.quantity).subspan(offset, size);
        std::vector<float> ratio(size + 1, 0.0f), log_ratio(size + 1, 0.0f);
        std::vector<float> expected_ratio(size), expected_log(size);
        std::memset(ratio.data(), 0xEF, ratio.size() * sizeof(float));
        std::memset(log_ratio.data(), 0xEF, log_ratio.size() * sizeof(float));
        LogUnitValue(value, quantity, std::span(ratio).first(size), std::span(log_ratio).first(size));
        LogUnitValueReference(value, quantity, expected_ratio, expected_log);
        for (std::size_t i = 0; i < size; ++i) {
          ASSERT_EQ(Bits(ratio[i]), Bits(expected_ratio[i])) << "unit value at " << i;
          if (std::isnan(expected_log[i])) {
            ASSERT_TRUE(std::isnan(log_ratio[i])) << "log at " << i << ": " << log_ratio[i];
          } else if (std::isinf(expected_log[i])) {
            ASSERT_EQ(log_ratio[i], expected_log[i]) << "log at " << i;
          } else {
            ASSERT_NEAR(log_ratio[i], expected_log[i], 6.0f * testing::Ulp(expected_log[i])) << "log at " << i;
          }
        }
        EXPECT_EQ(Bits(ratio[size]), 0xEFEFEFEFu) << "unit value written past the window";
        EXPECT_EQ(Bits(log_ratio[size]), 0xEFEFEFEFu) << "log written past the window";
      }
    }
  });
}

// RobustZOfLogUnitValue: SIMD equals its scalar reference bit for bit on every target (no log:
// the same subtract and multiply), its parallel driver equals it for any threads and grain, and
// composed with LogUnitValue it equals RobustUnitValueZ (NaN-ness for NaN, bits otherwise).
TEST(UnitValueKernelTest, ZOfLogUnitValueMatchesReferenceAndTheDirectKernel) {
  std::mt19937 rng(91);
  const ReferenceTables tables = RandomReference(rng);
  const Declarations d = RandomDeclarations(kBigSize + 3, rng);
  const auto same = [](float expected, float actual) {
    return std::isnan(expected) ? std::isnan(actual) : Bits(actual) == Bits(expected);
  };
  ForEachTarget([&] {
    for (std::size_t offset = 0; offset <= 3; ++offset) {
      for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{16}, std::size_t{17},
                               kMaxSweepSize, kBigSize}) {
        SCOPED_TRACE("offset " + std::to_string(offset) + " size " + std::to_string(size));
        const auto value = std::span(d.value).subspan(offset, size);
        const auto quantity = std::span(d.quantity).subspan(offset, size);
        const auto hs6 = std::span(d.hs6).subspan(offset, size);
        std::vector<float> ratio(size), log_ratio(size), reference(size), direct(size);
        LogUnitValue(value, quantity, ratio, log_ratio);
        RobustZOfLogUnitValueReference(log_ratio, hs6, tables.View(), reference);
        RobustUnitValueZ(value, quantity, hs6, tables.View(), direct);
        std::vector<float> z(size + 1);
        std::memset(z.data(), 0xEF, z.size() * sizeof(float));
        RobustZOfLogUnitValue(log_ratio, hs6, tables.View(), std::span(z).first(size));
        for (std::size_t i = 0; i < size; ++i) {
          ASSERT_TRUE(same(reference[i], z[i])) << "row " << i << ": simd " << z[i] << ", reference " << reference[i];
          ASSERT_TRUE(same(direct[i], z[i])) << "row " << i << ": of log " << z[i] << ", direct " << direct[i];
        }
        EXPECT_EQ(Bits(z[size]), 0xEFEFEFEFu) << "z written past the window";
        for (const int threads : {1, 2, 3}) {
          tbb::task_arena arena(threads);
          for (const std::size_t grain : {std::size_t{7}, std::size_t{1000}, kDefaultParallelGrain}) {
            std::vector<float> parallel(size, -1.0f);
            arena.execute([&] { RobustZOfLogUnitValueParallel(log_ratio, hs6, tables.View(), parallel, grain); });
            std::size_t mismatches = 0;
            for (std::size_t i = 0; i < size; ++i) mismatches += Bits(parallel[i]) != Bits(z[i]);
            EXPECT_EQ(mismatches, 0u) << "threads " << threads << " grain " << grain;
          }
        }
      }
    }
  });
}

TEST(UnitValueKernelTest, EmptyInputWritesNothing) {
  const float median = 0.0f;
  const float inverse_scale = 1.0f;
  const UnitValueReference reference{std::span(&median, 1), std::span(&inverse_scale, 1)};
  ForEachTarget([&] {
    RobustUnitValueZ({}, {}, {}, reference, {});
    RobustUnitValueZParallel({}, {}, {}, reference, {});
    RobustUnitValueZByOrigin({}, {}, {}, {}, 3, reference, {});
    RobustUnitValueZByOriginParallel({}, {}, {}, {}, 3, reference, {});
    RobustZOfLogUnitValue({}, {}, reference, {});
    RobustZOfLogUnitValueParallel({}, {}, reference, {});
  });
}

}  // namespace
}  // namespace crsim::kernels
