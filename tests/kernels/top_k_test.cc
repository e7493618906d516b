#include "crsim/kernels/top_k.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <random>
#include <vector>

namespace crsim::kernels {
namespace {

struct Case {
  std::vector<float> priority;
  std::vector<std::uint16_t> group;
  std::vector<std::uint32_t> capacity;
  std::vector<std::uint8_t> preselected;
};

Case RandomCase(std::mt19937& engine, std::size_t rows, std::size_t groups, bool many_ties) {
  Case c;
  std::uniform_int_distribution<int> group(0, static_cast<int>(groups) - 1);
  std::uniform_int_distribution<int> coarse(0, 5);
  std::uniform_real_distribution<float> fine(-1.0f, 1.0f);
  std::uniform_int_distribution<int> percent(0, 99);
  for (std::size_t i = 0; i < rows; ++i) {
    const int roll = percent(engine);
    c.priority.push_back(roll < 3 ? std::nanf("") : many_ties ? static_cast<float>(coarse(engine)) : fine(engine));
    c.group.push_back(static_cast<std::uint16_t>(group(engine)));
    c.preselected.push_back(percent(engine) < 5 ? 1 : 0);
  }
  std::uniform_int_distribution<std::uint32_t> capacity(0, static_cast<std::uint32_t>(rows / groups + 3));
  for (std::size_t g = 0; g < groups; ++g) c.capacity.push_back(capacity(engine));
  return c;
}

TEST(SelectTopKPerGroup, AgreesWithTheFullSortReferenceAcrossThreadCounts) {
  std::mt19937 engine(3);
  for (const std::size_t rows : {0u, 1u, 17u, 1000u, 50000u}) {
    for (const std::size_t groups : {1u, 7u, 300u}) {
      for (const bool ties : {false, true}) {
        const Case c = RandomCase(engine, rows, groups, ties);
        std::vector<std::uint8_t> expected = c.preselected;
        const std::uint64_t expected_count = SelectTopKPerGroupReference(c.priority, c.group, c.capacity, expected);
        for (const int threads : {1, 2, 4}) {
          std::vector<std::uint8_t> selected = c.preselected;
          std::uint64_t count = 0;
          tbb::task_arena(threads).execute(
              [&] { count = SelectTopKPerGroup(c.priority, c.group, c.capacity, selected); });
          EXPECT_EQ(selected, expected) << rows << " rows, " << groups << " groups, ties " << ties << ", "
                                        << threads << " threads";
          EXPECT_EQ(count, expected_count);
        }
      }
    }
  }
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

TEST(SelectTopKPerGroup, SkipsRowsAlreadySelected) {
  const std::vector<float> priority = {9.0f, 8.0f, 7.0f};
  const std::vector<std::uint16_t> group = {0, 0, 0};
  std::vector<std::uint8_t> selected = {1, 0, 0};
  EXPECT_EQ(SelectTopKPerGroup(priority, group, std::vector<std::uint32_t>{1}, selected), 1u);
  EXPECT_EQ(selected, (std::vector<std::uint8_t>{1, 1, 0}));
}

}  // namespace
}  // namespace crsim::kernels
