// Plain scalar reference of the feature matrix kernel (spec in crsim/kernels/feature_matrix.h).
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "crsim/kernels/feature_matrix.h"

namespace crsim::kernels {

void BuildFeatureMatrixReference(const FeatureInputs& inputs, const FeatureTables& tables,
                                 const FeatureMatrix& out) {
  const std::size_t rows = out.rows;
  if (inputs.size() != rows || inputs.hs6.size() != rows || inputs.trader.size() != rows ||
      out.stride < rows || tables.chapter_rate.size() != kChapterRateTableSize) {
    std::fprintf(stderr, "%s:%d: BuildFeatureMatrixReference: bad shapes\n", __FILE__, __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < rows; ++i) {
    const float z = inputs.unit_value_z[i];
    out.data[kLowPriceZ * out.stride + i] =
        std::isnan(z) ? 0.0f : std::min(std::max(0.0f, -z), kLowPriceZCap);
    assert(inputs.hs6[i] < tables.tariff_rate.size());
    out.data[kTariffRate * out.stride + i] = tables.tariff_rate[inputs.hs6[i]];
    const float age = inputs.trader_age_days[i];
    out.data[kLogTraderAge * out.stride + i] = age > 0.0f ? std::log(1.0f + age) : 0.0f;
    const std::uint32_t trader = inputs.trader[i];
    assert(trader < tables.trader_mean.size());
    out.data[kTraderMean * out.stride + i] = tables.trader_mean[trader];
    out.data[kTraderBonus * out.stride + i] = tables.trader_bonus[trader];
    out.data[kRuleScore * out.stride + i] = inputs.rule_score[i];
    const bool mismatch = !inputs.departure.empty() && inputs.departure[i] != inputs.origin[i];
    out.data[kRouteMismatch * out.stride + i] = mismatch ? 1.0f : 0.0f;
    out.data[kChapterRate * out.stride + i] = tables.chapter_rate[inputs.hs_chapter[i]];
    assert(inputs.origin[i] < tables.origin_rate.size());
    out.data[kOriginRate * out.stride + i] = tables.origin_rate[inputs.origin[i]];
  }
}

}  // namespace crsim::kernels
