#include "crsim/sim/gbdt_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "crsim/data/xgboost_model.h"
#include "crsim/kernels/tree_ensemble.h"

namespace crsim::sim {

namespace {

// Throws XgboostError when an XGBoost C API call failed (returned non-zero).
void Check(int status, const char* call) {
  if (status != 0) throw XgboostError(fmt::format("XGBoost {} failed: {}", call, XGBGetLastError()));
}
#define CRSIM_XGBOOST(call) Check((call), #call)

// An owned DMatrix handle.
class DMatrix {
 public:
  explicit DMatrix(DMatrixHandle handle) : handle_(handle) {}
  ~DMatrix() { XGDMatrixFree(handle_); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_;
};

// XGBoost's __array_interface__ (version 3) of a strided float32 matrix, read in place.
std::string ArrayInterface(const GbdtInput& input) {
  return fmt::format(R"({{"data": [{}, true], "shape": [{}, {}], "strides": [{}, {}], "typestr": "<f4", "version": 3}})",
                     reinterpret_cast<std::uintptr_t>(input.data), input.rows, input.features,
                     input.row_stride * sizeof(float), input.feature_stride * sizeof(float));
}

// Preconditions the caller must meet (broken ones are bugs: abort with file and line).
void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "%s:%d: GbdtModel precondition failed: %s\n", __FILE__, __LINE__, what);
  std::abort();
}

}  // namespace

struct GbdtModel::Booster {
  BoosterHandle handle = nullptr;
  kernels::TreeEnsemble ensemble;  // the same model in crsim's engine, loaded from its JSON
  ~Booster() {
    if (handle != nullptr) XGBoosterFree(handle);
  }
};

GbdtModel::GbdtModel() = default;
GbdtModel::~GbdtModel() = default;
GbdtModel::GbdtModel(GbdtModel&&) noexcept = default;
GbdtModel& GbdtModel::operator=(GbdtModel&&) noexcept = default;

bool GbdtModel::trained() const { return booster_ != nullptr; }

int GbdtModel::trees() const {
  if (!booster_) return 0;
  int rounds = 0;
  CRSIM_XGBOOST(XGBoosterBoostedRounds(booster_->handle, &rounds));
  return rounds;
}

void GbdtModel::Train(const GbdtSpec& params, std::uint32_t seed, GbdtInput features, std::span<const float> labels) {
  Require(features.rows >= 1 && labels.size() == features.rows && features.features >= 1, "rows == labels >= 1");
  DMatrixHandle matrix_handle = nullptr;
  // nthread 1: building the DMatrix (its quantile sketch) must not depend on the machine either.
  CRSIM_XGBOOST(XGDMatrixCreateFromDense(ArrayInterface(features).c_str(), R"({"missing": NaN, "nthread": 1})",
                                         &matrix_handle));
  const DMatrix matrix(matrix_handle);
  CRSIM_XGBOOST(XGDMatrixSetFloatInfo(matrix.get(), "label", labels.data(), labels.size()));

  auto booster = std::make_unique<Booster>();
  const DMatrixHandle training[] = {matrix.get()};
  CRSIM_XGBOOST(XGBoosterCreate(training, 1, &booster->handle));
  const std::pair<const char*, std::string> settings[] = {
      {"booster", "gbtree"},
      {"objective", "binary:logistic"},
      {"tree_method", "hist"},
      {"nthread", "1"},  // fixed: results must not depend on crsim's (or the machine's) thread count
      {"seed", std::to_string(seed)},
      {"verbosity", "0"},
      {"max_depth", std::to_string(params.max_depth)},
      {"eta", fmt::format("{}", params.learning_rate)},
      {"subsample", fmt::format("{}", params.subsample)},
      {"colsample_bytree", fmt::format("{}", params.colsample_bytree)},
      {"min_child_weight", fmt::format("{}", params.min_child_weight)},
      {"scale_pos_weight", fmt::format("{}", params.scale_pos_weight)},
      {"max_bin", std::to_string(params.max_bin)},
  };
  for (const auto& [name, value] : settings) CRSIM_XGBOOST(XGBoosterSetParam(booster->handle, name, value.c_str()));
  for (std::int64_t tree = 0; tree < params.trees; ++tree) {
    CRSIM_XGBOOST(XGBoosterUpdateOneIter(booster->handle, static_cast<int>(tree), matrix.get()));
  }
  booster_ = std::move(booster);
  features_ = features.features;
  // crsim scores with its own engine: the model goes through XGBoost's JSON, as a user's would.
  booster_->ensemble = data::ParseXgboostJsonModel(SaveJson(), "the GBDT trained in the loop");
}

void GbdtModel::ScoreMargin(GbdtInput input, std::span<float> margin) const {
  Require(trained() && margin.size() == input.rows && input.features == features_, "trained, sizes agree");
  if (input.rows == 0) return;
  kernels::PredictMarginParallel(booster_->ensemble, input, margin);
}

void GbdtModel::ScoreMarginWithXgboost(GbdtInput input, std::span<float> margin) const {
  Require(trained() && margin.size() == input.rows && input.features == features_, "trained, sizes agree");
  if (input.rows == 0) return;
  // type 1: margin; cache_id 0 is required by 1.7's in-place predict.
  constexpr const char* kConfig =
      R"({"type": 1, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false,)"
      R"( "cache_id": 0, "missing": NaN})";
  const bst_ulong* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* result = nullptr;
  CRSIM_XGBOOST(XGBoosterPredictFromDense(booster_->handle, ArrayInterface(input).c_str(), kConfig, nullptr, &shape,
                                          &dimensions, &result));
  if (dimensions != 1 || shape[0] != input.rows) {
    throw XgboostError(fmt::format("XGBoost predict returned a result of {} dimension(s), expected {} margins",
                                   dimensions, input.rows));
  }
  std::copy(result, result + input.rows, margin.begin());
}

std::string GbdtModel::SaveJson() const {
  Require(trained(), "trained");
  bst_ulong length = 0;
  const char* text = nullptr;
  CRSIM_XGBOOST(XGBoosterSaveModelToBuffer(booster_->handle, R"({"format": "json"})", &length, &text));
  return std::string(text, length);
}

#undef CRSIM_XGBOOST

}  // namespace crsim::sim
