// The fast tree-ensemble engine's compiled form (see crsim/kernels/tree_ensemble.h for the
// algorithm). Built once per model by BuildTreeEnsemblePlan, read by every target's code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crsim/kernels/tree_ensemble.h"

namespace crsim::kernels::detail {

// One internal node in bit-plane form. `mask` and `nan` index the per-block mask table:
// table[mask] = rows whose (non-missing) value goes right at this node's threshold, table[nan] =
// the feature's NaN rows when the node sends missing values right, else the table's zero entry.
// left/right are the children's slots in the tree's internal-node order (level by level); a leaf
// child points at the scratch slot `internal` (written, never read).
struct PlanNode {
  std::uint32_t mask;
  std::uint32_t nan;
  std::uint16_t left;
  std::uint16_t right;
};

struct PlanTree {
  bool bit_planes = true;       // false: deeper than kMaxBitPlaneDepth, scored per row
  std::uint32_t depth = 0;      // levels of internal nodes (0: a single leaf)
  std::uint32_t internal = 0;   // internal nodes (slots 0 .. internal - 1)
  std::uint32_t node_begin = 0;   // into TreeEnsemblePlan::nodes
  std::uint32_t level_begin = 0;  // into TreeEnsemblePlan::level_starts (depth + 1 entries)
  std::uint32_t leaf_begin = 0;   // into TreeEnsemblePlan::leaf_values (2^depth entries)
};

struct TreeEnsemblePlan {
  std::size_t num_features = 0;
  // Per feature f: its distinct thresholds sorted ascending at thresholds[threshold_begin[f] ..],
  // threshold_count[f] of them, padded with NaN to padded_count[f] (a power of two, >= 1) entries
  // for the branchless binary search (NaN <= x is false, so padding never counts).
  std::vector<float> thresholds;
  std::vector<std::uint32_t> threshold_begin;
  std::vector<std::uint32_t> threshold_count;
  std::vector<std::uint32_t> padded_count;
  // Mask table of one block: entries 0 .. F-1 are the features' NaN row masks, entry F is zero,
  // then feature f's threshold masks start at mask_begin[f] (one per distinct threshold).
  std::vector<std::uint32_t> mask_begin;
  std::size_t mask_table_size = 0;
  bool wide_bins = false;  // u16 bins (some feature has > 255 distinct thresholds)
  std::vector<PlanTree> trees;
  std::vector<PlanNode> nodes;
  std::vector<std::uint32_t> level_starts;  // per tree: slot where each level begins, then `internal`
  std::vector<float> leaf_values;
  std::size_t max_internal = 0;   // over bit-plane trees: size of the per-block mask scratch - 1
  bool any_deep_tree = false;
};

// Builds the plan of a valid ensemble (ValidateTreeEnsemble is called first).
TreeEnsemblePlan BuildTreeEnsemblePlan(const TreeEnsemble& ensemble);

// Leaf value of `row` in `tree` by node-by-node traversal (the reference's definition).
inline float TraverseTree(const Tree& tree, const float* row, std::size_t feature_stride) {
  std::size_t node = 0;
  while (!tree.nodes[node].is_leaf()) {
    const TreeNode& split = tree.nodes[node];
    const float value = row[split.feature * feature_stride];
    bool go_left;
    if (value != value) {
      go_left = split.default_left;
    } else {
      go_left = value < split.value;
    }
    node = static_cast<std::size_t>(go_left ? split.left : split.right);
  }
  return tree.nodes[node].value;
}

}  // namespace crsim::kernels::detail
