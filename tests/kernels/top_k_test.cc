// Tests of the top-k selection: the fast path (every compiled and supported Highway target, 1..4
// threads, several chunk sizes) against the full-sort reference, exactly (the selection is a set of
// rows: no tolerance), plus hand-computed cases, the key mapping, and the sample's two safety nets
// (the second filter pass of step 4 and the overflow of a chunk's reserved room in step 2).
#include "kernel_test_support.h"
#include "crsim/kernels/top_k.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
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
// 3 vectors of the widest target (16 u32 lanes on AVX3) + 1: every tail length on every target.

struct Case {
  std::vector<float> priority;
  std::vector<std::uint16_t> group;
  std::vector<std::uint32_t> capacity;
  std::vector<std::uint8_t> preselected;
};

enum class Values { kContinuous, kCoarseTies, kSpecial };

// Random rows: 3% NaN; values continuous in [-1, 1], or on 6 integers (many ties), or a mix of
// special values (+-0, +-inf, NaN of both signs, denormals, +-FLT_MAX) and continuous ones.
// Capacities are drawn from 0 .. about twice the mean group size, so k = 0, 0 < k < size and
// k >= size all occur.
Case RandomCase(std::mt19937& engine, std::size_t rows, std::size_t groups, Values values,
                int preselected_percent = 5) {
  Case c;
  std::uniform_int_distribution<int> group(0, static_cast<int>(groups) - 1);
  std::uniform_int_distribution<int> coarse(0, 5);
  std::uniform_real_distribution<float> fine(-1.0f, 1.0f);
  std::uniform_int_distribution<int> percent(0, 99);
  constexpr float kSpecials[] = {0.0f,
                                 -0.0f,
                                 kInfinity,
                                 -kInfinity,
                                 -kNaN,
                                 std::numeric_limits<float>::denorm_min(),
                                 -std::numeric_limits<float>::denorm_min(),
                                 std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::lowest(),
                                 1.0f};
  std::uniform_int_distribution<int> special(0, 9);
  for (std::size_t i = 0; i < rows; ++i) {
    const int roll = percent(engine);
    float value = fine(engine);
    if (roll < 3) {
      value = kNaN;
    } else if (values == Values::kCoarseTies) {
      value = static_cast<float>(coarse(engine));
    } else if (values == Values::kSpecial && roll < 60) {
      value = kSpecials[special(engine)];
    }
    c.priority.push_back(value);
    c.group.push_back(static_cast<std::uint16_t>(group(engine)));
    c.preselected.push_back(percent(engine) < preselected_percent ? 1 : 0);
  }
  std::uniform_int_distribution<std::uint32_t> capacity(0, static_cast<std::uint32_t>(2 * rows / groups + 3));
  for (std::size_t g = 0; g < groups; ++g) c.capacity.push_back(capacity(engine));
  return c;
}

struct Selection {
  std::vector<std::uint8_t> selected;
  std::uint64_t count = 0;
};

Selection Reference(const Case& c) {
  Selection s{c.preselected, 0};
  s.count = SelectTopKPerGroupReference(c.priority, c.group, c.capacity, s.selected);
  return s;
}

Selection Fast(const Case& c, int threads, std::size_t chunk_rows, TopKStats* stats = nullptr) {
  Selection s{c.preselected, 0};
  tbb::task_arena(threads).execute(
      [&] { s.count = SelectTopKPerGroup(c.priority, c.group, c.capacity, s.selected, chunk_rows, stats); });
  return s;
}

void ExpectSame(const Selection& actual, const Selection& expected, const std::string& what) {
  EXPECT_EQ(actual.count, expected.count) << what;
  EXPECT_EQ(actual.selected, expected.selected) << what;
}

TEST(TopKOrderedKey, OrdersLikeTheComparator) {
  const std::vector<float> ascending = {-kInfinity,
                                        std::numeric_limits<float>::lowest(),
                                        -1.0f,
                                        -std::numeric_limits<float>::min(),
                                        -std::numeric_limits<float>::denorm_min(),
                                        0.0f,
                                        std::numeric_limits<float>::denorm_min(),
                                        std::numeric_limits<float>::min(),
                                        1.0f,
                                        std::numeric_limits<float>::max(),
                                        kInfinity};
  EXPECT_EQ(TopKOrderedKey(kNaN), 0u);
  EXPECT_EQ(TopKOrderedKey(-kNaN), 0u);
  EXPECT_GT(TopKOrderedKey(-kInfinity), 0u);
  EXPECT_EQ(TopKOrderedKey(-0.0f), TopKOrderedKey(0.0f));
  for (std::size_t i = 1; i < ascending.size(); ++i) {
    EXPECT_LT(TopKOrderedKey(ascending[i - 1]), TopKOrderedKey(ascending[i])) << ascending[i];
  }
  EXPECT_LT(TopKOrderedKey(kInfinity), 0xFFFFFFFFu);  // the "no candidates" bound stays unreachable
}

TEST(SelectTopKPerGroup, PicksHighestFirstThenLowerRowAndNaNLast) {
  const std::vector<float> priority = {1.0f, std::nanf(""), 3.0f, 3.0f, 2.0f, 5.0f};
  const std::vector<std::uint16_t> group = {0, 0, 0, 0, 0, 1};
  const std::vector<std::uint32_t> capacity = {3, 0};
  std::vector<std::uint8_t> selected(6, 0);
  EXPECT_EQ(SelectTopKPerGroup(priority, group, capacity, selected), 3u);
  EXPECT_EQ(selected, (std::vector<std::uint8_t>{0, 0, 1, 1, 1, 0}));
  // Capacity 2 on the tie 3.0 / 3.0 picks both; capacity 1 picks the lower row.
  std::vector<std::uint8_t> one(6, 0);
  SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{1, 0}, one);
  EXPECT_EQ(one, (std::vector<std::uint8_t>{0, 0, 1, 0, 0, 0}));
  // More capacity than rows: everything, NaN included.
  std::vector<std::uint8_t> all(6, 0);
  EXPECT_EQ(SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{10, 10}, all), 6u);
  EXPECT_EQ(all, (std::vector<std::uint8_t>(6, 1)));
}

TEST(SelectTopKPerGroup, TreatsMinusZeroAsZeroAndNaNBelowMinusInfinity) {
  // -0.0 and +0.0 tie: the lower row wins whichever sign it has.
  const std::vector<float> priority = {-kInfinity, 0.0f, -0.0f, kNaN, -0.0f, 0.0f};
  const std::vector<std::uint16_t> group = {0, 0, 0, 0, 1, 1};
  std::vector<std::uint8_t> selected(6, 0);
  EXPECT_EQ(SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{2, 1}, selected), 3u);
  EXPECT_EQ(selected, (std::vector<std::uint8_t>{0, 1, 1, 0, 1, 0}));
  std::vector<std::uint8_t> three(6, 0);
  SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{3, 0}, three);
  EXPECT_EQ(three, (std::vector<std::uint8_t>{1, 1, 1, 0, 0, 0}));  // -inf above NaN
}

TEST(SelectTopKPerGroup, SkipsRowsAlreadySelected) {
  const std::vector<float> priority = {9.0f, 8.0f, 7.0f};
  const std::vector<std::uint16_t> group = {0, 0, 0};
  std::vector<std::uint8_t> selected = {1, 0, 0};
  EXPECT_EQ(SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{1}, selected), 1u);
  EXPECT_EQ(selected, (std::vector<std::uint8_t>{1, 1, 0}));
  // A nonzero byte other than 1 also means "taken", and stays as it is.
  std::vector<std::uint8_t> marked = {0, 7, 0};
  EXPECT_EQ(SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{1}, marked), 1u);
  EXPECT_EQ(marked, (std::vector<std::uint8_t>{1, 7, 0}));
}

TEST(SelectTopKPerGroup, EmptyInputsAndNoGroups) {
  std::vector<std::uint8_t> none;
  EXPECT_EQ(SelectTopKPerGroup({}, {}, std::vector<std::uint32_t>{5}, none), 0u);
  EXPECT_EQ(SelectTopKPerGroup({}, {}, {}, none), 0u);
}

// Every size 0 .. 3 vectors + 1 and one big odd size, misaligned starts, every target, every thread
// count 1..4, chunk sizes that split vectors (1, 7), align with them (64) or hold everything.
TEST(SelectTopKPerGroup, AgreesWithTheReferenceOnEveryTargetSizeAndMisalignment) {
  std::mt19937 engine(11);
  ForEachTarget([&] {
    for (std::size_t rows = 0; rows <= kMaxSweepSize; ++rows) {
      for (const Values values : {Values::kContinuous, Values::kCoarseTies, Values::kSpecial}) {
        const std::size_t offset = rows % 4;  // misaligned windows of the columns
        Case whole = RandomCase(engine, rows + offset, 3, values);
        Case c;
        c.priority.assign(whole.priority.begin() + static_cast<std::ptrdiff_t>(offset), whole.priority.end());
        c.group.assign(whole.group.begin() + static_cast<std::ptrdiff_t>(offset), whole.group.end());
        c.preselected.assign(whole.preselected.begin() + static_cast<std::ptrdiff_t>(offset),
                             whole.preselected.end());
        c.capacity = whole.capacity;
        const Selection expected = Reference(c);
        for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{64}, kTopKDefaultChunkRows}) {
          // Misaligned: a window of a longer array, starting `offset` floats in.
          Selection actual{c.preselected, 0};
          std::span<const float> priority = std::span<const float>(whole.priority).subspan(offset);
          std::span<const std::uint16_t> group = std::span<const std::uint16_t>(whole.group).subspan(offset);
          actual.count = SelectTopKPerGroup(priority, group, c.capacity, actual.selected, chunk, nullptr);
          ExpectSame(actual, expected, std::to_string(rows) + " rows, chunk " + std::to_string(chunk));
        }
      }
    }
  });
}

TEST(SelectTopKPerGroup, AgreesWithTheReferenceAcrossTargetsThreadsAndChunks) {
  std::mt19937 engine(3);
  struct Shape {
    std::size_t rows, groups;
  };
  for (const Shape shape : {Shape{1000, 1}, Shape{1000, 7}, Shape{kBigSize, 1}, Shape{kBigSize, 7},
                            Shape{kBigSize, 20}, Shape{kBigSize, 64}, Shape{kBigSize, 65}, Shape{kBigSize, 1000}}) {
    for (const Values values : {Values::kContinuous, Values::kCoarseTies, Values::kSpecial}) {
      const Case c = RandomCase(engine, shape.rows, shape.groups, values);
      const Selection expected = Reference(c);
      ForEachTarget([&] {
        for (const int threads : {1, 2, 3, 4}) {
          for (const std::size_t chunk : {std::size_t{333}, std::size_t{4096}, kTopKDefaultChunkRows}) {
            ExpectSame(Fast(c, threads, chunk), expected,
                       std::to_string(shape.rows) + " rows, " + std::to_string(shape.groups) + " groups, " +
                           std::to_string(threads) + " threads, chunk " + std::to_string(chunk));
          }
        }
      });
    }
  }
}

// The benchmark's shape: many exact zeros, a few rule-sum ties, continuous rest, capacity 1%;
// large enough that the sample sets real bounds (the path the simulator takes).
TEST(SelectTopKPerGroup, AgreesWithTheReferenceOnRiskScoreMixtureAtOnePercent) {
  std::mt19937 engine(7);
  const std::size_t rows = 400000;
  const std::size_t groups = 20;
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int> group(0, static_cast<int>(groups) - 1);
  std::normal_distribution<float> logit(-2.0f, 1.5f);
  Case c;
  std::vector<std::uint32_t> group_rows(groups, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    const int roll = percent(engine);
    c.priority.push_back(roll < 30 ? 0.0f : roll < 40 ? 0.5f * static_cast<float>(roll % 5) : 1.0f / (1.0f + std::exp(-logit(engine))));
    c.group.push_back(static_cast<std::uint16_t>(group(engine)));
    ++group_rows[c.group.back()];
    c.preselected.push_back(percent(engine) == 0 ? 1 : 0);
  }
  for (const std::uint32_t size : group_rows) c.capacity.push_back(size / 100);
  const Selection expected = Reference(c);
  ForEachTarget([&] {
    for (const int threads : {1, 2}) {
      TopKStats stats;
      ExpectSame(Fast(c, threads, kTopKDefaultChunkRows, &stats), expected, std::to_string(threads) + " threads");
      EXPECT_EQ(stats.fallback_groups, 0u);
      EXPECT_LT(stats.candidates, rows / 25);  // the sample did its job: a few % of the rows
    }
  });
}

// One group holding every row: capacity 0, 1, 1%, half, all but one, all, more than all.
TEST(SelectTopKPerGroup, HugeSingleGroupAtEveryCapacity) {
  std::mt19937 engine(5);
  Case c = RandomCase(engine, 300000, 1, Values::kCoarseTies, 1);
  for (const std::uint32_t capacity : {0u, 1u, 3000u, 150000u, 299000u, 300000u, 1000000u}) {
    c.capacity = {capacity};
    const Selection expected = Reference(c);
    for (const int threads : {1, 2}) {
      ExpectSame(Fast(c, threads, kTopKDefaultChunkRows), expected,
                 "capacity " + std::to_string(capacity) + ", " + std::to_string(threads) + " threads");
    }
  }
}

// Step 4's safety net: rows at the sample positions are high and the rest low, so the sampled bound
// sits above almost every row and the group must be filtered again with bound 0.
TEST(SelectTopKPerGroup, FallsBackWhenTheSampleMisleads) {
  const std::size_t rows = std::size_t{1} << 20;
  const std::size_t period = TopKSamplePeriodRows(rows);
  ASSERT_EQ(period, 1024u);
  Case c;
  for (std::size_t i = 0; i < rows; ++i) {
    const bool sampled = i % period < kTopKSampleBlockRows;
    c.priority.push_back(sampled ? 10.0f : static_cast<float>(i % 97) / 100.0f);
    c.group.push_back(static_cast<std::uint16_t>(i % 3 == 0 ? 1 : 0));
    c.preselected.push_back(0);
  }
  // Group 0: 50000 > its ~10900 rows at 10.0 (all sampled); group 1: 500 < its ~5500, no fallback.
  c.capacity = {50000, 500};
  const Selection expected = Reference(c);
  ForEachTarget([&] {
    for (const int threads : {1, 2}) {
      TopKStats stats;
      ExpectSame(Fast(c, threads, 1000, &stats), expected, std::to_string(threads) + " threads");
      EXPECT_EQ(stats.fallback_groups, 1u);
    }
  });
}

// Step 2's safety net: priorities increase with the row, so every candidate is in the last chunks,
// far more than the room reserved per chunk from the average.
TEST(SelectTopKPerGroup, ChunksWithMoreCandidatesThanExpectedOverflowSafely) {
  const std::size_t rows = 300000;
  Case c;
  for (std::size_t i = 0; i < rows; ++i) {
    c.priority.push_back(static_cast<float>(i / 3));  // ties of three
    c.group.push_back(static_cast<std::uint16_t>(i % 2));
    c.preselected.push_back(i % 11 == 0 ? 1 : 0);
  }
  c.capacity = {6000, 100};
  const Selection expected = Reference(c);
  ForEachTarget([&] {
    for (const int threads : {1, 2}) {
      TopKStats stats;
      ExpectSame(Fast(c, threads, 4096, &stats), expected, std::to_string(threads) + " threads");
      EXPECT_GT(stats.overflow_chunks, 0u);
    }
  });
}

// Calling twice with the output of the first call as "already selected" (the hybrid strategy does
// this) selects the next rows.
TEST(SelectTopKPerGroup, SecondCallContinuesFromTheFirst) {
  std::mt19937 engine(9);
  Case c = RandomCase(engine, kBigSize, 20, Values::kContinuous, 0);
  Selection expected = Reference(c);
  Selection actual = Fast(c, 2, kTopKDefaultChunkRows);
  ExpectSame(actual, expected, "first call");
  std::vector<float> other(c.priority.rbegin(), c.priority.rend());
  Case second = c;
  second.priority = other;
  second.preselected = expected.selected;
  ExpectSame(Fast(second, 2, kTopKDefaultChunkRows), Reference(second), "second call");
}

}  // namespace
}  // namespace crsim::kernels
