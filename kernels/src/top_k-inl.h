// Per-target SIMD code of the top-k selection (see crsim/kernels/top_k.h for the algorithm): the
// filter pass, which writes the indices of the rows whose key reaches their group's lower bound.
//
// Vector algorithm, one vector of N rows (N = lanes of u32: 16 on AVX3, 8 on AVX2, 4 on SSE4/SSSE3,
// 1 on SCALAR); the output is the (row, key, group) of every passing row, in row order:
//   1. key = order-preserving u32 of the priority, lane-parallel, exactly TopKOrderedKey:
//      bits of (p == 0 ? +0.0 : p); key = bits ^ (sign-broadcast(bits) | 0x80000000); NaN -> 0.
//   2. bound = lower_bound[group]: with up to 4 vectors of groups (64 on AVX3, 32 on AVX2, 16 on
//      SSE4, 4 on SCALAR) from tables held in registers (one TableLookupLanes per table on the low
//      index bits, blended by index range); beyond that by GatherIndex from the table in memory,
//      after a cheap test against the smallest bound of all groups that skips most vectors.
//      Measured on Zen 4 (perf, 16M rows, 20 groups, one thread): with the gather the pass took
//      about 17 ms of CPU and the gather was its hottest instruction (37% of the samples); with the
//      in-register lookup (4 instructions for 20 groups) about 10 ms.
//      eligible = (selected == 0).
//   3. pass = eligible && !(key < bound). Compress the row indices, keys and groups of the passing
//      lanes to the front and store the three whole vectors at the output cursor; the cursor
//      advances by CountTrue. The lanes stored past the count are overwritten by the next store or
//      ignored, so the output needs `lanes` free entries before every store: when it has fewer,
//      the call returns kFilterOverflow and the caller filters the chunk again with room for every
//      row (the tail goes through a stack buffer and copies exactly the passing entries).
//      Branch-free in the in-register case: at 1% capacity about 30% of the vectors have a passing
//      lane, an unpredictable branch; storing the (usually empty) result every time is cheaper
//      (measured: 14 ms of CPU per 16M-row call branch-free, 23 ms with the pre-test and AllFalse
//      branches of the gather path, same inputs, one thread).
// Why Compress + StoreU, not CompressStore: in Highway 1.0.3 CompressStore on AVX3 is the
// vpcompressd-to-memory instruction, which is microcoded and slow on Zen 4 (the machine here);
// the register form is fast.
// Tail (count % N rows): the inputs are copied into stack buffers of one full vector (priority 0,
// group 0, selected 1: never passes) and the pass mask is ANDed with FirstN; see risk_rules-inl.h for why
// not MaskedLoad (it reads a whole, aligned vector on several targets in Highway 1.0.3).
//
// Include guard for per-target code: re-included once per target by foreach_target.h.
#if defined(CRSIM_KERNELS_TOP_K_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_TOP_K_INL_H_
#undef CRSIM_KERNELS_TOP_K_INL_H_
#else
#define CRSIM_KERNELS_TOP_K_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// Order-preserving keys of a vector of priorities (same values as TopKOrderedKey).
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> OrderedKeys(DF df, hn::Vec<DF> priority) {
  const hn::RebindToUnsigned<DF> du;
  const hn::RebindToSigned<DF> di;
  // -0.0 == +0.0: both become the bits of +0.0.
  const auto bits = hn::IfThenZeroElse(hn::RebindMask(du, hn::Eq(priority, hn::Zero(df))),
                                       hn::BitCast(du, priority));
  const auto sign = hn::BitCast(du, hn::BroadcastSignBit(hn::BitCast(di, bits)));
  const auto key = hn::Xor(bits, hn::Or(sign, hn::Set(du, 0x80000000u)));
  return hn::IfThenZeroElse(hn::RebindMask(du, hn::IsNaN(priority)), key);
}

// Per-group bound of every lane, two ways (see the file comment).
// In-register: the bounds are at most kTables vectors; lane j of table t is the bound of group
// t * N + j. One TableLookupLanes per table on the low index bits, then a blend by index range.
template <class DU, std::size_t kTables>
struct RegisterBounds {
  static_assert(kTables >= 1 && kTables <= 4);
  hn::Vec<DU> table0, table1, table2, table3;

  // `padded` has kTables * Lanes(du) entries.
  HWY_INLINE RegisterBounds(DU du, const std::uint32_t* HWY_RESTRICT padded)
      : table0(hn::LoadU(du, padded)),
        table1(kTables > 1 ? hn::LoadU(du, padded + 1 * hn::Lanes(du)) : table0),
        table2(kTables > 2 ? hn::LoadU(du, padded + 2 * hn::Lanes(du)) : table0),
        table3(kTables > 3 ? hn::LoadU(du, padded + 3 * hn::Lanes(du)) : table0) {}

  HWY_INLINE hn::Vec<DU> operator()(DU du, hn::Vec<DU> group_index) const {
    const hn::RebindToSigned<DU> di;
    const std::size_t lanes = hn::Lanes(du);
    const auto lane = hn::IndicesFromVec(
        du, hn::BitCast(di, hn::And(group_index, hn::Set(du, static_cast<std::uint32_t>(lanes - 1)))));
    auto bound = hn::TableLookupLanes(table0, lane);
    if constexpr (kTables > 1) {
      bound = hn::IfThenElse(hn::Gt(group_index, hn::Set(du, static_cast<std::uint32_t>(lanes - 1))),
                             hn::TableLookupLanes(table1, lane), bound);
    }
    if constexpr (kTables > 2) {
      bound = hn::IfThenElse(hn::Gt(group_index, hn::Set(du, static_cast<std::uint32_t>(2 * lanes - 1))),
                             hn::TableLookupLanes(table2, lane), bound);
    }
    if constexpr (kTables > 3) {
      bound = hn::IfThenElse(hn::Gt(group_index, hn::Set(du, static_cast<std::uint32_t>(3 * lanes - 1))),
                             hn::TableLookupLanes(table3, lane), bound);
    }
    return bound;
  }
  // No branch on the outcome (see the file comment for the measurement).
  static constexpr bool kPretest = false;
};

// Gathered from memory: any number of groups.
template <class DU>
struct GatheredBounds {
  const std::uint32_t* HWY_RESTRICT table;
  HWY_INLINE hn::Vec<DU> operator()(DU du, hn::Vec<DU> group_index) const {
    const hn::RebindToSigned<DU> di;
    return hn::GatherIndex(du, table, hn::BitCast(di, group_index));
  }
  // A gather is slow on Zen 4 (see the file comment): test against the smallest bound first.
  static constexpr bool kPretest = true;
};

// Where the candidates of a filter call go: three parallel arrays with room for `capacity` entries.
struct CandidateOutput {
  std::uint32_t* HWY_RESTRICT row;
  std::uint32_t* HWY_RESTRICT key;
  std::uint32_t* HWY_RESTRICT group;
  std::size_t capacity;
};

// Returned by the filter when the candidates of the chunk do not fit in the output's capacity.
inline constexpr std::size_t kFilterOverflow = ~std::size_t{0};

// Writes the row index (first_row + i), key and group of every row i in [0, count) that is not
// selected and whose key is >= the bound of group[i], in increasing row order; returns how many, or
// kFilterOverflow if they may not fit in out.capacity (the output is then garbage). min_bound is the
// smallest bound of all groups. Pointers may be misaligned.
template <class DU, class Bounds>
HWY_INLINE std::size_t FilterCandidatesSpan(DU du, const Bounds& bounds, std::uint32_t min_bound,
                                            const float* HWY_RESTRICT priority,
                                            const std::uint16_t* HWY_RESTRICT group,
                                            const std::uint8_t* HWY_RESTRICT selected, std::size_t count,
                                            std::uint32_t first_row, const CandidateOutput& out) {
  const hn::RebindToFloat<DU> df;
  const hn::Rebind<std::uint8_t, DU> du8;
  const hn::Rebind<std::uint16_t, DU> du16;
  const std::size_t lanes = hn::Lanes(du);
  const auto min_bound_vector = hn::Set(du, min_bound);

  auto row = hn::Iota(du, first_row);
  const auto step = hn::Set(du, static_cast<std::uint32_t>(lanes));
  std::size_t written = 0;
  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes, row = hn::Add(row, step)) {
      const auto key = OrderedKeys(df, hn::LoadU(df, priority + i));
      const auto eligible = hn::Eq(hn::PromoteTo(du, hn::LoadU(du8, selected + i)), hn::Zero(du));
      if constexpr (Bounds::kPretest) {
        if (hn::AllFalse(du, hn::AndNot(hn::Lt(key, min_bound_vector), eligible))) continue;
      }
      const auto group_index = hn::PromoteTo(du, hn::LoadU(du16, group + i));
      const auto pass = hn::AndNot(hn::Lt(key, bounds(du, group_index)), eligible);
      if constexpr (Bounds::kPretest) {
        if (hn::AllFalse(du, pass)) continue;
      }
      // Full-vector stores: `lanes` free entries needed, whatever the count.
      if (HWY_UNLIKELY(written + lanes > out.capacity)) return kFilterOverflow;
      hn::StoreU(hn::Compress(row, pass), du, out.row + written);
      hn::StoreU(hn::Compress(key, pass), du, out.key + written);
      hn::StoreU(hn::Compress(group_index, pass), du, out.group + written);
      written += hn::CountTrue(du, pass);
    }
  }

  const std::size_t remaining = count - i;
  if (remaining == 0) return written;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(std::uint32_t);
  HWY_ALIGN float priority_buffer[kMaxLanes] = {};
  HWY_ALIGN std::uint16_t group_buffer[kMaxLanes] = {};  // group 0 exists: lookups stay in the table
  HWY_ALIGN std::uint8_t selected_buffer[kMaxLanes];
  HWY_ALIGN std::uint32_t buffer[kMaxLanes];
  std::memset(selected_buffer, 1, sizeof selected_buffer);
  std::memcpy(priority_buffer, priority + i, remaining * sizeof(float));
  std::memcpy(group_buffer, group + i, remaining * sizeof(std::uint16_t));
  std::memcpy(selected_buffer, selected + i, remaining * sizeof(std::uint8_t));
  const auto key = OrderedKeys(df, hn::Load(df, priority_buffer));
  const auto group_index = hn::PromoteTo(du, hn::Load(du16, group_buffer));
  const auto eligible =
      hn::And(hn::Eq(hn::PromoteTo(du, hn::Load(du8, selected_buffer)), hn::Zero(du)), hn::FirstN(du, remaining));
  const auto pass = hn::AndNot(hn::Lt(key, bounds(du, group_index)), eligible);
  const std::size_t passed = hn::CountTrue(du, pass);
  if (written + passed > out.capacity) return kFilterOverflow;
  hn::Store(hn::Compress(row, pass), du, buffer);
  std::memcpy(out.row + written, buffer, passed * sizeof(std::uint32_t));
  hn::Store(hn::Compress(key, pass), du, buffer);
  std::memcpy(out.key + written, buffer, passed * sizeof(std::uint32_t));
  hn::Store(hn::Compress(group_index, pass), du, buffer);
  std::memcpy(out.group + written, buffer, passed * sizeof(std::uint32_t));
  return written + passed;
}

// The filter over one chunk, choosing the bound lookup: in registers when the groups fit in at most
// kMaxRegisterTables vectors, else gathered. `lower_bound` has `groups` entries and `padded_bound`
// kMaxRegisterTables * Lanes entries (lower_bound, then kNoCandidates-like padding).
inline constexpr std::size_t kMaxRegisterTables = 4;

HWY_INLINE std::size_t FilterCandidatesChunk(const float* HWY_RESTRICT priority,
                                             const std::uint16_t* HWY_RESTRICT group,
                                             const std::uint8_t* HWY_RESTRICT selected, std::size_t count,
                                             std::uint32_t first_row, const std::uint32_t* HWY_RESTRICT lower_bound,
                                             std::size_t groups, std::uint32_t min_bound,
                                             const std::uint32_t* HWY_RESTRICT padded_bound,
                                             const CandidateOutput& out) {
  const hn::ScalableTag<std::uint32_t> du;
  using DU = decltype(du);
  const std::size_t tables = (groups + hn::Lanes(du) - 1) / hn::Lanes(du);
  switch (tables) {
    case 1:
      return FilterCandidatesSpan(du, RegisterBounds<DU, 1>(du, padded_bound), min_bound, priority, group,
                                  selected, count, first_row, out);
    case 2:
      return FilterCandidatesSpan(du, RegisterBounds<DU, 2>(du, padded_bound), min_bound, priority, group,
                                  selected, count, first_row, out);
    case 3:
      return FilterCandidatesSpan(du, RegisterBounds<DU, 3>(du, padded_bound), min_bound, priority, group,
                                  selected, count, first_row, out);
    case 4:
      return FilterCandidatesSpan(du, RegisterBounds<DU, 4>(du, padded_bound), min_bound, priority, group,
                                  selected, count, first_row, out);
    default:
      return FilterCandidatesSpan(du, GatheredBounds<DU>{lower_bound}, min_bound, priority, group, selected,
                                  count, first_row, out);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
