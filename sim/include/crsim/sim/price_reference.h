// PriceReference: robust references (median and MAD) of log unit values per HS6 code, and
// optionally per HS6 x origin with fallback to the code, over a sliding window of days.
//
// What it holds. Every observation (a log unit value, with its code and origin) falls into a bin of
// 0.02 over [-10, 20) (outliers in the end bins). A *group* is a code (groups 0 .. codes-1) or, at
// level kHs6Origin, also a (code, origin) pair (groups codes + code * origins + origin). The
// reference of a group is the median of its binned observations (linear interpolation inside the
// middle bin) and their MAD (walking outward from the median over bin midpoints, floored at half a
// bin), computed only when the group has at least min_count observations in the window; otherwise
// it is NaN ("no reference").
//
// Sliding window as a ring of sparse daily histograms. Add() appends the key (group << 11 | bin) of
// each observation to today's buffer; CloseDay() radix-sorts the buffer, run-length encodes it into
// a sparse histogram of the day (sorted (key, count) pairs: only occupied (group, bin) pairs), adds
// it to the window histogram (a sorted merge), and, with window_days = W > 0, subtracts the day
// that leaves the window (W days ago, kept in a ring of W daily histograms) and drops the pairs
// that fall to zero. Then one pass over the window recomputes every group's median and MAD. With
// W = 0 nothing is ever subtracted: the reference covers all history, as before windows existed.
// The sparse median and MAD visit the occupied bins in the order the dense walks visit all bins, so
// they return the same floats bit for bit (tests/sim/price_reference_test.cc).
//
// Memory (bytes), with N = observations per day (declarations, times 2 at level kHs6Origin: one key
// per level), G = groups, B = 1500 bins, P = occupied (group, bin) pairs:
//   window histogram   24 P_window,            P_window <= min(G B, W N)  (the window and the
//                                                                         merge's scratch)
//   ring of W days     12 W P_day,             P_day    <= min(G B, N)
//   today              16 N + 12 P_day         (keys and radix-sort scratch, u64; the day's pairs)
//   per group          16 G                    (count u64, median f32, 1 / scale f32)
//   kernel table        8 codes x origins      (level kHs6Origin; 8 codes at kHs6)
// so it depends on the window and one day's volume, never on the run length (W = 0: the window
// histogram is bounded by 12 G B). The dense alternative, a 1500-bin histogram per group per day,
// would take 4 G B W bytes: 8.6 GB for 48 000 (code, origin) groups and 30 days.
//
// Level kHs6Origin: after each CloseDay the kernel table holds, for every (code, origin), the
// (code, origin) reference when that group has >= min_count observations in the window, else the
// code's reference (which may itself be NaN: no reference, z is NaN). The fallback is therefore
// resolved once per day for codes x origins entries, not per declaration, and the SIMD kernel
// (kernels::RobustUnitValueZByOrigin) stays a gather over one flat table.
//
// Deterministic: single-threaded, no floating-point accumulation (counts are integers), sorting
// and merging in key order; the result does not depend on the order of Add calls within a day.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crsim/kernels/unit_value.h"

namespace crsim::sim {

enum class PriceReferenceLevel { kHs6, kHs6Origin };

class PriceReference {
 public:
  static constexpr float kLowestLogPrice = -10.0f;  // log(EUR per unit); lower values go to the first bin
  static constexpr float kBinWidth = 0.02f;
  static constexpr std::size_t kBins = 1500;  // up to log price 20; higher values go to the last bin
  static constexpr unsigned kBinBits = 11;    // 2^11 = 2048 >= kBins

  // window_days: the reference covers the last window_days closed days; 0 = all history.
  PriceReference(std::size_t num_codes, std::size_t num_origins, std::int64_t min_count,
                 std::int64_t window_days, PriceReferenceLevel level);
  // Per HS6 over all history.
  PriceReference(std::size_t num_codes, std::int64_t min_count)
      : PriceReference(num_codes, 1, min_count, 0, PriceReferenceLevel::kHs6) {}

  // One observation of today; NaN is ignored. Preconditions: hs6 < num_codes, origin < num_origins.
  void Add(std::uint32_t hs6, std::uint16_t origin, float log_unit_value);
  void Add(std::uint32_t hs6, float log_unit_value) { Add(hs6, 0, log_unit_value); }
  // Closes the day: folds today's observations into the window, evicts the day that leaves it, and
  // recomputes every reference and the kernel table.
  void CloseDay();

  // Observations in the window of the code / of the (code, origin) group (0 at level kHs6).
  std::uint64_t count(std::uint32_t hs6) const { return totals_[hs6]; }
  std::uint64_t count(std::uint32_t hs6, std::uint16_t origin) const;
  // The code's own median (NaN without reference).
  float median(std::uint32_t hs6) const { return median_[hs6]; }
  // The median the kernel uses for (code, origin): the fine group's or the code's (fallback).
  float median(std::uint32_t hs6, std::uint16_t origin) const;

  PriceReferenceLevel level() const { return level_; }
  std::size_t num_origins() const { return num_origins_; }
  std::int64_t window_days() const { return window_days_; }
  // The table the kernel reads: [num_codes] at level kHs6, [num_codes x num_origins] (code-major,
  // fallback resolved) at level kHs6Origin.
  kernels::UnitValueReference view() const { return {table_median_, table_inverse_scale_}; }

  // Robust z of each declaration against this reference (the kernel of the level), in parallel
  // chunks of `grain` rows; identical for any thread count.
  void RobustZParallel(std::span<const float> declared_value, std::span<const float> declared_quantity,
                       std::span<const std::uint32_t> hs6, std::span<const std::uint16_t> origin,
                       std::span<float> z, std::size_t grain = kernels::kDefaultParallelGrain) const;

  // Bytes held now (capacities of every buffer), to check the bound stated above.
  std::size_t memory_bytes() const;
  // Occupied (group, bin) pairs in the window.
  std::size_t window_pairs() const { return window_.keys.size(); }

 private:
  struct SparseHistogram {
    std::vector<std::uint64_t> keys;  // (group << kBinBits) | bin, strictly ascending
    std::vector<std::uint32_t> counts;
    void clear() {
      keys.clear();
      counts.clear();
    }
  };

  void SortToday();
  void Recompute();

  std::size_t num_codes_;
  std::size_t num_origins_;
  std::size_t num_groups_;
  std::uint64_t min_count_;
  std::int64_t window_days_;
  PriceReferenceLevel level_;
  unsigned key_bits_;
  std::uint64_t days_closed_ = 0;

  std::vector<std::uint64_t> today_keys_;
  std::vector<std::uint64_t> sort_scratch_;
  SparseHistogram today_;
  SparseHistogram window_;
  SparseHistogram merged_;             // scratch of the merges, swapped with window_
  std::vector<SparseHistogram> ring_;  // [window_days]: day d in slot d % window_days

  std::vector<std::uint64_t> totals_;  // [num_groups]
  std::vector<float> median_;          // [num_groups]
  std::vector<float> inverse_scale_;   // [num_groups]
  std::vector<float> table_median_;    // the kernel's table (see view())
  std::vector<float> table_inverse_scale_;
};

// Median of a histogram whose bin b covers [lowest + b w, lowest + (b+1) w), interpolating
// linearly inside the bin that holds the middle observation. Exposed for tests.
float HistogramMedian(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width);
// Median absolute deviation from `center` of the same histogram (bins taken at their midpoints).
float HistogramMad(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width,
                   float center);
// The same two over a sparse histogram of `num_bins` bins: occupied bins in the low kBinBits bits
// of `keys` (strictly ascending, higher bits equal), their counts in `counts`. Bit-identical to the
// dense versions.
float SparseHistogramMedian(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> counts,
                            std::uint64_t total, float lowest, float width, std::size_t num_bins);
float SparseHistogramMad(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> counts,
                         std::uint64_t total, float lowest, float width, std::size_t num_bins, float center);

}  // namespace crsim::sim
