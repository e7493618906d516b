// Tree-ensemble engine: the fast engine equals the scalar reference bit for bit on every compiled
// SIMD target (random ensembles with NaN, early leaves, u8 and u16 bins, the 256-threshold edge,
// trees deeper than the bit planes), the parallel driver equals the sequential one, column- and
// row-major views agree, and bad calls are errors. Equality with XGBoost itself is in
// tests/data/xgboost_model_test.cc.
#include "crsim/kernels/tree_ensemble.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernel_test_support.h"
#include "random_tree_ensemble.h"

namespace crsim::kernels {
namespace {

using testing::Bits;
using testing::ForEachTarget;

using crsim::testing::EnsembleShape;
using crsim::testing::RandomEnsemble;
using crsim::testing::RandomRows;

void ExpectSameBits(const std::vector<float>& expected, const std::vector<float>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (Bits(expected[i]) != Bits(actual[i])) {
      if (++differing <= 5) ADD_FAILURE() << "row " << i << ": " << expected[i] << " vs " << actual[i];
    }
  }
  EXPECT_EQ(differing, 0u);
}

// Fast engine vs reference on every target, for sizes 0 .. 3 AVX3 vectors + 1 and a size bigger
// than a tile, at a misaligned start, for one ensemble.
void CheckAgainstReference(const TreeEnsemble& ensemble, float levels, std::uint64_t seed) {
  const std::size_t features = ensemble.num_features;
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= testing::kMaxSweepSize; ++n) sizes.push_back(n);
  sizes.push_back(64);
  sizes.push_back(511);
  sizes.push_back(513);
  sizes.push_back(4099);
  for (const std::size_t rows : sizes) {
    SCOPED_TRACE(rows);
    // One extra leading row: the view starts one float past an allocation's start (misaligned).
    const std::vector<float> storage = RandomRows(rows + 1, features, levels, 0.1f, seed + rows);
    const TreeInputView view = RowMajorView(storage.data() + 1, rows, features);
    std::vector<float> expected(rows);
    PredictMarginReference(ensemble, view, expected);
    ForEachTarget([&] {
      std::vector<float> actual(rows, -12345.0f);
      PredictMargin(ensemble, view, actual);
      ExpectSameBits(expected, actual);
    });
  }
}

TEST(TreeEnsembleTest, SimdMatchesReferenceOnEveryTarget) {
  for (const std::size_t depth : {1u, 2u, 3u, 5u, 6u, 7u, 8u, 10u}) {
    SCOPED_TRACE(depth);
    EnsembleShape shape;
    shape.depth = depth;
    shape.trees = 12;
    CheckAgainstReference(RandomEnsemble(shape, 100 + depth), shape.levels, depth);
  }
}

TEST(TreeEnsembleTest, SingleLeafTreesAndFullTrees) {
  EnsembleShape shape;
  shape.depth = 0;  // every tree a single leaf
  CheckAgainstReference(RandomEnsemble(shape, 5), shape.levels, 5);
  shape.depth = 6;
  shape.early_leaf = 0.0f;  // complete trees
  CheckAgainstReference(RandomEnsemble(shape, 6), shape.levels, 6);
}

TEST(TreeEnsembleTest, SixteenBitBinsMatchReference) {
  EnsembleShape shape;
  shape.trees = 60;
  shape.depth = 8;
  shape.features = 3;
  shape.levels = 100000.0f;  // thousands of distinct thresholds per feature
  const TreeEnsemble ensemble = RandomEnsemble(shape, 7);
  const TreeEnsembleSummary summary = SummarizeTreeEnsemble(ensemble);
  ASSERT_EQ(summary.bin_bits, 16u);
  ASSERT_GT(summary.max_thresholds_per_feature, 256u);
  CheckAgainstReference(ensemble, shape.levels, 7);
}

TEST(TreeEnsembleTest, ExactlyTwoHundredFiftySixThresholdsStayEightBit) {
  // u8 bins saturate at 255; the 256th threshold's mask comes from a float compare.
  TreeEnsemble ensemble;
  ensemble.num_features = 1;
  for (int k = 0; k < 256; ++k) {
    Tree stump;
    stump.nodes.resize(3);
    stump.nodes[0] = TreeNode{1, 2, 0, static_cast<float>(k) / 64.0f - 2.0f, k % 2 == 0};
    stump.nodes[1].value = static_cast<float>(k);
    stump.nodes[2].value = -static_cast<float>(k) * 0.5f;
    ensemble.trees.push_back(stump);
  }
  PrepareTreeEnsemble(ensemble);
  const TreeEnsembleSummary summary = SummarizeTreeEnsemble(ensemble);
  ASSERT_EQ(summary.max_thresholds_per_feature, 256u);
  ASSERT_EQ(summary.bin_bits, 8u);
  CheckAgainstReference(ensemble, 64.0f, 8);
}

TEST(TreeEnsembleTest, TreesDeeperThanBitPlanesMatchReference) {
  EnsembleShape shape;
  shape.trees = 6;
  shape.depth = kMaxBitPlaneDepth + 3;
  shape.features = 5;
  shape.early_leaf = 0.3f;
  const TreeEnsemble ensemble = RandomEnsemble(shape, 9);
  ASSERT_GT(SummarizeTreeEnsemble(ensemble).trees_beyond_bit_planes, 0u);
  CheckAgainstReference(ensemble, shape.levels, 9);
}

TEST(TreeEnsembleTest, UnpreparedEnsembleGivesTheSameResult) {
  EnsembleShape shape;
  TreeEnsemble ensemble = RandomEnsemble(shape, 11);
  const std::vector<float> x = RandomRows(700, shape.features, shape.levels, 0.1f, 11);
  std::vector<float> prepared(700);
  std::vector<float> unprepared(700);
  PredictMargin(ensemble, RowMajorView(x.data(), 700, shape.features), prepared);
  ensemble.plan.reset();
  PredictMargin(ensemble, RowMajorView(x.data(), 700, shape.features), unprepared);
  ExpectSameBits(prepared, unprepared);
}

TEST(TreeEnsembleTest, ColumnMajorAndRowMajorViewsAgree) {
  EnsembleShape shape;
  const TreeEnsemble ensemble = RandomEnsemble(shape, 13);
  const std::size_t rows = 1000;
  const std::vector<float> row_major = RandomRows(rows, shape.features, shape.levels, 0.1f, 13);
  const std::size_t stride = rows + 16;  // padded columns, as the feature-matrix kernel writes them
  std::vector<float> column_major(shape.features * stride, 0.0f);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t f = 0; f < shape.features; ++f) column_major[f * stride + i] = row_major[i * shape.features + f];
  }
  std::vector<float> from_rows(rows);
  std::vector<float> from_columns(rows);
  std::vector<float> reference_columns(rows);
  PredictMargin(ensemble, RowMajorView(row_major.data(), rows, shape.features), from_rows);
  PredictMargin(ensemble, ColumnMajorView(column_major.data(), rows, shape.features, stride), from_columns);
  PredictMarginReference(ensemble, ColumnMajorView(column_major.data(), rows, shape.features, stride),
                         reference_columns);
  ExpectSameBits(from_rows, from_columns);
  ExpectSameBits(reference_columns, from_columns);
}

TEST(TreeEnsembleTest, ParallelMatchesSequentialForEveryGrainAndThreadCount) {
  EnsembleShape shape;
  shape.trees = 4;  // small: grain 1 makes 100003 single-row chunks
  shape.depth = 4;
  const TreeEnsemble ensemble = RandomEnsemble(shape, 17);
  const std::size_t rows = testing::kBigSize;
  const std::vector<float> x = RandomRows(rows, shape.features, shape.levels, 0.1f, 17);
  const TreeInputView view = RowMajorView(x.data(), rows, shape.features);
  std::vector<float> sequential(rows);
  PredictMargin(ensemble, view, sequential);
  for (const int threads : {1, 2, 4}) {
    tbb::task_arena arena(threads);
    for (const std::size_t grain : testing::kGrains) {
      SCOPED_TRACE(::testing::Message() << "threads " << threads << " grain " << grain);
      std::vector<float> parallel(rows, -1.0f);
      arena.execute([&] { PredictMarginParallel(ensemble, view, parallel, grain); });
      ExpectSameBits(sequential, parallel);
    }
  }
}

TEST(TreeEnsembleTest, BadCallsAreErrors) {
  EnsembleShape shape;
  const TreeEnsemble ensemble = RandomEnsemble(shape, 19);
  const std::vector<float> x = RandomRows(10, shape.features + 1, shape.levels, 0.0f, 19);
  std::vector<float> margin(10);
  // Feature-count mismatch: an error naming both counts, never a read out of bounds.
  try {
    PredictMargin(ensemble, RowMajorView(x.data(), 10, shape.features + 1), margin);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("17 features but the model expects 16"), std::string::npos) << error.what();
  }
  EXPECT_THROW(PredictMarginReference(ensemble, RowMajorView(x.data(), 10, shape.features + 1), margin),
               std::invalid_argument);
  EXPECT_THROW(PredictMarginParallel(ensemble, RowMajorView(x.data(), 10, shape.features + 1), margin),
               std::invalid_argument);
  std::vector<float> short_margin(9);
  EXPECT_THROW(PredictMargin(ensemble, RowMajorView(x.data(), 10, shape.features), short_margin),
               std::invalid_argument);
  EXPECT_THROW(PredictMarginParallel(ensemble, RowMajorView(x.data(), 10, shape.features), margin, 0),
               std::invalid_argument);
  // Zero rows: no-op.
  std::vector<float> none;
  PredictMargin(ensemble, RowMajorView(nullptr, 0, shape.features), none);
  PredictMarginParallel(ensemble, RowMajorView(nullptr, 0, shape.features), none);
}

TEST(TreeEnsembleTest, InvalidTreesAreRejected) {
  const auto stump = [] {
    TreeEnsemble ensemble;
    ensemble.num_features = 2;
    Tree tree;
    tree.nodes.resize(3);
    tree.nodes[0] = TreeNode{1, 2, 1, 0.5f, true};
    ensemble.trees.push_back(tree);
    return ensemble;
  };
  EXPECT_NO_THROW(ValidateTreeEnsemble(stump()));
  TreeEnsemble cycle = stump();
  cycle.trees[0].nodes[2] = TreeNode{0, 1, 0, 1.0f, false};
  EXPECT_THROW(ValidateTreeEnsemble(cycle), std::invalid_argument);
  TreeEnsemble out_of_range = stump();
  out_of_range.trees[0].nodes[0].right = 3;
  EXPECT_THROW(ValidateTreeEnsemble(out_of_range), std::invalid_argument);
  TreeEnsemble one_child = stump();
  one_child.trees[0].nodes[0].right = -1;
  EXPECT_THROW(ValidateTreeEnsemble(one_child), std::invalid_argument);
  TreeEnsemble bad_feature = stump();
  bad_feature.trees[0].nodes[0].feature = 2;
  EXPECT_THROW(PrepareTreeEnsemble(bad_feature), std::invalid_argument);
  TreeEnsemble nan_threshold = stump();
  nan_threshold.trees[0].nodes[0].value = std::nanf("");
  EXPECT_THROW(ValidateTreeEnsemble(nan_threshold), std::invalid_argument);
  TreeEnsemble empty_tree = stump();
  empty_tree.trees[0].nodes.clear();
  EXPECT_THROW(ValidateTreeEnsemble(empty_tree), std::invalid_argument);
}

TEST(TreeEnsembleTest, MarginToProbabilityIsXgboostsSigmoid) {
  const std::vector<float> margin{-100.0f, -2.5f, 0.0f, 0.3f, 17.0f, 100.0f};
  std::vector<float> probability(margin.size());
  MarginToProbability(MarginTransform::kLogistic, margin, probability);
  for (std::size_t i = 0; i < margin.size(); ++i) {
    EXPECT_EQ(Bits(probability[i]), Bits(1.0f / (1.0f + std::exp(-margin[i]))));
  }
  MarginToProbability(MarginTransform::kIdentity, margin, probability);
  ExpectSameBits(margin, probability);
  std::vector<float> wrong(2);
  EXPECT_THROW(MarginToProbability(MarginTransform::kLogistic, margin, wrong), std::invalid_argument);
}

}  // namespace
}  // namespace crsim::kernels
