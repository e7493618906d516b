#include "crsim/sim/price_reference.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

namespace crsim::sim {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr std::uint64_t kBinMask = (std::uint64_t{1} << PriceReference::kBinBits) - 1;

[[noreturn]] void Fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: PriceReference: %s\n", file, line, what);
  std::abort();
}

// LSD radix sort of `keys` on their low `bits` bits, 11 bits per pass (a 2048-entry count table
// stays in L1); `scratch` is resized to match. Stable, so deterministic.
void RadixSort(std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>& scratch, unsigned bits) {
  constexpr unsigned kDigitBits = 11;
  constexpr std::size_t kDigits = std::size_t{1} << kDigitBits;
  scratch.resize(keys.size());
  std::vector<std::size_t> offsets(kDigits);
  for (unsigned shift = 0; shift < bits; shift += kDigitBits) {
    std::fill(offsets.begin(), offsets.end(), 0);
    for (const std::uint64_t key : keys) ++offsets[(key >> shift) & (kDigits - 1)];
    std::size_t sum = 0;
    for (std::size_t& offset : offsets) sum += std::exchange(offset, sum);
    for (const std::uint64_t key : keys) scratch[offsets[(key >> shift) & (kDigits - 1)]++] = key;
    keys.swap(scratch);
  }
}

// out = a + sign * b over sorted sparse histograms; pairs whose count reaches zero are dropped.
// Subtraction requires b's pairs to be in a with at least b's counts (the day being evicted was
// added earlier): a violation is a bug and aborts.
template <class Histogram>
void Merge(const Histogram& a, const Histogram& b, bool subtract, Histogram& out) {
  out.clear();
  out.keys.reserve(a.keys.size() + (subtract ? 0 : b.keys.size()));
  out.counts.reserve(out.keys.capacity());
  std::size_t i = 0, j = 0;
  while (i < a.keys.size() || j < b.keys.size()) {
    if (j == b.keys.size() || (i < a.keys.size() && a.keys[i] < b.keys[j])) {
      out.keys.push_back(a.keys[i]);
      out.counts.push_back(a.counts[i]);
      ++i;
    } else if (i == a.keys.size() || b.keys[j] < a.keys[i]) {
      if (subtract) Fail(__FILE__, __LINE__, "evicting a pair that is not in the window");
      out.keys.push_back(b.keys[j]);
      out.counts.push_back(b.counts[j]);
      ++j;
    } else {
      std::uint32_t count = a.counts[i];
      if (subtract) {
        if (b.counts[j] > count) Fail(__FILE__, __LINE__, "evicting more than the window holds");
        count -= b.counts[j];
      } else {
        count += b.counts[j];
      }
      if (count != 0) {
        out.keys.push_back(a.keys[i]);
        out.counts.push_back(count);
      }
      ++i;
      ++j;
    }
  }
}

}  // namespace

float HistogramMedian(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width) {
  if (total == 0) return kNaN;
  const double half = static_cast<double>(total) / 2.0;
  double cumulative = 0.0;
  for (std::size_t b = 0; b < histogram.size(); ++b) {
    const double in_bin = histogram[b];
    if (cumulative + in_bin >= half && in_bin > 0) {
      const double fraction = (half - cumulative) / in_bin;
      return static_cast<float>(lowest + width * (static_cast<double>(b) + fraction));
    }
    cumulative += in_bin;
  }
  return static_cast<float>(lowest + width * static_cast<double>(histogram.size()));
}

float HistogramMad(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width,
                   float center) {
  if (total == 0) return kNaN;
  // Walk outward from the center, always taking the nearer of the next bin below and above, until
  // half the observations are within the distance reached.
  const double half = static_cast<double>(total) / 2.0;
  const double position = (center - lowest) / width - 0.5;  // center in units of bin midpoints
  auto below = static_cast<std::ptrdiff_t>(std::floor(position));
  std::ptrdiff_t above = below + 1;
  const auto bins = static_cast<std::ptrdiff_t>(histogram.size());
  double cumulative = 0.0;
  for (;;) {
    const double below_distance = below >= 0 ? position - static_cast<double>(below) : HUGE_VAL;
    const double above_distance = above < bins ? static_cast<double>(above) - position : HUGE_VAL;
    if (below_distance == HUGE_VAL && above_distance == HUGE_VAL) break;
    const bool take_below = below_distance <= above_distance;
    const std::ptrdiff_t bin = take_below ? below-- : above++;
    cumulative += histogram[static_cast<std::size_t>(bin)];
    if (cumulative >= half) return static_cast<float>(width * (take_below ? below_distance : above_distance));
  }
  return static_cast<float>(width * static_cast<double>(bins));
}

// The dense walk with the empty bins skipped: an empty bin adds nothing to `cumulative`, and
// `cumulative` only reaches `half` (> 0) on an occupied bin, so both return at the same bin with the
// same arithmetic.
float SparseHistogramMedian(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> counts,
                            std::uint64_t total, float lowest, float width, std::size_t num_bins) {
  if (total == 0) return kNaN;
  const double half = static_cast<double>(total) / 2.0;
  double cumulative = 0.0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const double in_bin = counts[k];
    const auto b = static_cast<std::size_t>(keys[k] & kBinMask);
    if (cumulative + in_bin >= half && in_bin > 0) {
      const double fraction = (half - cumulative) / in_bin;
      return static_cast<float>(lowest + width * (static_cast<double>(b) + fraction));
    }
    cumulative += in_bin;
  }
  return static_cast<float>(lowest + width * static_cast<double>(num_bins));
}

float SparseHistogramMad(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> counts,
                         std::uint64_t total, float lowest, float width, std::size_t num_bins, float center) {
  if (total == 0) return kNaN;
  const double half = static_cast<double>(total) / 2.0;
  const double position = (center - lowest) / width - 0.5;
  const auto below_bin = static_cast<std::ptrdiff_t>(std::floor(position));
  const auto bin_of = [&](std::size_t k) { return static_cast<std::ptrdiff_t>(keys[k] & kBinMask); };
  // First occupied bin above `below_bin`; the ones before it are at or below it.
  std::size_t above = 0;
  while (above < keys.size() && bin_of(above) <= below_bin) ++above;
  std::ptrdiff_t below = static_cast<std::ptrdiff_t>(above) - 1;  // index into keys, -1 = none
  double cumulative = 0.0;
  for (;;) {
    const double below_distance = below >= 0 ? position - static_cast<double>(bin_of(static_cast<std::size_t>(below)))
                                             : HUGE_VAL;
    const double above_distance =
        above < keys.size() ? static_cast<double>(bin_of(above)) - position : HUGE_VAL;
    if (below_distance == HUGE_VAL && above_distance == HUGE_VAL) break;
    const bool take_below = below_distance <= above_distance;
    const std::size_t k = take_below ? static_cast<std::size_t>(below--) : above++;
    cumulative += counts[k];
    if (cumulative >= half) return static_cast<float>(width * (take_below ? below_distance : above_distance));
  }
  return static_cast<float>(width * static_cast<double>(num_bins));
}

PriceReference::PriceReference(std::size_t num_codes, std::size_t num_origins, std::int64_t min_count,
                               std::int64_t window_days, PriceReferenceLevel level)
    : num_codes_(num_codes),
      num_origins_(num_origins),
      num_groups_(level == PriceReferenceLevel::kHs6 ? num_codes : num_codes + num_codes * num_origins),
      min_count_(static_cast<std::uint64_t>(min_count)),
      window_days_(window_days),
      level_(level) {
  if (num_codes == 0 || num_origins == 0 || num_origins > 65536 || min_count < 1 || window_days < 0) {
    Fail(__FILE__, __LINE__, "needs codes >= 1, 1 <= origins <= 65536, min_count >= 1, window_days >= 0");
  }
  if (level == PriceReferenceLevel::kHs6Origin && num_codes * num_origins >= (std::size_t{1} << 31)) {
    Fail(__FILE__, __LINE__, "codes x origins must be below 2^31 (the kernel's table index)");
  }
  key_bits_ = kBinBits + static_cast<unsigned>(std::bit_width(num_groups_ - 1));
  if (key_bits_ > 64) Fail(__FILE__, __LINE__, "too many groups");
  ring_.resize(static_cast<std::size_t>(window_days));
  totals_.assign(num_groups_, 0);
  median_.assign(num_groups_, kNaN);
  inverse_scale_.assign(num_groups_, kNaN);
  const std::size_t table_size = level == PriceReferenceLevel::kHs6 ? num_codes : num_codes * num_origins;
  table_median_.assign(table_size, kNaN);
  table_inverse_scale_.assign(table_size, kNaN);
}

void PriceReference::Add(std::uint32_t hs6, std::uint16_t origin, float log_unit_value) {
  if (std::isnan(log_unit_value)) return;
  assert(hs6 < num_codes_ && origin < num_origins_);
  const float position = (log_unit_value - kLowestLogPrice) / kBinWidth;
  const auto bin = static_cast<std::uint64_t>(std::clamp(position, 0.0f, static_cast<float>(kBins - 1)));
  today_keys_.push_back((std::uint64_t{hs6} << kBinBits) | bin);
  if (level_ == PriceReferenceLevel::kHs6Origin) {
    const std::uint64_t group = num_codes_ + std::uint64_t{hs6} * num_origins_ + origin;
    today_keys_.push_back((group << kBinBits) | bin);
  }
}

void PriceReference::SortToday() {
  RadixSort(today_keys_, sort_scratch_, key_bits_);
  today_.clear();
  for (const std::uint64_t key : today_keys_) {
    if (!today_.keys.empty() && today_.keys.back() == key) {
      ++today_.counts.back();
    } else {
      today_.keys.push_back(key);
      today_.counts.push_back(1);
    }
  }
  today_keys_.clear();
}

void PriceReference::CloseDay() {
  SortToday();
  Merge(window_, today_, /*subtract=*/false, merged_);
  std::swap(window_, merged_);
  if (window_days_ > 0) {
    // Slot of today = slot of the day window_days ago, which leaves the window now.
    SparseHistogram& slot = ring_[days_closed_ % static_cast<std::uint64_t>(window_days_)];
    if (days_closed_ >= static_cast<std::uint64_t>(window_days_)) {
      Merge(window_, slot, /*subtract=*/true, merged_);
      std::swap(window_, merged_);
    }
    std::swap(slot, today_);  // today_ keeps the old slot's buffers for reuse
  }
  ++days_closed_;
  Recompute();
}

void PriceReference::Recompute() {
  std::fill(totals_.begin(), totals_.end(), 0);
  std::fill(median_.begin(), median_.end(), kNaN);
  std::fill(inverse_scale_.begin(), inverse_scale_.end(), kNaN);
  const std::span<const std::uint64_t> keys(window_.keys);
  const std::span<const std::uint32_t> counts(window_.counts);
  for (std::size_t begin = 0; begin < keys.size();) {
    const std::uint64_t group = keys[begin] >> kBinBits;
    std::size_t end = begin;
    std::uint64_t total = 0;
    while (end < keys.size() && (keys[end] >> kBinBits) == group) total += counts[end++];
    totals_[group] = total;
    if (total >= min_count_) {
      const auto group_keys = keys.subspan(begin, end - begin);
      const auto group_counts = counts.subspan(begin, end - begin);
      const float median = SparseHistogramMedian(group_keys, group_counts, total, kLowestLogPrice, kBinWidth, kBins);
      const float mad = std::max(
          SparseHistogramMad(group_keys, group_counts, total, kLowestLogPrice, kBinWidth, kBins, median),
          kBinWidth / 2.0f);
      median_[group] = median;
      inverse_scale_[group] = 1.0f / (kernels::kMadToStandardDeviation * mad);
    }
    begin = end;
  }
  if (level_ == PriceReferenceLevel::kHs6) {
    std::copy(median_.begin(), median_.end(), table_median_.begin());
    std::copy(inverse_scale_.begin(), inverse_scale_.end(), table_inverse_scale_.begin());
    return;
  }
  // Fallback, resolved once per (code, origin): the fine group when it has enough observations
  // (its median is then not NaN), else the code (NaN when the code has too few as well).
  for (std::size_t code = 0; code < num_codes_; ++code) {
    for (std::size_t origin = 0; origin < num_origins_; ++origin) {
      const std::size_t entry = code * num_origins_ + origin;
      const std::size_t fine = num_codes_ + entry;
      const std::size_t chosen = totals_[fine] >= min_count_ ? fine : code;
      table_median_[entry] = median_[chosen];
      table_inverse_scale_[entry] = inverse_scale_[chosen];
    }
  }
}

std::uint64_t PriceReference::count(std::uint32_t hs6, std::uint16_t origin) const {
  if (level_ == PriceReferenceLevel::kHs6) return 0;
  return totals_[num_codes_ + std::size_t{hs6} * num_origins_ + origin];
}

float PriceReference::median(std::uint32_t hs6, std::uint16_t origin) const {
  if (level_ == PriceReferenceLevel::kHs6) return table_median_[hs6];
  return table_median_[std::size_t{hs6} * num_origins_ + origin];
}

void PriceReference::RobustZParallel(std::span<const float> declared_value, std::span<const float> declared_quantity,
                                     std::span<const std::uint32_t> hs6, std::span<const std::uint16_t> origin,
                                     std::span<float> z, std::size_t grain) const {
  if (level_ == PriceReferenceLevel::kHs6) {
    kernels::RobustUnitValueZParallel(declared_value, declared_quantity, hs6, view(), z, grain);
  } else {
    kernels::RobustUnitValueZByOriginParallel(declared_value, declared_quantity, hs6, origin,
                                              static_cast<std::uint32_t>(num_origins_), view(), z, grain);
  }
}

std::size_t PriceReference::memory_bytes() const {
  const auto histogram_bytes = [](const SparseHistogram& histogram) {
    return histogram.keys.capacity() * sizeof(std::uint64_t) + histogram.counts.capacity() * sizeof(std::uint32_t);
  };
  std::size_t bytes = histogram_bytes(today_) + histogram_bytes(window_) + histogram_bytes(merged_);
  for (const SparseHistogram& day : ring_) bytes += histogram_bytes(day);
  bytes += (today_keys_.capacity() + sort_scratch_.capacity()) * sizeof(std::uint64_t);
  bytes += totals_.capacity() * sizeof(std::uint64_t) +
           (median_.capacity() + inverse_scale_.capacity() + table_median_.capacity() +
            table_inverse_scale_.capacity()) *
               sizeof(float);
  return bytes;
}

}  // namespace crsim::sim
