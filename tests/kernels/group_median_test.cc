// Tests of the exact per-group median and MAD: the bucket-selection fast path against the
// nth_element reference, bit for bit, on groups of every size class (empty, 1, 2, below and above
// the small-group cut-off, large), with heavy ties, NaN rows, infinities and constant groups; the
// reference against a full sort; hand-computed cases; and the precondition checks.
#include "crsim/kernels/group_median.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "kernel_test_support.h"

namespace crsim::kernels {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfinity = std::numeric_limits<float>::infinity();

struct Medians {
  std::vector<float> median, mad;
};

Medians Fast(const std::vector<float>& values, const std::vector<std::uint32_t>& group, std::size_t groups) {
  Medians m{std::vector<float>(groups), std::vector<float>(groups)};
  GroupMedianMad(values, group, groups, m.median, m.mad);
  return m;
}

Medians Reference(const std::vector<float>& values, const std::vector<std::uint32_t>& group, std::size_t groups) {
  Medians m{std::vector<float>(groups), std::vector<float>(groups)};
  GroupMedianMadReference(values, group, groups, m.median, m.mad);
  return m;
}

// Bitwise equality with NaN == NaN.
void ExpectSameFloats(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t g = 0; g < a.size(); ++g) {
    if (std::isnan(a[g]) && std::isnan(b[g])) continue;
    EXPECT_EQ(a[g], b[g]) << what << " of group " << g;
  }
}

enum class Shape { kContinuous, kCoarseTies, kSpecial };

// Group g has a size drawn around `sizes[g % sizes.size()]`; values log-normal-like around a
// per-group centre, or on a coarse grid (many ties), or with special values mixed in.
void RandomRows(std::mt19937& engine, const std::vector<std::size_t>& sizes, Shape shape,
                std::vector<float>& values, std::vector<std::uint32_t>& group) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (std::size_t g = 0; g < sizes.size(); ++g) {
    const float centre = 8.0f * uniform(engine) - 2.0f;
    const float spread = 0.05f + uniform(engine);
    for (std::size_t k = 0; k < sizes[g]; ++k) {
      float x = centre + spread * normal(engine);
      if (shape == Shape::kCoarseTies) x = std::round(x * 4.0f) / 4.0f;
      if (shape == Shape::kSpecial) {
        const float u = uniform(engine);
        if (u < 0.03f) x = kNaN;
        else if (u < 0.035f) x = kInfinity;
        else if (u < 0.04f) x = -kInfinity;
        else if (u < 0.05f) x = 0.0f;
      }
      values.push_back(x);
      group.push_back(static_cast<std::uint32_t>(g));
    }
  }
  // Rows arrive in random order, as declarations do.
  std::vector<std::size_t> order(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), engine);
  std::vector<float> v(values.size());
  std::vector<std::uint32_t> gr(values.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    v[i] = values[order[i]];
    gr[i] = group[order[i]];
  }
  values = std::move(v);
  group = std::move(gr);
}

TEST(GroupMedianTest, HandComputedOddEvenEmptyAndNaN) {
  // Group 0: {4, 1, 3, 2} -> median 2.5, deviations {1.5, 1.5, 0.5, 0.5} -> MAD 1.0.
  // Group 1: {5, NaN, 1, 9} -> NaN left out: median 5, deviations {0, 4, 4} -> MAD 4.
  // Group 2: no rows -> NaN. Group 3: only NaN -> NaN. Group 4: {7} -> median 7, MAD 0.
  const std::vector<float> values = {4, 5, 1, kNaN, 3, 1, 2, 9, kNaN, 7};
  const std::vector<std::uint32_t> group = {0, 1, 0, 1, 0, 1, 0, 1, 3, 4};
  for (const Medians& m : {Fast(values, group, 5), Reference(values, group, 5)}) {
    EXPECT_EQ(m.median[0], 2.5f);
    EXPECT_EQ(m.mad[0], 1.0f);
    EXPECT_EQ(m.median[1], 5.0f);
    EXPECT_EQ(m.mad[1], 4.0f);
    EXPECT_TRUE(std::isnan(m.median[2]) && std::isnan(m.mad[2]));
    EXPECT_TRUE(std::isnan(m.median[3]) && std::isnan(m.mad[3]));
    EXPECT_EQ(m.median[4], 7.0f);
    EXPECT_EQ(m.mad[4], 0.0f);
  }
}

TEST(GroupMedianTest, ReferenceEqualsAFullSort) {
  std::mt19937 engine(7);
  std::vector<float> values;
  std::vector<std::uint32_t> group;
  RandomRows(engine, {1, 2, 3, 10, 11, 600, 5001}, Shape::kContinuous, values, group);
  const Medians m = Reference(values, group, 7);
  for (std::uint32_t g = 0; g < 7; ++g) {
    std::vector<float> v;
    for (std::size_t i = 0; i < values.size(); ++i) if (group[i] == g) v.push_back(values[i]);
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const auto middle = [n](const std::vector<float>& s) {
      return n % 2 ? s[n / 2] : static_cast<float>((static_cast<double>(s[n / 2 - 1]) + s[n / 2]) / 2.0);
    };
    const float med = middle(v);
    std::vector<float> deviation;
    for (float x : v) deviation.push_back(std::fabs(x - med));
    std::sort(deviation.begin(), deviation.end());
    EXPECT_EQ(m.median[g], med) << "group " << g;
    EXPECT_EQ(m.mad[g], middle(deviation)) << "group " << g;
  }
}

// Random rows of the given group sizes and shape (engine seed + shape): fast == reference.
void ExpectFastEqualsReference(const std::vector<std::size_t>& sizes, Shape shape, int seed) {
  std::mt19937 engine(seed + static_cast<int>(shape));
  std::vector<float> values;
  std::vector<std::uint32_t> group;
  RandomRows(engine, sizes, shape, values, group);
  const Medians reference = Reference(values, group, sizes.size());
  SCOPED_TRACE(static_cast<int>(shape));
  // The per-group passes run in SIMD (kernels/src/group_median_simd.cc): every compiled target.
  testing::ForEachTarget([&] {
    const Medians fast = Fast(values, group, sizes.size());
    ExpectSameFloats(fast.median, reference.median, "median");
    ExpectSameFloats(fast.mad, reference.mad, "MAD");
  });
}

TEST(GroupMedianTest, FastEqualsReferenceBitForBit) {
  // Sizes straddle the small-group cut-off and the even/odd split; 600 groups of mixed sizes.
  std::vector<std::size_t> sizes = {0, 1, 2, 3, kGroupMedianSmall - 1, kGroupMedianSmall, kGroupMedianSmall + 1,
                                    4 * kGroupMedianBuckets, 4 * kGroupMedianBuckets + 1, 20000};
  std::mt19937 size_engine(11);
  std::uniform_int_distribution<std::size_t> size(0, 3000);
  while (sizes.size() < 600) sizes.push_back(size(size_engine));
  for (const Shape shape : {Shape::kContinuous, Shape::kCoarseTies, Shape::kSpecial}) {
    ExpectFastEqualsReference(sizes, shape, 100);
  }
}

// The fast path's write-combining scatter moves values line by line (16 floats); groups of 0 to 40
// values start and end anywhere inside a line, many inside one line, and in groups of one to three
// values the median and MAD depend on every value, so a value lost or misplaced at a line boundary
// shows.
TEST(GroupMedianTest, TinyGroupsStraddlingCacheLinesAreExact) {
  std::mt19937 size_engine(23);
  std::uniform_int_distribution<std::size_t> size(0, 40);
  std::vector<std::size_t> sizes(5000);
  for (std::size_t& s : sizes) s = size(size_engine);
  for (const Shape shape : {Shape::kContinuous, Shape::kSpecial}) ExpectFastEqualsReference(sizes, shape, 300);
}

// The MAD of groups of 4 x kGroupMedianBuckets values or more is read off the median's histogram
// with one bucket of margin for rounding, and checked; groups whose bucket width is far below the
// values' ulp (a few distinct floats one ulp apart, at several magnitudes) or far above their
// spread (one huge outlier puts every other value in bucket 0) are where that check can fail and
// the plain bucket selection takes over. Groups on both sides of the size threshold; every way, the
// result equals the reference.
TEST(GroupMedianTest, UlpSpacedAndOutlierGroupsAreExact) {
  std::vector<float> values;
  std::vector<std::uint32_t> group;
  std::mt19937 engine(41);
  std::uniform_int_distribution<int> step(0, 4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uint32_t g = 0;
  for (const float base : {1e-3f, 1.0f, 3.0f, 1e6f, -250.0f}) {
    for (const std::size_t n : {kGroupMedianSmall, std::size_t{3001}, 4 * kGroupMedianBuckets, 4 * kGroupMedianBuckets + 1}) {
      for (std::size_t k = 0; k < n; ++k) {
        float x = base;
        for (int s = step(engine); s > 0; --s) x = std::nextafter(x, kInfinity);
        values.push_back(x);
        group.push_back(g);
      }
      ++g;
    }
  }
  for (const float outlier : {1e30f, -1e30f, 1e6f}) {
    for (std::size_t k = 0; k < 4 * kGroupMedianBuckets + 3; ++k) {
      values.push_back(k == 17 ? outlier : normal(engine));
      group.push_back(g);
    }
    ++g;
  }
  const Medians reference = Reference(values, group, g);
  testing::ForEachTarget([&] {
    const Medians fast = Fast(values, group, g);
    ExpectSameFloats(fast.median, reference.median, "median");
    ExpectSameFloats(fast.mad, reference.mad, "MAD");
  });
}

TEST(GroupMedianTest, ConstantAndTwoValueGroups) {
  // A large constant group (lo == hi) and a large group of two values (every value in the end
  // buckets): both exact.
  std::vector<float> values(3000, 1.25f);
  std::vector<std::uint32_t> group(3000, 0);
  for (int i = 0; i < 3001; ++i) {
    values.push_back(i % 3 == 0 ? -2.0f : 6.0f);
    group.push_back(1);
  }
  const Medians fast = Fast(values, group, 2);
  EXPECT_EQ(fast.median[0], 1.25f);
  EXPECT_EQ(fast.mad[0], 0.0f);
  EXPECT_EQ(fast.median[1], 6.0f);  // 2001 of 3001 values are 6
  EXPECT_EQ(fast.mad[1], 0.0f);
  ExpectSameFloats(fast.median, Reference(values, group, 2).median, "median");
}

// No rows, or only NaN rows: the scratch is empty (a zero-size buffer) and every group is NaN.
TEST(GroupMedianTest, NoRowsOrOnlyNaNGivesNaNEverywhere) {
  const std::vector<float> nan_values = {kNaN, kNaN, kNaN};
  const std::vector<std::uint32_t> nan_group = {0, 2, 2};
  for (const Medians& m : {Fast({}, {}, 3), Reference({}, {}, 3), Fast(nan_values, nan_group, 3),
                           Reference(nan_values, nan_group, 3)}) {
    ASSERT_EQ(m.median.size(), 3u);
    for (std::size_t g = 0; g < 3; ++g) EXPECT_TRUE(std::isnan(m.median[g]) && std::isnan(m.mad[g])) << g;
  }
}

TEST(GroupMedianTest, RejectsBadShapes) {
  std::vector<float> median(2), mad(2);
  const std::vector<float> values = {1, 2, 3};
  EXPECT_THROW(GroupMedianMad(values, std::vector<std::uint32_t>{0, 1, 2}, 2, median, mad), std::out_of_range);
  EXPECT_THROW(GroupMedianMadReference(values, std::vector<std::uint32_t>{0, 1, 2}, 2, median, mad), std::out_of_range);
  EXPECT_THROW(GroupMedianMad(values, std::vector<std::uint32_t>{0, 1}, 2, median, mad), std::invalid_argument);
  std::vector<float> short_median(1);
  EXPECT_THROW(GroupMedianMad(values, std::vector<std::uint32_t>{0, 1, 1}, 2, short_median, mad), std::invalid_argument);
}

}  // namespace
}  // namespace crsim::kernels
