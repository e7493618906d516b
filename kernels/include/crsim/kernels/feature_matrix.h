// Feature matrix kernel: the per-declaration features of the risk models, built column by column
// into a float matrix.
//
// Layout: COLUMN-major (feature-major): feature f of row i is at data[f * stride + i]. The logistic
// scorer (crsim/kernels/logistic.h) computes bias + sum_f w_f x_f for N rows at once: with this
// layout each feature of N consecutive rows is one contiguous, unit-stride vector load and the sum is
// a chain of broadcast-weight FMAs, with no transpose or gather. Row-major would need a horizontal
// reduction per row (or a transpose) for only kNumFeatures = 9 floats per row. Training copies the
// few inspected rows into an Eigen matrix anyway, so it does not care.
//
// Features (enum Feature), for declaration i:
//   kLowPriceZ      min(max(0, -z[i]), 20), 0 where z is NaN (no price reference): the
//                   unit-value kernel's robust z, cheap side only, capped so one absurd price cannot
//                   dominate a linear model
//   kTariffRate     tariff_rate[hs6[i]]
//   kLogTraderAge   log(1 + trader_age_days[i]); 0 when the age is NaN or negative
//   kTraderMean     trader_mean[trader[i]]   (entity_posterior.h: Beta-Binomial posterior mean)
//   kTraderBonus    trader_bonus[trader[i]]  (c x posterior sd)
//   kRuleScore      rule_score[i] (risk_rules.h)
//   kRouteMismatch  1 when departure[i] != origin[i] (declared route not from the declared origin),
//                   else 0; 0 everywhere when the departure span is empty
//   kChapterRate    chapter_rate[hs_chapter[i]]: target encoding of the HS chapter (posterior hit
//                   rate of the chapter among inspected declarations; table of 256 entries)
//   kOriginRate     origin_rate[origin[i]]: target encoding of the declared origin
//
// SIMD: Highway with runtime dispatch, N rows per step: 5 gathers, widening loads of the u8/u16
// columns, Highway's Log for the age. Every feature but kLogTraderAge is bit-identical to the scalar
// reference; kLogTraderAge differs by Highway's Log error (<= 4 ULP, documented by Highway) and the
// test allows 6 ULP (+1e-7 absolute near log(1) = 0).
//
// Preconditions (O(1) checks abort; per-row ones are the caller's): every per-declaration span has
// `rows` elements (departure may be empty); hs6[i] < tariff_rate.size(), trader[i] <
// trader_mean.size() == trader_bonus.size(), chapter_rate.size() == 256, origin[i] <
// origin_rate.size(); stride >= rows; data holds kNumFeatures * stride floats. A NaN z or age gives
// the documented 0 feature; NaN in the rule score or the tables is copied through as it is (no UB
// either way). Zero rows: no-op.
//
// Parallel driver: BuildFeatureMatrixParallel runs chunks of `grain` rows with TBB; elementwise, so
// identical to BuildFeatureMatrix for any thread count and grain.
//
// Usage:
//   const std::size_t stride = FeatureMatrixStride(rows);
//   std::vector<float> data(kNumFeatures * stride);
//   FeatureMatrix matrix{data.data(), rows, stride};
//   BuildFeatureMatrixParallel(inputs, tables, matrix);
//   LogisticScoreParallel(matrix.view(), model, probability);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "crsim/kernels/parallel.h"

namespace crsim::kernels {

enum Feature : std::size_t {
  kLowPriceZ = 0,
  kTariffRate,
  kLogTraderAge,
  kTraderMean,
  kTraderBonus,
  kRuleScore,
  kRouteMismatch,
  kChapterRate,
  kOriginRate,
  kNumFeatures
};

inline constexpr float kLowPriceZCap = 20.0f;
inline constexpr std::size_t kChapterRateTableSize = 256;

// The column stride to allocate for `rows` rows: rows rounded up to 16 floats (a 64-byte line, so
// every column starts on a line boundary in an aligned allocation) plus one line. With a stride of
// exactly rows = 2^k the nine columns of one row sit a power of two apart and fall into the same
// L1/L2 cache sets: nine streams on an 8-way L1 evict each other. The extra line shifts column f by
// f lines, into different sets.
inline constexpr std::size_t FeatureMatrixStride(std::size_t rows) { return (rows + 15) / 16 * 16 + 16; }

// Names of the features in enum order (for reports and model dumps).
const char* FeatureName(std::size_t feature);

struct FeatureInputs {
  std::span<const float> unit_value_z;     // RobustUnitValueZ output, NaN = no evidence
  std::span<const std::uint32_t> hs6;
  std::span<const std::uint8_t> hs_chapter;
  std::span<const std::uint16_t> origin;
  std::span<const std::uint16_t> departure;  // may be empty
  std::span<const float> trader_age_days;
  std::span<const std::uint32_t> trader;
  std::span<const float> rule_score;
  std::size_t size() const { return unit_value_z.size(); }
};

struct FeatureTables {
  std::span<const float> tariff_rate;   // [num_hs6]
  std::span<const float> trader_mean;   // [num_traders]
  std::span<const float> trader_bonus;  // [num_traders]
  std::span<const float> chapter_rate;  // [256]
  std::span<const float> origin_rate;   // [num_countries]
};

// Read-only column-major matrix: feature f of row i at data[f * stride + i].
struct ConstFeatureMatrix {
  const float* data = nullptr;
  std::size_t rows = 0;
  std::size_t stride = 0;
  std::span<const float> column(std::size_t feature) const { return {data + feature * stride, rows}; }
  ConstFeatureMatrix rows_subrange(std::size_t begin, std::size_t count) const {
    return {data + begin, count, stride};
  }
};

struct FeatureMatrix {
  float* data = nullptr;
  std::size_t rows = 0;
  std::size_t stride = 0;
  std::span<float> column(std::size_t feature) const { return {data + feature * stride, rows}; }
  ConstFeatureMatrix view() const { return {data, rows, stride}; }
  FeatureMatrix rows_subrange(std::size_t begin, std::size_t count) const {
    return {data + begin, count, stride};
  }
};

// SIMD, dispatched at run time.
void BuildFeatureMatrix(const FeatureInputs& inputs, const FeatureTables& tables,
                        const FeatureMatrix& out);

void BuildFeatureMatrixParallel(const FeatureInputs& inputs, const FeatureTables& tables,
                                const FeatureMatrix& out, std::size_t grain = kDefaultParallelGrain);

// Plain scalar reference.
void BuildFeatureMatrixReference(const FeatureInputs& inputs, const FeatureTables& tables,
                                 const FeatureMatrix& out);

}  // namespace crsim::kernels
