// Tree-ensemble (gradient-boosted trees) scorer: XGBoost-compatible inference.
//
// What it computes: for every row i of a rows x features float matrix, the margin
//   margin[i] = (((base_margin + leaf_0(x_i)) + leaf_1(x_i)) + ...) + leaf_{T-1}(x_i)
// added in float, tree by tree in model order, where leaf_t(x) is the value of the leaf that row x
// reaches in tree t: at an internal node on feature f with threshold t, the row goes LEFT iff
// x[f] < t (float compare), and a NaN x[f] (a missing value) goes to the node's default direction.
// These are the semantics of XGBoost 1.7's CPU predictor (src/predictor/cpu_predictor.cc: the
// prediction buffer starts at the base margin and each tree's leaf value is added with `+=` in
// float, tree by tree; GetNextNode: missing -> DefaultChild(), else `fvalue < SplitCond()` ->
// left), so margins are bit-identical to XGBoost's, not merely close (tests/kernels and
// tests/data check this against XGBoost itself). MarginToProbability applies the objective's
// transform: identity, or the logistic sigmoid 1 / (1 + expf(-m)) as XGBoost's PredTransform.
//
// Algorithm of the fast engine (PredictMargin): a bit-parallel, QuickScorer-family evaluation over
// blocks of 64 rows, following
//   - QuickScorer: Lucchese, Nardini, Orlando, Perego, Tonellotto, Venturini, "QuickScorer: a fast
//     algorithm to rank documents with additive ensembles of regression trees", SIGIR 2015
//     (feature-wise threshold tables, bitvectors instead of pointer chasing);
//   - vectorised QuickScorer: Lucchese et al., "Exploiting CPU SIMD extensions to speed-up
//     document scoring with tree ensembles", SIGIR 2016;
//   - RapidScorer: Ye, Zhou, Lu, Liu, Guo, "RapidScorer: fast tree ensemble evaluation by
//     maximizing compactness in data level parallelization", KDD 2018 (bits index ROWS of a
//     block, not leaves: one machine word holds a node's outcome for 64 rows; thresholds are
//     deduplicated per feature and quantised so each distinct threshold is compared once).
// Per block of 64 rows:
//   1. Quantise (once per block, amortised over all trees): for each feature f the model's
//      distinct split thresholds t_0 < ... < t_{T_f - 1} are sorted at prepare time; a value's
//      bin is the number of thresholds <= x, so x >= t_k <=> bin(x) > k exactly. The bin comes
//      from a branchless vectorised binary search: coarse steps with TableLookupLanes over every
//      W-th threshold held in a register, then GatherIndex steps inside the window. Bins are u8
//      when every feature has <= 256 distinct thresholds (XGBoost's hist method with its default
//      max_bin 256 gives that; the 256th threshold's mask comes from a float compare), else u16.
//      NaN compares false everywhere, so its bin is 0; a per-feature NaN row mask is kept apart.
//   2. Threshold masks (once per block): for every (feature, threshold) pair a 64-bit mask of the
//      rows with bin > k ("goes right when not missing"): one SIMD compare of 64 bins per pair
//      (one instruction on AVX3 for u8 bins).
//   3. Per tree: internal nodes are visited level by level; node n holds the 64-bit mask M_n of
//      the block's rows that reach it. R_n = (mask[f, k] | (default_right ? nan[f] : 0)) & M_n
//      goes right, M_left = M_n & ~R_n, M_right = R_n: three integer ops per node for 64 rows, no
//      branch on data. The right-going masks of all nodes at level l are OR-ed into a bit plane
//      P_l; a row's path through the tree is then its bits in P_0 .. P_{D-1}, and the index
//      sum_l P_l[row] << (D - 1 - l) addresses a per-tree table of 2^D leaf values (a leaf at
//      depth d < D fills the 2^(D-d) entries of its subtree, so early leaves need no padding
//      nodes). Per-row indices are built from the planes with LoadMaskBits (u8 lanes up to depth
//      8, u16 beyond); the leaf values come from registers (TableLookupLanes and blends) when the
//      table is at most 4 vectors (depth <= 6 on AVX3), else from GatherIndex, and are added to
//      the rows' margins in tree order.
//   Tiles: the mask tables and node masks of L blocks (L = lanes of a u64 vector: 8 on AVX3, 4 on
//   AVX2) are interleaved, so each node step of 3 is one vector op for L x 64 rows (512 on AVX3),
//   and each tree's compact form (12 bytes per internal node plus its leaf table) is read once per
//   tile.
// The scalar reference (PredictMarginReference) walks each row through each tree node by node:
// the definition the fast engine is tested against, bit for bit, on every compiled SIMD target.
//
// Limits: the fast engine handles trees of depth <= kMaxBitPlaneDepth (12: a 4096-entry leaf
// table) with <= 65535 internal nodes; a tree deeper than that is scored by per-row traversal
// inside the same call (correct, slower; ModelSummary reports how many such trees a model has).
// Features: any count up to 2^31; thresholds per feature: any (u16 bins up to 65535 distinct
// thresholds per feature; more than that is rejected by Validate). Only numerical splits and a
// single output (no multi-class, no categorical splits, no vector leaves): the loader rejects
// other models.
//
// Preconditions (checked, std::invalid_argument, before any row is scored): the ensemble is valid
// (ValidateTreeEnsemble), view.features == ensemble.num_features (a feature-count mismatch is an
// error, never undefined behaviour), margin.size() == view.rows, and every row's features are
// readable at data[i * row_stride + f * feature_stride]. Zero rows: no-op. NaN is a missing value;
// +-infinity compare as ordinary floats.
//
// Parallel driver: PredictMarginParallel scores chunks of `grain` rows with TBB in the caller's
// task arena; every row is scored on its own, so the output is identical, bit for bit, to
// PredictMargin for any thread count and grain.
//
// Usage:
//   TreeEnsemble model = data::LoadXgboostJsonModel("model.json");   // validated and prepared
//   TreeInputView x = ColumnMajorView(features, rows, kNumFeatures, stride);
//   PredictMarginParallel(model, x, margin);
//   MarginToProbability(model, margin, probability);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace crsim::kernels {

inline constexpr std::size_t kMaxBitPlaneDepth = 12;
inline constexpr std::size_t kTreeBlockRows = 64;
// Rows per chunk of PredictMarginParallel: 64 blocks of 64 rows; 1M rows make 244 chunks.
inline constexpr std::size_t kDefaultTreeGrain = 4096;

// How a margin becomes the model's output.
enum class MarginTransform : std::uint8_t {
  kIdentity,  // reg:squarederror, binary:logitraw: the margin is the prediction
  kLogistic,  // binary:logistic, reg:logistic: 1 / (1 + expf(-margin))
};

// One node of a tree. Node 0 is the root. A leaf has left == -1 (and right == -1) and its value in
// `value`; an internal node splits on `feature` at threshold `value` (go left iff x < value).
struct TreeNode {
  std::int32_t left = -1;
  std::int32_t right = -1;
  std::uint32_t feature = 0;
  float value = 0.0f;          // threshold (internal) or leaf value (leaf)
  bool default_left = false;   // direction of a NaN (missing) value
  bool is_leaf() const { return left < 0; }
};

struct Tree {
  std::vector<TreeNode> nodes;
};

namespace detail {
struct TreeEnsemblePlan;  // the fast engine's compiled form (tree_ensemble_plan.h)
}

// crsim's compact form of a single-output tree ensemble.
struct TreeEnsemble {
  std::vector<Tree> trees;
  std::size_t num_features = 0;
  float base_margin = 0.0f;  // already on the margin scale (logit(base_score) for logistic)
  MarginTransform transform = MarginTransform::kIdentity;
  std::string objective;     // as named by the model, e.g. "binary:logistic" (informational)
  // Built by PrepareTreeEnsemble; when absent, each fast call builds a temporary one. Must be
  // rebuilt (PrepareTreeEnsemble again) after the trees change.
  std::shared_ptr<const detail::TreeEnsemblePlan> plan;
};

// Throws std::invalid_argument naming the tree and node when: a child index is out of range, a
// node is reached twice (cycle or shared subtree), a node has exactly one child, a feature index is
// >= num_features, a threshold is NaN, a feature has more than 65535 distinct thresholds, or
// num_features is 0 while a tree splits. Unreachable nodes are ignored.
void ValidateTreeEnsemble(const TreeEnsemble& ensemble);
// The structural checks of one tree ("node N: ..." messages, without the tree number).
void ValidateTree(const Tree& tree, std::size_t num_features);

// Validates and builds the fast engine's plan (threshold tables, per-tree bit-plane form).
void PrepareTreeEnsemble(TreeEnsemble& ensemble);

// Rows x features floats with arbitrary strides: feature f of row i is
// data[i * row_stride + f * feature_stride].
struct TreeInputView {
  const float* data = nullptr;
  std::size_t rows = 0;
  std::size_t features = 0;
  std::size_t row_stride = 0;
  std::size_t feature_stride = 0;
};

// Column-major (the feature-matrix kernel's layout): feature f of row i at data[f * stride + i].
inline TreeInputView ColumnMajorView(const float* data, std::size_t rows, std::size_t features,
                                     std::size_t stride) {
  return TreeInputView{data, rows, features, 1, stride};
}
// Row-major (as given to XGBoost): feature f of row i at data[i * features + f].
inline TreeInputView RowMajorView(const float* data, std::size_t rows, std::size_t features) {
  return TreeInputView{data, rows, features, features, 1};
}

// Plain scalar reference: per-row, per-tree traversal.
void PredictMarginReference(const TreeEnsemble& ensemble, TreeInputView rows,
                            std::span<float> margin);

// Fast engine (see above), dispatched at run time to the best SIMD target this CPU supports.
void PredictMargin(const TreeEnsemble& ensemble, TreeInputView rows, std::span<float> margin);

// PredictMargin over chunks of `grain` (>= 1) rows, in parallel with tbb::parallel_for in the
// caller's task arena. Identical output to PredictMargin for any thread count and grain.
void PredictMarginParallel(const TreeEnsemble& ensemble, TreeInputView rows,
                           std::span<float> margin, std::size_t grain = kDefaultTreeGrain);

// probability[i] = transform(margin[i]) (XGBoost's PredTransform: identity, or
// 1.0f / (1.0f + expf(-m))). The spans may be the same memory. Sizes must match.
void MarginToProbability(MarginTransform transform, std::span<const float> margin,
                         std::span<float> probability);
inline void MarginToProbability(const TreeEnsemble& ensemble, std::span<const float> margin,
                                std::span<float> probability) {
  MarginToProbability(ensemble.transform, margin, probability);
}

// What `crsim model-info` prints.
struct TreeEnsembleSummary {
  std::size_t trees = 0;
  std::size_t max_depth = 0;          // edges from root to the deepest leaf
  std::size_t leaves = 0;             // over all trees
  std::size_t internal_nodes = 0;
  std::size_t distinct_thresholds = 0;       // over all features
  std::size_t max_thresholds_per_feature = 0;
  std::size_t bin_bits = 8;           // 8 or 16: the fast engine's bin width
  std::size_t trees_beyond_bit_planes = 0;   // depth > kMaxBitPlaneDepth: per-row traversal
};
TreeEnsembleSummary SummarizeTreeEnsemble(const TreeEnsemble& ensemble);

}  // namespace crsim::kernels
