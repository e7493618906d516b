// Highway translation unit of the tree-ensemble engine: compiles tree_ensemble-inl.h once per SIMD
// target (foreach_target.h re-includes this file) and dispatches PredictMargin at run time to the
// best target the CPU supports. Also the TBB driver, PredictMarginParallel.
#include "crsim/kernels/tree_ensemble.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tree_ensemble.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "tree_ensemble-inl.h"

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

// The per-target entry point: rows [begin, begin + count) of the view. Checked by the caller.
HWY_NOINLINE void PredictMarginTarget(const TreeEnsemble& ensemble, const detail::TreeEnsemblePlan& plan,
                                      const TreeInputView& view, std::size_t begin, std::size_t count,
                                      float* HWY_RESTRICT margin) {
  // One scratch per thread, reused across calls and parallel chunks (a chunk of a few rows must not
  // pay for allocating the mask tables); it grows to the largest plan the thread has scored.
  thread_local std::unique_ptr<TreeScratch> cached;
  if (!cached) cached = std::make_unique<TreeScratch>();
  TreeScratch* scratch = cached.get();
  AllocateScratch(plan, *scratch);
  if (plan.wide_bins) {
    PredictRows<std::uint16_t>(ensemble, plan, view, begin, count, margin, *scratch);
  } else {
    PredictRows<std::uint8_t>(ensemble, plan, view, begin, count, margin, *scratch);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <stdexcept>
#include <string>

#include "parallel_chunks.h"
#include "tree_ensemble_plan.h"

namespace crsim::kernels {

HWY_EXPORT(PredictMarginTarget);

namespace {

void CheckPredictCall(const TreeEnsemble& ensemble, const TreeInputView& view, std::span<float> margin) {
  if (view.features != ensemble.num_features) {
    throw std::invalid_argument("tree ensemble: the input has " + std::to_string(view.features) +
                                " features but the model expects " +
                                std::to_string(ensemble.num_features));
  }
  if (margin.size() != view.rows) {
    throw std::invalid_argument("tree ensemble: " + std::to_string(margin.size()) +
                                " margins for " + std::to_string(view.rows) + " rows");
  }
  if (view.rows > 0 && view.data == nullptr) throw std::invalid_argument("tree ensemble: null input");
}

// The ensemble's prepared plan, or a temporary one for this call.
std::shared_ptr<const detail::TreeEnsemblePlan> PlanOf(const TreeEnsemble& ensemble) {
  if (ensemble.plan && ensemble.plan->num_features == ensemble.num_features &&
      ensemble.plan->trees.size() == ensemble.trees.size()) {
    return ensemble.plan;
  }
  return std::make_shared<const detail::TreeEnsemblePlan>(detail::BuildTreeEnsemblePlan(ensemble));
}

}  // namespace

void PredictMargin(const TreeEnsemble& ensemble, TreeInputView rows, std::span<float> margin) {
  CheckPredictCall(ensemble, rows, margin);
  if (margin.empty()) return;
  const auto plan = PlanOf(ensemble);
  HWY_DYNAMIC_DISPATCH(PredictMarginTarget)(ensemble, *plan, rows, 0, rows.rows, margin.data());
}

void PredictMarginParallel(const TreeEnsemble& ensemble, TreeInputView rows, std::span<float> margin,
                           std::size_t grain) {
  CheckPredictCall(ensemble, rows, margin);
  if (grain == 0) throw std::invalid_argument("tree ensemble: grain must be >= 1");
  if (margin.empty()) return;
  const auto plan = PlanOf(ensemble);
  detail::ForEachChunkParallel(rows.rows, grain, [&](std::size_t begin, std::size_t count) {
    HWY_DYNAMIC_DISPATCH(PredictMarginTarget)(ensemble, *plan, rows, begin, count, margin.data());
  });
}

}  // namespace crsim::kernels
#endif  // HWY_ONCE
