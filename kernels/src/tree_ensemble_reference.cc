// Tree ensemble: validation, the fast engine's plan, the scalar reference, the margin transform and
// the summary (see crsim/kernels/tree_ensemble.h).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "crsim/kernels/tree_ensemble.h"
#include "tree_ensemble_plan.h"

namespace crsim::kernels {

namespace {

std::string Where(std::size_t node) { return "node " + std::to_string(node) + ": "; }

// Depth of every reachable node (-1: unreachable), checking the structure on the way.
std::vector<std::int32_t> NodeDepths(const Tree& tree, std::size_t num_features) {
  const std::size_t count = tree.nodes.size();
  if (count == 0) throw std::invalid_argument("the tree has no nodes");
  std::vector<std::int32_t> depth(count, -1);
  std::vector<std::size_t> stack{0};
  depth[0] = 0;
  while (!stack.empty()) {
    const std::size_t index = stack.back();
    stack.pop_back();
    const TreeNode& node = tree.nodes[index];
    if (node.left < 0 && node.right < 0) continue;
    if (node.left < 0 || node.right < 0) {
      throw std::invalid_argument(Where(index) + "has exactly one child");
    }
    if (node.feature >= num_features) {
      throw std::invalid_argument(Where(index) + "splits on feature " +
                                  std::to_string(node.feature) + " but the model has " +
                                  std::to_string(num_features) + " features");
    }
    if (std::isnan(node.value)) throw std::invalid_argument(Where(index) + "NaN threshold");
    for (const std::int32_t child : {node.left, node.right}) {
      if (static_cast<std::size_t>(child) >= count) {
        throw std::invalid_argument(Where(index) + "child " + std::to_string(child) +
                                    " out of range (the tree has " + std::to_string(count) + " nodes)");
      }
      if (depth[static_cast<std::size_t>(child)] >= 0) {
        throw std::invalid_argument(Where(index) + "child " + std::to_string(child) +
                                    " is reached twice (a cycle or a shared subtree)");
      }
      depth[static_cast<std::size_t>(child)] = depth[index] + 1;
      stack.push_back(static_cast<std::size_t>(child));
    }
  }
  return depth;
}

std::size_t MaxDepth(const std::vector<std::int32_t>& depth) {
  std::int32_t deepest = 0;
  for (const std::int32_t d : depth) deepest = std::max(deepest, d);
  return static_cast<std::size_t>(deepest);
}

// Sorted distinct thresholds per feature over the reachable internal nodes.
std::vector<std::vector<float>> DistinctThresholds(const TreeEnsemble& ensemble,
                                                   const std::vector<std::vector<std::int32_t>>& depths) {
  std::vector<std::vector<float>> thresholds(ensemble.num_features);
  for (std::size_t t = 0; t < ensemble.trees.size(); ++t) {
    const Tree& tree = ensemble.trees[t];
    for (std::size_t n = 0; n < tree.nodes.size(); ++n) {
      if (depths[t][n] < 0 || tree.nodes[n].is_leaf()) continue;
      thresholds[tree.nodes[n].feature].push_back(tree.nodes[n].value);
    }
  }
  for (std::vector<float>& values : thresholds) {
    std::sort(values.begin(), values.end());
    // -0.0 == 0.0: one threshold (x < -0.0 <=> x < 0.0).
    values.erase(std::unique(values.begin(), values.end(), [](float a, float b) { return a == b; }),
                 values.end());
  }
  return thresholds;
}

constexpr std::size_t kMaxThresholdsPerFeature = 65535;

std::vector<std::vector<std::int32_t>> ValidateAndMeasure(const TreeEnsemble& ensemble) {
  std::vector<std::vector<std::int32_t>> depths;
  depths.reserve(ensemble.trees.size());
  for (std::size_t t = 0; t < ensemble.trees.size(); ++t) {
    try {
      depths.push_back(NodeDepths(ensemble.trees[t], ensemble.num_features));
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument("tree " + std::to_string(t) + ": " + error.what());
    }
  }
  return depths;
}

}  // namespace

void ValidateTree(const Tree& tree, std::size_t num_features) { NodeDepths(tree, num_features); }

void ValidateTreeEnsemble(const TreeEnsemble& ensemble) {
  const auto depths = ValidateAndMeasure(ensemble);
  const auto thresholds = DistinctThresholds(ensemble, depths);
  for (std::size_t f = 0; f < thresholds.size(); ++f) {
    if (thresholds[f].size() > kMaxThresholdsPerFeature) {
      throw std::invalid_argument("feature " + std::to_string(f) + " has " +
                                  std::to_string(thresholds[f].size()) +
                                  " distinct split thresholds; at most 65535 are supported");
    }
  }
}

namespace detail {

TreeEnsemblePlan BuildTreeEnsemblePlan(const TreeEnsemble& ensemble) {
  ValidateTreeEnsemble(ensemble);
  const auto depths = ValidateAndMeasure(ensemble);
  const auto distinct = DistinctThresholds(ensemble, depths);
  const std::size_t num_features = ensemble.num_features;

  TreeEnsemblePlan plan;
  plan.num_features = num_features;
  plan.threshold_begin.resize(num_features);
  plan.threshold_count.resize(num_features);
  plan.padded_count.resize(num_features);
  plan.mask_begin.resize(num_features);
  std::size_t mask_next = num_features + 1;
  std::size_t widest = 0;
  for (std::size_t f = 0; f < num_features; ++f) {
    const std::size_t count = distinct[f].size();
    const std::size_t padded = std::bit_ceil(std::max<std::size_t>(count, 1));
    plan.threshold_begin[f] = static_cast<std::uint32_t>(plan.thresholds.size());
    plan.threshold_count[f] = static_cast<std::uint32_t>(count);
    plan.padded_count[f] = static_cast<std::uint32_t>(padded);
    plan.thresholds.insert(plan.thresholds.end(), distinct[f].begin(), distinct[f].end());
    plan.thresholds.resize(plan.thresholds.size() + padded - count, std::nanf(""));
    plan.mask_begin[f] = static_cast<std::uint32_t>(mask_next);
    mask_next += count;
    widest = std::max(widest, count);
  }
  plan.mask_table_size = mask_next;
  plan.wide_bins = widest > 256;  // u8 bins + one float-compared mask cover 256

  for (std::size_t t = 0; t < ensemble.trees.size(); ++t) {
    const Tree& tree = ensemble.trees[t];
    const std::vector<std::int32_t>& depth = depths[t];
    PlanTree compiled;
    compiled.depth = static_cast<std::uint32_t>(MaxDepth(depth));
    compiled.node_begin = static_cast<std::uint32_t>(plan.nodes.size());
    compiled.level_begin = static_cast<std::uint32_t>(plan.level_starts.size());
    compiled.leaf_begin = static_cast<std::uint32_t>(plan.leaf_values.size());
    std::size_t internal = 0;
    for (std::size_t n = 0; n < tree.nodes.size(); ++n) internal += depth[n] >= 0 && !tree.nodes[n].is_leaf();
    compiled.internal = static_cast<std::uint32_t>(internal);
    compiled.bit_planes = compiled.depth <= kMaxBitPlaneDepth && internal < 65535;
    if (!compiled.bit_planes) {
      plan.any_deep_tree = true;
      plan.trees.push_back(compiled);
      continue;
    }
    // Slots level by level (breadth first), with each node's path bits (right = 1).
    struct Pending {
      std::size_t node;
      std::uint32_t path;
    };
    std::vector<Pending> level{{0, 0}};
    std::vector<float> leaves(std::size_t{1} << compiled.depth, 0.0f);
    std::size_t next_slot = 0;
    for (std::uint32_t l = 0; !level.empty(); ++l) {
      std::vector<Pending> next;
      std::size_t child_slot = next_slot;  // slots of this level's internal nodes come first
      for (const Pending& pending : level) child_slot += !tree.nodes[pending.node].is_leaf();
      if (l < compiled.depth) plan.level_starts.push_back(static_cast<std::uint32_t>(next_slot));
      for (const Pending& pending : level) {
        const TreeNode& node = tree.nodes[pending.node];
        if (node.is_leaf()) {
          // The leaf covers the 2^(depth - l) indices of its (absent) subtree.
          const std::size_t shift = compiled.depth - l;
          const std::size_t first = static_cast<std::size_t>(pending.path) << shift;
          std::fill(leaves.begin() + static_cast<std::ptrdiff_t>(first),
                    leaves.begin() + static_cast<std::ptrdiff_t>(first + (std::size_t{1} << shift)),
                    node.value);
          continue;
        }
        const std::vector<float>& values = distinct[node.feature];
        const std::size_t k = static_cast<std::size_t>(
            std::lower_bound(values.begin(), values.end(), node.value) - values.begin());
        PlanNode compiled_node;
        compiled_node.mask = static_cast<std::uint32_t>(plan.mask_begin[node.feature] + k);
        compiled_node.nan = node.default_left ? static_cast<std::uint32_t>(num_features)
                                              : static_cast<std::uint32_t>(node.feature);
        const auto slot_of = [&](std::int32_t child) {
          if (tree.nodes[static_cast<std::size_t>(child)].is_leaf()) return static_cast<std::uint16_t>(internal);
          return static_cast<std::uint16_t>(child_slot++);
        };
        compiled_node.left = slot_of(node.left);
        compiled_node.right = slot_of(node.right);
        plan.nodes.push_back(compiled_node);
        next.push_back({static_cast<std::size_t>(node.left), pending.path << 1});
        next.push_back({static_cast<std::size_t>(node.right), (pending.path << 1) | 1u});
        ++next_slot;
      }
      level = std::move(next);
    }
    plan.level_starts.push_back(static_cast<std::uint32_t>(internal));
    plan.leaf_values.insert(plan.leaf_values.end(), leaves.begin(), leaves.end());
    plan.max_internal = std::max(plan.max_internal, internal);
    plan.trees.push_back(compiled);
  }
  return plan;
}

}  // namespace detail

void PrepareTreeEnsemble(TreeEnsemble& ensemble) {
  ensemble.plan = std::make_shared<const detail::TreeEnsemblePlan>(detail::BuildTreeEnsemblePlan(ensemble));
}

void PredictMarginReference(const TreeEnsemble& ensemble, TreeInputView rows, std::span<float> margin) {
  if (rows.features != ensemble.num_features) {
    throw std::invalid_argument("tree ensemble: the input has " + std::to_string(rows.features) +
                                " features but the model expects " +
                                std::to_string(ensemble.num_features));
  }
  if (margin.size() != rows.rows) throw std::invalid_argument("tree ensemble: margin.size() != rows");
  for (std::size_t i = 0; i < rows.rows; ++i) {
    const float* row = rows.data + i * rows.row_stride;
    float sum = ensemble.base_margin;
    for (const Tree& tree : ensemble.trees) sum += detail::TraverseTree(tree, row, rows.feature_stride);
    margin[i] = sum;
  }
}

void MarginToProbability(MarginTransform transform, std::span<const float> margin,
                         std::span<float> probability) {
  if (margin.size() != probability.size()) {
    throw std::invalid_argument("MarginToProbability: margin and probability sizes differ");
  }
  if (transform == MarginTransform::kIdentity) {
    if (margin.data() != probability.data()) std::copy(margin.begin(), margin.end(), probability.begin());
    return;
  }
  for (std::size_t i = 0; i < margin.size(); ++i) {
    probability[i] = 1.0f / (1.0f + std::exp(-margin[i]));  // XGBoost 1.7 common::Sigmoid
  }
}

TreeEnsembleSummary SummarizeTreeEnsemble(const TreeEnsemble& ensemble) {
  const auto depths = ValidateAndMeasure(ensemble);
  TreeEnsembleSummary summary;
  summary.trees = ensemble.trees.size();
  for (std::size_t t = 0; t < ensemble.trees.size(); ++t) {
    const std::size_t depth = MaxDepth(depths[t]);
    summary.max_depth = std::max(summary.max_depth, depth);
    if (depth > kMaxBitPlaneDepth) ++summary.trees_beyond_bit_planes;
    for (std::size_t n = 0; n < ensemble.trees[t].nodes.size(); ++n) {
      if (depths[t][n] < 0) continue;
      if (ensemble.trees[t].nodes[n].is_leaf()) {
        ++summary.leaves;
      } else {
        ++summary.internal_nodes;
      }
    }
  }
  for (const std::vector<float>& values : DistinctThresholds(ensemble, depths)) {
    summary.distinct_thresholds += values.size();
    summary.max_thresholds_per_feature = std::max(summary.max_thresholds_per_feature, values.size());
  }
  summary.bin_bits = summary.max_thresholds_per_feature > 256 ? 16 : 8;  // as BuildTreeEnsemblePlan
  return summary;
}

}  // namespace crsim::kernels
