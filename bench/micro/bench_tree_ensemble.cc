// Tree-ensemble engine benchmarks (crsim/kernels/tree_ensemble.h):
//   BM_TreeEnsemble/<scalar|simd|simd_tbb>/rows:N   200 trees of depth 6 (about 10% early leaves),
//                                                   16 features, 250 threshold levels (u8 bins),
//                                                   5% NaN, row-major input
//   BM_TreeEnsembleDeep/<scalar|simd|simd_tbb>/rows:N  the same with 500 trees of depth 8
// N = 1K .. 1M rows in powers of 4 (the scalar reference does about 1 M rows/s / 200 trees, so
// larger sizes would take minutes); items/s = rows scored per second. simd_tbb runs
// PredictMarginParallel in a 2-thread arena. The models are random (tests/common/
// random_tree_ensemble.h), shaped like XGBoost's: the peer comparison with XGBoost's own models
// is bench/peers/run.sh --only xgboost.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "crsim/kernels/tree_ensemble.h"
#include "random_tree_ensemble.h"

namespace crsim::kernels {
namespace {

constexpr std::size_t kFeatures = 16;

enum class TreeVariant { kScalar, kSimd, kSimdTbb };

const TreeEnsemble& Model(std::size_t trees, std::size_t depth) {
  static std::vector<std::pair<std::pair<std::size_t, std::size_t>, TreeEnsemble>> models;
  for (const auto& [shape, model] : models) {
    if (shape.first == trees && shape.second == depth) return model;
  }
  testing::EnsembleShape shape;
  shape.trees = trees;
  shape.depth = depth;
  shape.features = kFeatures;
  models.emplace_back(std::pair{trees, depth}, testing::RandomEnsemble(shape, 2026));
  return models.back().second;
}

// Rows of the latest size only (the 1M-row input is 64 MB).
const std::vector<float>& Rows(std::size_t rows) {
  static std::vector<float> x;
  static std::size_t size = 0;
  if (size != rows) {
    x = testing::RandomRows(rows, kFeatures, 250.0f, 0.05f, 7);
    size = rows;
  }
  return x;
}

void RunTreeEnsemble(benchmark::State& state, std::size_t trees, std::size_t depth, TreeVariant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const TreeEnsemble& model = Model(trees, depth);
  const TreeInputView view = RowMajorView(Rows(rows).data(), rows, kFeatures);
  std::vector<float> margin(rows);
  static tbb::task_arena arena(2);
  for (auto _ : state) {
    switch (variant) {
      case TreeVariant::kScalar:
        PredictMarginReference(model, view, margin);
        break;
      case TreeVariant::kSimd:
        PredictMargin(model, view, margin);
        break;
      case TreeVariant::kSimdTbb:
        arena.execute([&] { PredictMarginParallel(model, view, margin); });
        break;
    }
    benchmark::DoNotOptimize(margin.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}

const bool kRegistered = [] {
  const std::pair<const char*, TreeVariant> variants[] = {
      {"scalar", TreeVariant::kScalar}, {"simd", TreeVariant::kSimd}, {"simd_tbb", TreeVariant::kSimdTbb}};
  for (const auto& [family, trees, depth] :
       {std::tuple{"BM_TreeEnsemble", std::size_t{200}, std::size_t{6}},
        std::tuple{"BM_TreeEnsembleDeep", std::size_t{500}, std::size_t{8}}}) {
    for (const auto& [name, variant] : variants) {
      auto* benchmark = benchmark::RegisterBenchmark(
          (std::string(family) + "/" + name).c_str(),
          [trees = trees, depth = depth, variant = variant](benchmark::State& state) {
            RunTreeEnsemble(state, trees, depth, variant);
          });
      benchmark->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 20);
      if (variant == TreeVariant::kSimdTbb) benchmark->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace crsim::kernels
