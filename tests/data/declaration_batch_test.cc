#include "crsim/data/declaration_batch.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace crsim::data {
namespace {

TEST(AlignedColumn, StartsOnCacheLineAndPadsToWholeBlocks) {
  for (std::size_t size : {1u, 15u, 16u, 17u, 1000u}) {
    AlignedColumn<float> column(size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(column.data()) % kColumnAlignment, 0u);
    EXPECT_EQ(column.capacity() % (kColumnAlignment / sizeof(float)), 0u);
    EXPECT_GE(column.capacity(), size);
    for (std::size_t i = size; i < column.capacity(); ++i) EXPECT_EQ(column.data()[i], 0.0f) << "padding is zeroed";
  }
}

TEST(AlignedColumn, GrowKeepsContents) {
  AlignedColumn<std::uint16_t> column(3);
  column[0] = 7;
  column[1] = 8;
  column[2] = 9;
  column.resize(100);
  EXPECT_EQ(column[0], 7);
  EXPECT_EQ(column[2], 9);
  EXPECT_EQ(column.size(), 100u);
  column.resize(2);
  EXPECT_EQ(column.span().size(), 2u);
}

TEST(DeclarationBatch, ViewsCoverEveryRow) {
  DeclarationBatch batch;
  batch.Reset(3, 10);
  EXPECT_EQ(batch.day(), 3);
  EXPECT_EQ(batch.declared().size(), 10u);
  EXPECT_EQ(batch.declared().trader_age_days.size(), 10u);
  EXPECT_EQ(batch.truth().size(), 10u);
  EXPECT_EQ(batch.truth().duty_evaded.size(), 10u);
}

}  // namespace
}  // namespace crsim::data
