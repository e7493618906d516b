// Highway translation unit of the logistic scorer (spec in crsim/kernels/logistic.h): per-target
// code with runtime dispatch and the TBB driver. Training is in logistic_train.cc (Eigen).
#include "crsim/kernels/logistic.h"

#include <cstddef>
#include <span>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "logistic.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "logistic-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

HWY_NOINLINE void LogisticScoreTarget(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                                      std::span<float> probability) {
  LogisticScoreSpan(matrix.data, matrix.rows, matrix.stride, model, probability.data());
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "parallel_chunks.h"

namespace crsim::kernels {

HWY_EXPORT(LogisticScoreTarget);

namespace {
void CheckLogisticCall(const ConstFeatureMatrix& matrix, std::span<float> probability) {
  HWY_ASSERT(probability.size() == matrix.rows && matrix.stride >= matrix.rows);
  HWY_ASSERT(matrix.rows == 0 || matrix.data != nullptr);
}
}  // namespace

void LogisticScore(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                   std::span<float> probability) {
  CheckLogisticCall(matrix, probability);
  if (matrix.rows == 0) return;
  HWY_DYNAMIC_DISPATCH(LogisticScoreTarget)(matrix, model, probability);
}

void LogisticScoreParallel(const ConstFeatureMatrix& matrix, const LogisticModel& model,
                           std::span<float> probability, std::size_t grain) {
  CheckLogisticCall(matrix, probability);
  HWY_ASSERT(grain > 0);
  detail::ForEachChunkParallel(matrix.rows, grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(LogisticScoreTarget)(matrix.rows_subrange(begin, count), model,
                                               probability.subspan(begin, count));
  });
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
