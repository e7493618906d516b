// Per-target SIMD code of the logistic scorer (spec in crsim/kernels/logistic.h): per N rows, a
// chain of kNumFeatures broadcast-weight MulAdds over unit-stride column loads, a clamp, Highway's
// Exp and a division. Tail: columns copied into a zero-filled buffer, FirstN + BlendedStore.
#if defined(CRSIM_KERNELS_LOGISTIC_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_LOGISTIC_INL_H_
#undef CRSIM_KERNELS_LOGISTIC_INL_H_
#else
#define CRSIM_KERNELS_LOGISTIC_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/logistic.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

// 1 / (1 + exp(-clamp(logit))): the probability of a logit, as every scorer here computes it.
template <class DF>
HWY_INLINE hn::Vec<DF> LogisticOfLogit(DF df, hn::Vec<DF> logit) {
  logit = hn::Min(hn::Max(logit, hn::Set(df, -kLogitClamp)), hn::Set(df, kLogitClamp));
  const auto one = hn::Set(df, 1.0f);
  return hn::Div(one, hn::Add(one, hn::Exp(df, hn::Neg(logit))));
}

template <class DF>
HWY_INLINE hn::Vec<DF> LogisticVector(DF df, const float* HWY_RESTRICT column0, std::size_t stride,
                                      const LogisticModel& model) {
  auto logit = hn::Set(df, model.bias);
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    logit = hn::MulAdd(hn::Set(df, model.weight[f]), hn::LoadU(df, column0 + f * stride), logit);
  }
  return LogisticOfLogit(df, logit);
}

HWY_INLINE void LogisticScoreSpan(const float* HWY_RESTRICT data, std::size_t rows,
                                  std::size_t stride, const LogisticModel& model,
                                  float* HWY_RESTRICT probability) {
  const hn::ScalableTag<float> df;
  const std::size_t lanes = hn::Lanes(df);
  std::size_t i = 0;
  if (rows >= lanes) {
    for (; i <= rows - lanes; i += lanes) {
      hn::StoreU(LogisticVector(df, data + i, stride, model), df, probability + i);
    }
  }
  const std::size_t remaining = rows - i;
  if (remaining == 0) return;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN float buffer[kNumFeatures * kMaxLanes] = {};
  for (std::size_t f = 0; f < kNumFeatures; ++f) {
    std::memcpy(buffer + f * kMaxLanes, data + f * stride + i, remaining * sizeof(float));
  }
  hn::BlendedStore(LogisticVector(df, buffer, kMaxLanes, model), hn::FirstN(df, remaining), df,
                   probability + i);
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
