// Per-target SIMD code of the tree-ensemble engine (see crsim/kernels/tree_ensemble.h for the
// algorithm and tree_ensemble_plan.h for the compiled form).
//
// SIMD is used where the work is per row: the binary search that quantises a feature's 64 values
// (GatherIndex into the feature's sorted thresholds, one lane per row), the threshold masks (one
// compare of 64 bins per distinct threshold: a single instruction on AVX3 for u8 bins, then
// StoreMaskBits gives the 64-bit row mask), and the leaf lookup (bit planes -> per-row leaf index
// with LoadMaskBits, then GatherIndex into the tree's leaf table and an Add per vector of rows).
// The per-node work is on 64-bit integers, the same on every target.
//
// Include guard for per-target code: re-included once per target by foreach_target.h.
#if defined(CRSIM_KERNELS_TREE_ENSEMBLE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_TREE_ENSEMBLE_INL_H_
#undef CRSIM_KERNELS_TREE_ENSEMBLE_INL_H_
#else
#define CRSIM_KERNELS_TREE_ENSEMBLE_INL_H_
#endif

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <hwy/aligned_allocator.h>
#include <hwy/highway.h>

#include "crsim/kernels/tree_ensemble.h"
#include "tree_ensemble_plan.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

static_assert(std::endian::native == std::endian::little,
              "row masks are read as bytes by LoadMaskBits / written by StoreMaskBits");

// Tiles: a tile is L blocks of 64 rows, L = the lanes of a u64 vector (8 on AVX3, 4 on AVX2, 2 on
// SSE4, 1 on SCALAR). The mask tables and the per-node row masks of the tile's blocks are stored
// interleaved (entry e of block b at [e * L + b]), so one node visit is one vector op for all L
// blocks: 512 rows per AND/ANDN/OR on AVX3. Each tree's compact form is thereby read once per
// tile, and the per-node cost per row falls by L.
inline std::size_t TileBlocks() { return hn::Lanes(hn::ScalableTag<std::uint64_t>()); }

// Per-call scratch (allocated once per call or per parallel chunk, never per row).
struct TreeScratch {
  std::vector<float> block_values;                      // [features][64], one block, column-major
  std::vector<float> pivots;                            // [features][lanes of f32]: every W-th threshold
  hwy::AlignedFreeUniquePtr<std::uint64_t[]> tables;     // [mask_table_size][L]
  hwy::AlignedFreeUniquePtr<std::uint64_t[]> row_masks;  // [max_internal + 1][L]
  hwy::AlignedFreeUniquePtr<std::uint64_t[]> planes;     // [kMaxBitPlaneDepth][L]
  hwy::AlignedFreeUniquePtr<float[]> margins;            // [L][64]
  std::size_t tables_capacity = 0, row_masks_capacity = 0, planes_capacity = 0, margins_capacity = 0;
  HWY_ALIGN std::uint8_t bins8[kTreeBlockRows];
  HWY_ALIGN std::uint16_t bins16[kTreeBlockRows];
  HWY_ALIGN std::uint16_t leaf_index[kTreeBlockRows * HWY_MAX_BYTES / 8];
  HWY_ALIGN std::uint8_t leaf_index8[kTreeBlockRows * HWY_MAX_BYTES / 8];
};

// 64-bit mask of the lanes of `bins` (64 entries) that are > k.
template <class TBin>
HWY_INLINE std::uint64_t BinsAbove(const TBin* HWY_RESTRICT bins, TBin k) {
  const hn::ScalableTag<TBin> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto threshold = hn::Set(d, k);
  std::uint64_t bits = 0;
  for (std::size_t g = 0; g < kTreeBlockRows; g += lanes) {
    std::uint64_t chunk = 0;
    hn::StoreMaskBits(d, hn::Gt(hn::Load(d, bins + g), threshold), reinterpret_cast<std::uint8_t*>(&chunk));
    bits |= chunk << g;
  }
  return bits;
}

// Quantises one block (64 rows of every feature, column-major in `values`) and fills its column of
// the tile's mask table (entries at [e * stride]): NaN masks, the zero entry, one mask per
// (feature, distinct threshold).
template <class TBin>
HWY_INLINE void FillMaskTable(const detail::TreeEnsemblePlan& plan, const float* HWY_RESTRICT pivots,
                              const float* HWY_RESTRICT values, TBin* HWY_RESTRICT bins,
                              std::uint64_t* HWY_RESTRICT table, std::size_t stride) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<TBin, decltype(di)> dbin;
  const std::size_t lanes = hn::Lanes(df);
  // Bins saturate at the largest TBin; a feature with exactly that many + 1 thresholds (256 for
  // u8: XGBoost's default max_bin) gets its last mask from a float compare instead.
  constexpr std::uint32_t kBinLimit = static_cast<std::uint32_t>(TBin(~TBin{0}));
  table[plan.num_features * stride] = 0;
  for (std::size_t f = 0; f < plan.num_features; ++f) {
    const float* x = values + f * kTreeBlockRows;
    const float* thresholds = plan.thresholds.data() + plan.threshold_begin[f];
    const std::uint32_t count = plan.threshold_count[f];
    const std::uint32_t padded = plan.padded_count[f];
    const bool coarse = lanes >= 4 && padded >= 2 * lanes;
    std::uint64_t nan_bits = 0;
    std::uint64_t last_bits = 0;
    for (std::size_t g = 0; g < kTreeBlockRows; g += lanes) {
      const auto v = hn::LoadU(df, x + g);
      std::uint64_t chunk = 0;
      // IsNaN, not Ne(v, v): Highway's Ne is an ordered compare (false for NaN) on x86.
      hn::StoreMaskBits(df, hn::IsNaN(v), reinterpret_cast<std::uint8_t*>(&chunk));
      nan_bits |= chunk << g;
      if (count == 0) continue;
      // bin = number of thresholds <= x (NaN padding and NaN x compare false): branchless binary
      // search. Coarse steps first, without memory: `pivots` holds every W-th threshold
      // (W = padded / lanes), so TableLookupLanes finds the window of W thresholds holding the
      // answer; then GatherIndex halving steps inside it (5 gathers instead of 9 for 256
      // thresholds on AVX3). After the halving steps the answer is pos or pos + 1.
      auto pos = hn::Zero(di);
      std::uint32_t window = padded;
      if (coarse) {
        const auto pivot_vector = hn::LoadU(df, pivots + f * lanes);
        auto q = hn::Zero(di);
        for (std::size_t half = lanes / 2; half > 0; half /= 2) {
          const auto probe = hn::TableLookupLanes(
              pivot_vector, hn::IndicesFromVec(df, hn::Add(q, hn::Set(di, static_cast<std::int32_t>(half - 1)))));
          q = hn::IfThenElse(hn::RebindMask(di, hn::Le(probe, v)), hn::Add(q, hn::Set(di, static_cast<std::int32_t>(half))), q);
        }
        const auto probe = hn::TableLookupLanes(pivot_vector, hn::IndicesFromVec(df, q));
        q = hn::IfThenElse(hn::RebindMask(di, hn::Le(probe, v)), hn::Add(q, hn::Set(di, 1)), q);
        window = padded / static_cast<std::uint32_t>(lanes);
        pos = hn::Mul(q, hn::Set(di, static_cast<std::int32_t>(window)));
      }
      for (std::uint32_t half = window / 2; half > 0; half /= 2) {
        const auto probe = hn::Add(pos, hn::Set(di, static_cast<std::int32_t>(half - 1)));
        const auto below = hn::RebindMask(di, hn::Le(hn::GatherIndex(df, thresholds, probe), v));
        pos = hn::IfThenElse(below, hn::Add(pos, hn::Set(di, static_cast<std::int32_t>(half))), pos);
      }
      const auto last = hn::RebindMask(di, hn::Le(hn::GatherIndex(df, thresholds, pos), v));
      pos = hn::IfThenElse(last, hn::Add(pos, hn::Set(di, 1)), pos);
      hn::StoreU(hn::DemoteTo(dbin, pos), dbin, bins + g);  // saturating
      if (count > kBinLimit) {
        chunk = 0;
        hn::StoreMaskBits(df, hn::Ge(v, hn::Set(df, thresholds[kBinLimit])), reinterpret_cast<std::uint8_t*>(&chunk));
        last_bits |= chunk << g;
      }
    }
    table[f * stride] = nan_bits;
    std::uint64_t* masks = table + plan.mask_begin[f] * stride;
    const std::uint32_t from_bins = std::min(count, kBinLimit);
    for (std::uint32_t k = 0; k < from_bins; ++k) masks[k * stride] = BinsAbove(bins, static_cast<TBin>(k));
    if (count > kBinLimit) masks[kBinLimit * stride] = last_bits;
  }
}

// Per-row leaf indices of one block from its bit planes (planes[l * stride]), in TIndex lanes.
template <class TIndex>
HWY_INLINE void LeafIndices(const std::uint64_t* HWY_RESTRICT planes, std::size_t stride, std::uint32_t depth,
                            TIndex* HWY_RESTRICT index) {
  const hn::ScalableTag<TIndex> d;
  const std::size_t lanes = hn::Lanes(d);
  for (std::size_t g = 0; g < kTreeBlockRows; g += lanes) {
    auto sum = hn::Zero(d);
    for (std::uint32_t l = 0; l < depth; ++l) {
      const std::uint64_t bits = planes[l * stride] >> g;
      const auto right = hn::LoadMaskBits(d, reinterpret_cast<const std::uint8_t*>(&bits));
      sum = hn::Or(sum, hn::IfThenElseZero(right, hn::Set(d, static_cast<TIndex>(1u << (depth - 1 - l)))));
    }
    hn::Store(sum, d, index + g);
  }
}

// margins[0..count) += leaf_values[index[i]] (count a multiple of 64).
template <class TIndex>
HWY_INLINE void AddLeafValues(const float* HWY_RESTRICT leaf_values, const TIndex* HWY_RESTRICT index,
                              std::size_t count, float* HWY_RESTRICT margins) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<TIndex, decltype(di)> dindex;
  const std::size_t lanes = hn::Lanes(df);
  for (std::size_t g = 0; g < count; g += lanes) {
    const auto offsets = hn::BitCast(di, hn::PromoteTo(hn::RebindToUnsigned<decltype(di)>(), hn::LoadU(dindex, index + g)));
    hn::Store(hn::Add(hn::Load(df, margins + g), hn::GatherIndex(df, leaf_values, offsets)), df, margins + g);
  }
}

// margins[0..count) += leaf_values[index[i]] for a leaf table of at most 4 vectors (64 floats on
// AVX3): TableLookupLanes from registers and blends on the high index bits instead of a gather.
// Measured on the target machine (AVX3, 200 trees of depth 6): gathers took about a quarter of the
// time; see bench/RESULTS.md.
HWY_INLINE void AddLeafValuesFromRegisters(const float* HWY_RESTRICT leaf_values, std::uint32_t depth,
                                           const std::uint8_t* HWY_RESTRICT index, std::size_t count,
                                           float* HWY_RESTRICT margins) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<std::uint8_t, decltype(di)> d8;
  const std::size_t lanes = hn::Lanes(df);
  const std::size_t vectors = (std::size_t{1} << depth) <= lanes ? 1 : (std::size_t{1} << depth) / lanes;
  // Tables shorter than a vector are repeated to fill it (the index never exceeds the table).
  HWY_ALIGN float table[4 * HWY_MAX_BYTES / sizeof(float)] = {};
  for (std::size_t i = 0; i < vectors * lanes; ++i) table[i] = leaf_values[i & ((std::size_t{1} << depth) - 1)];
  const auto t0 = hn::Load(df, table);
  const auto t1 = vectors > 1 ? hn::Load(df, table + lanes) : t0;
  const auto t2 = vectors > 2 ? hn::Load(df, table + 2 * lanes) : t0;
  const auto t3 = vectors > 2 ? hn::Load(df, table + 3 * lanes) : t1;
  const auto low_mask = hn::Set(di, static_cast<std::int32_t>(lanes - 1));
  const auto bit_one = hn::Set(di, static_cast<std::int32_t>(lanes));
  const auto bit_two = hn::Set(di, static_cast<std::int32_t>(2 * lanes));
  for (std::size_t g = 0; g < count; g += lanes) {
    const auto offsets = hn::BitCast(di, hn::PromoteTo(hn::RebindToUnsigned<decltype(di)>(), hn::LoadU(d8, index + g)));
    const auto lane = hn::IndicesFromVec(df, hn::And(offsets, low_mask));
    auto value = hn::TableLookupLanes(t0, lane);
    if (vectors > 1) {
      const auto second = hn::RebindMask(df, hn::TestBit(offsets, bit_one));
      value = hn::IfThenElse(second, hn::TableLookupLanes(t1, lane), value);
      if (vectors > 2) {
        const auto upper = hn::IfThenElse(second, hn::TableLookupLanes(t3, lane), hn::TableLookupLanes(t2, lane));
        value = hn::IfThenElse(hn::RebindMask(df, hn::TestBit(offsets, bit_two)), upper, value);
      }
    }
    hn::Store(hn::Add(hn::Load(df, margins + g), value), df, margins + g);
  }
}

// Adds one bit-plane tree's leaf values to the margins of the tile's `blocks` blocks.
HWY_INLINE void AddTreeToTile(const detail::TreeEnsemblePlan& plan, const detail::PlanTree& tree,
                              const std::uint64_t* HWY_RESTRICT valid, std::size_t blocks, TreeScratch& scratch) {
  const hn::ScalableTag<std::uint64_t> d64;
  const hn::ScalableTag<float> df;
  const std::size_t stride = hn::Lanes(d64);
  float* HWY_RESTRICT margins = scratch.margins.get();
  const float* leaf_values = plan.leaf_values.data() + tree.leaf_begin;
  if (tree.depth == 0) {
    const auto value = hn::Set(df, leaf_values[0]);
    for (std::size_t i = 0; i < blocks * kTreeBlockRows; i += hn::Lanes(df)) {
      hn::Store(hn::Add(hn::Load(df, margins + i), value), df, margins + i);
    }
    return;
  }
  // Masks down the tree, level by level, all blocks at once; plane l = rows going right at level l.
  const std::uint64_t* HWY_RESTRICT table = scratch.tables.get();
  std::uint64_t* HWY_RESTRICT reach_masks = scratch.row_masks.get();
  std::uint64_t* HWY_RESTRICT planes = scratch.planes.get();
  const detail::PlanNode* nodes = plan.nodes.data() + tree.node_begin;
  const std::uint32_t* level_starts = plan.level_starts.data() + tree.level_begin;
  hn::Store(hn::Load(d64, valid), d64, reach_masks);
  for (std::uint32_t l = 0; l < tree.depth; ++l) {
    auto plane = hn::Zero(d64);
    const std::uint32_t end = level_starts[l + 1];
    for (std::uint32_t s = level_starts[l]; s < end; ++s) {
      const detail::PlanNode node = nodes[s];
      const auto reach = hn::Load(d64, reach_masks + s * stride);
      const auto right = hn::And(hn::Or(hn::Load(d64, table + node.mask * stride),
                                        hn::Load(d64, table + node.nan * stride)), reach);
      plane = hn::Or(plane, right);
      hn::Store(hn::AndNot(right, reach), d64, reach_masks + node.left * stride);
      hn::Store(right, d64, reach_masks + node.right * stride);
    }
    hn::Store(plane, d64, planes + l * stride);
  }
  // All blocks' indices first, then one flat run of independent gathers (overlaps their latency).
  if (tree.depth <= 8) {
    for (std::size_t b = 0; b < blocks; ++b) LeafIndices(planes + b, stride, tree.depth, scratch.leaf_index8 + b * kTreeBlockRows);
    if ((std::size_t{1} << tree.depth) <= 4 * hn::Lanes(df)) {
      AddLeafValuesFromRegisters(leaf_values, tree.depth, scratch.leaf_index8, blocks * kTreeBlockRows, margins);
    } else {
      AddLeafValues(leaf_values, scratch.leaf_index8, blocks * kTreeBlockRows, margins);
    }
  } else {
    for (std::size_t b = 0; b < blocks; ++b) LeafIndices(planes + b, stride, tree.depth, scratch.leaf_index + b * kTreeBlockRows);
    AddLeafValues(leaf_values, scratch.leaf_index, blocks * kTreeBlockRows, margins);
  }
}

// Copies rows [begin, begin + count) (count <= 64) into a column-major [features][64] block, zero
// padded.
HWY_INLINE void LoadBlock(const TreeInputView& view, std::size_t begin, std::size_t count,
                          float* HWY_RESTRICT values) {
  for (std::size_t f = 0; f < view.features; ++f) {
    float* column = values + f * kTreeBlockRows;
    const float* source = view.data + begin * view.row_stride + f * view.feature_stride;
    if (view.row_stride == 1) {
      std::memcpy(column, source, count * sizeof(float));
    } else {
      for (std::size_t i = 0; i < count; ++i) column[i] = source[i * view.row_stride];
    }
    std::fill(column + count, column + kTreeBlockRows, 0.0f);
  }
}

inline void AllocateScratch(const detail::TreeEnsemblePlan& plan, TreeScratch& scratch) {
  const std::size_t lanes = TileBlocks();
  const auto grow = [](auto& buffer, std::size_t& capacity, std::size_t size) {
    if (capacity >= size) return;
    using Element = std::remove_extent_t<typename std::remove_reference_t<decltype(buffer)>::element_type>;
    buffer = hwy::AllocateAligned<Element>(size);
    // Zeroed once: the lanes of blocks past the end of the rows keep whatever an earlier tile left
    // (always initialised); their row masks are 0, so it never reaches a margin.
    std::fill(buffer.get(), buffer.get() + size, Element{});
    capacity = size;
  };
  grow(scratch.tables, scratch.tables_capacity, plan.mask_table_size * lanes);
  grow(scratch.row_masks, scratch.row_masks_capacity, (plan.max_internal + 1) * lanes);
  grow(scratch.planes, scratch.planes_capacity, kMaxBitPlaneDepth * lanes);
  grow(scratch.margins, scratch.margins_capacity, lanes * kTreeBlockRows);
  scratch.block_values.resize(plan.num_features * kTreeBlockRows);
  // Pivots of the coarse search: pivot j = threshold (j + 1) W - 1, W = padded / N; the last is NaN
  // (never <= x).
  const std::size_t float_lanes = hn::Lanes(hn::ScalableTag<float>());
  scratch.pivots.assign(plan.num_features * float_lanes, std::numeric_limits<float>::quiet_NaN());
  for (std::size_t f = 0; f < plan.num_features; ++f) {
    const std::size_t window = plan.padded_count[f] / float_lanes;
    if (window == 0) continue;
    for (std::size_t j = 0; j + 1 < float_lanes; ++j) {
      scratch.pivots[f * float_lanes + j] = plan.thresholds[plan.threshold_begin[f] + (j + 1) * window - 1];
    }
  }
}

// Scores rows [begin, begin + count) of `view` into margin[begin ..].
template <class TBin>
HWY_INLINE void PredictRows(const TreeEnsemble& ensemble, const detail::TreeEnsemblePlan& plan,
                            const TreeInputView& view, std::size_t begin, std::size_t count,
                            float* HWY_RESTRICT margin, TreeScratch& scratch) {
  TBin* bins;
  if constexpr (sizeof(TBin) == 1) {
    bins = scratch.bins8;
  } else {
    bins = scratch.bins16;
  }
  const std::size_t lanes = TileBlocks();
  const std::size_t tile_capacity = lanes * kTreeBlockRows;
  HWY_ALIGN std::uint64_t valid[HWY_MAX_BYTES / sizeof(std::uint64_t)];
  for (std::size_t tile = 0; tile < count; tile += tile_capacity) {
    const std::size_t tile_rows = std::min(tile_capacity, count - tile);
    const std::size_t blocks = (tile_rows + kTreeBlockRows - 1) / kTreeBlockRows;
    for (std::size_t b = 0; b < lanes; ++b) {
      // Blocks past the end of the rows are masked out (valid = 0) and not quantised.
      const std::size_t first = b * kTreeBlockRows;
      const std::size_t rows = first < tile_rows ? std::min(kTreeBlockRows, tile_rows - first) : 0;
      valid[b] = rows == kTreeBlockRows ? ~std::uint64_t{0} : (std::uint64_t{1} << rows) - 1;
      if (rows == 0) continue;
      LoadBlock(view, begin + tile + first, rows, scratch.block_values.data());
      FillMaskTable<TBin>(plan, scratch.pivots.data(), scratch.block_values.data(), bins, scratch.tables.get() + b, lanes);
    }
    std::fill(scratch.margins.get(), scratch.margins.get() + tile_capacity, ensemble.base_margin);
    for (std::size_t t = 0; t < plan.trees.size(); ++t) {
      const detail::PlanTree& tree = plan.trees[t];
      if (tree.bit_planes) {
        AddTreeToTile(plan, tree, valid, blocks, scratch);
      } else {  // deeper than the bit planes allow: per-row traversal
        for (std::size_t i = 0; i < tile_rows; ++i) {
          const float* row = view.data + (begin + tile + i) * view.row_stride;
          scratch.margins[i] += detail::TraverseTree(ensemble.trees[t], row, view.feature_stride);
        }
      }
    }
    std::memcpy(margin + begin + tile, scratch.margins.get(), tile_rows * sizeof(float));
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
