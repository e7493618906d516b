// Random tree ensembles and rows for the tree-ensemble tests, benchmarks and the perf gate
// (header only; depends on crsim/kernels/tree_ensemble.h and split_mix.h). Deterministic: a SplitMix64
// stream, no std:: distributions.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "split_mix.h"

#include "crsim/kernels/tree_ensemble.h"

namespace crsim::testing {

struct EnsembleShape {
  std::size_t trees = 10;
  std::size_t depth = 6;
  std::size_t features = 16;
  float levels = 250.0f;       // thresholds are k / levels * 4 - 2: at most `levels` distinct per feature
  float early_leaf = 0.1f;     // chance that a node below the root is a leaf
};

// A random ensemble, prepared: thresholds on a grid of `levels` values in [-2, 2), random default
// directions, random early leaves, leaf values in [-1, 1).
inline kernels::TreeEnsemble RandomEnsemble(const EnsembleShape& shape, std::uint64_t seed) {
  SplitMix random(seed);
  kernels::TreeEnsemble ensemble;
  ensemble.num_features = shape.features;
  ensemble.base_margin = random.Uniform() - 0.5f;
  for (std::size_t t = 0; t < shape.trees; ++t) {
    kernels::Tree tree;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{0, 0}};
    tree.nodes.emplace_back();
    while (!stack.empty()) {
      const auto [index, depth] = stack.back();
      stack.pop_back();
      if (depth == shape.depth || (depth > 0 && random.Uniform() < shape.early_leaf)) {
        tree.nodes[index].value = 2.0f * random.Uniform() - 1.0f;
        continue;
      }
      const auto left = static_cast<std::int32_t>(tree.nodes.size());
      tree.nodes.emplace_back();
      tree.nodes.emplace_back();
      kernels::TreeNode& node = tree.nodes[index];
      node.left = left;
      node.right = left + 1;
      node.feature = static_cast<std::uint32_t>(random.Below(shape.features));
      node.value = std::floor(random.Uniform() * shape.levels) / shape.levels * 4.0f - 2.0f;
      node.default_left = random.Uniform() < 0.5f;
      stack.emplace_back(static_cast<std::size_t>(left), depth + 1);
      stack.emplace_back(static_cast<std::size_t>(left) + 1, depth + 1);
    }
    ensemble.trees.push_back(std::move(tree));
  }
  kernels::PrepareTreeEnsemble(ensemble);
  return ensemble;
}

// Row-major rows x features in [-2.2, 2.2) with NaN at `nan_rate`; 20% of the values exactly on
// the threshold grid (ties: x == threshold must go right).
inline std::vector<float> RandomRows(std::size_t rows, std::size_t features, float levels, float nan_rate,
                                     std::uint64_t seed) {
  SplitMix random(seed);
  std::vector<float> x(rows * features);
  for (float& value : x) {
    const float u = random.Uniform();
    if (u < nan_rate) {
      value = std::nanf("");
    } else if (u < nan_rate + 0.2f) {
      value = std::floor(random.Uniform() * levels) / levels * 4.0f - 2.0f;  // on the grid
    } else {
      value = 4.4f * random.Uniform() - 2.2f;
    }
  }
  return x;
}

}  // namespace crsim::testing
