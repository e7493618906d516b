// Highway translation unit of the feature matrix kernel (spec in crsim/kernels/feature_matrix.h):
// per-target code with runtime dispatch and the TBB driver.
#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/logistic.h"

#include <cstddef>
#include <cstdint>
#include <span>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "feature_matrix.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "feature_matrix-inl.h"
#include "logistic-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

FeatureRowPointers RowPointers(const FeatureInputs& inputs) {
  return {inputs.unit_value_z.data(),
                                inputs.hs6.data(),
                                inputs.hs_chapter.data(),
                                inputs.origin.data(),
                                inputs.departure.empty() ? nullptr : inputs.departure.data(),
                                inputs.trader_age_days.data(),
                                inputs.trader.data(),
                                inputs.rule_score.data()};
}

FeatureTablePointers TablePointers(const FeatureTables& tables) {
  return {tables.tariff_rate.data(), tables.trader_mean.data(), tables.trader_bonus.data(),
          tables.chapter_rate.data(), tables.origin_rate.data()};
}

HWY_NOINLINE void BuildFeatureMatrixTarget(const FeatureInputs& inputs, const FeatureTables& tables,
                                           const FeatureMatrix& out) {
  FeatureMatrixSpan(RowPointers(inputs), out.rows, TablePointers(tables), out.data, out.stride);
}

// The fused scorer: each vector of rows' features go from ForEachFeature straight into the
// logistic's MulAdd chain (bias first, then f = 0..8, as LogisticVector adds them), never stored.
HWY_NOINLINE void LogisticScoreOfInputsTarget(const FeatureInputs& inputs, const FeatureTables& tables,
                                              const LogisticModel& model, std::span<float> probability) {
  const hn::ScalableTag<float> df;
  const FeatureTablePointers table_pointers = TablePointers(tables);
  const auto score = [&](const FeatureRowPointers& rows, std::size_t i) {
    auto logit = hn::Set(df, model.bias);
    ForEachFeature(df, rows, i, table_pointers, [&](std::size_t f, auto feature) {
      logit = hn::MulAdd(hn::Set(df, model.weight[f]), feature, logit);
    });
    return LogisticOfLogit(df, logit);
  };
  const FeatureRowPointers rows = RowPointers(inputs);
  float* HWY_RESTRICT out = probability.data();
  ForEachFeatureRowVector(
      rows, probability.size(), [&](std::size_t i) { hn::StoreU(score(rows, i), df, out + i); },
      [&](std::size_t i, const FeatureRowPointers& tail_rows, std::size_t remaining) {
        hn::BlendedStore(score(tail_rows, 0), hn::FirstN(df, remaining), df, out + i);
      });
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "parallel_chunks.h"

namespace crsim::kernels {

HWY_EXPORT(BuildFeatureMatrixTarget);
HWY_EXPORT(LogisticScoreOfInputsTarget);

const char* FeatureName(std::size_t feature) {
  static constexpr const char* kNames[kNumFeatures] = {
      "low_price_z", "tariff_rate",    "log_trader_age", "trader_mean", "trader_bonus",
      "rule_score",  "route_mismatch", "chapter_rate",   "origin_rate"};
  return feature < kNumFeatures ? kNames[feature] : "?";
}

namespace {

// The inputs and tables of `rows` declarations (both the matrix builder and the fused scorer).
void CheckFeatureInputs(const FeatureInputs& inputs, const FeatureTables& tables, std::size_t rows) {
  HWY_ASSERT(inputs.unit_value_z.size() == rows && inputs.hs6.size() == rows &&
             inputs.hs_chapter.size() == rows && inputs.origin.size() == rows &&
             (inputs.departure.empty() || inputs.departure.size() == rows) &&
             inputs.trader_age_days.size() == rows && inputs.trader.size() == rows &&
             inputs.rule_score.size() == rows);
  if (rows == 0) return;
  HWY_ASSERT(!tables.tariff_rate.empty() && !tables.trader_mean.empty() &&
             tables.trader_mean.size() == tables.trader_bonus.size() &&
             tables.chapter_rate.size() == kChapterRateTableSize && !tables.origin_rate.empty());
}

void CheckFeatureCall(const FeatureInputs& inputs, const FeatureTables& tables, const FeatureMatrix& out) {
  CheckFeatureInputs(inputs, tables, out.rows);
  HWY_ASSERT(out.stride >= out.rows);
  HWY_ASSERT(out.rows == 0 || out.data != nullptr);
}

FeatureInputs SliceInputs(const FeatureInputs& inputs, std::size_t begin, std::size_t count) {
  return {inputs.unit_value_z.subspan(begin, count),
          inputs.hs6.subspan(begin, count),
          inputs.hs_chapter.subspan(begin, count),
          inputs.origin.subspan(begin, count),
          inputs.departure.empty() ? inputs.departure : inputs.departure.subspan(begin, count),
          inputs.trader_age_days.subspan(begin, count),
          inputs.trader.subspan(begin, count),
          inputs.rule_score.subspan(begin, count)};
}

}  // namespace

void LogisticScoreOfInputs(const FeatureInputs& inputs, const FeatureTables& tables, const LogisticModel& model,
                           std::span<float> probability) {
  CheckFeatureInputs(inputs, tables, probability.size());
  if (probability.empty()) return;
  HWY_DYNAMIC_DISPATCH(LogisticScoreOfInputsTarget)(inputs, tables, model, probability);
}

void LogisticScoreOfInputsParallel(const FeatureInputs& inputs, const FeatureTables& tables,
                                   const LogisticModel& model, std::span<float> probability, std::size_t grain) {
  CheckFeatureInputs(inputs, tables, probability.size());
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(probability.size(), grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(LogisticScoreOfInputsTarget)(SliceInputs(inputs, begin, count), tables, model,
                                                       probability.subspan(begin, count));
  });
}

void BuildFeatureMatrix(const FeatureInputs& inputs, const FeatureTables& tables,
                        const FeatureMatrix& out) {
  CheckFeatureCall(inputs, tables, out);
  if (out.rows == 0) return;
  HWY_DYNAMIC_DISPATCH(BuildFeatureMatrixTarget)(inputs, tables, out);
}

void BuildFeatureMatrixParallel(const FeatureInputs& inputs, const FeatureTables& tables,
                                const FeatureMatrix& out, std::size_t grain) {
  CheckFeatureCall(inputs, tables, out);
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(out.rows, grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(BuildFeatureMatrixTarget)(SliceInputs(inputs, begin, count), tables,
                                                    out.rows_subrange(begin, count));
  });
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
