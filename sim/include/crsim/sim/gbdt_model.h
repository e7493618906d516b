// GbdtModel: the gradient-boosted trees of the risk engine's combination "gbdt", trained with
// XGBoost's C API (Debian's libxgboost 1.7.4) on the float feature matrix, without any text round
// trip: the matrix is handed to XGBoost as a strided dense array (its __array_interface__), so the
// feature matrix kernel's column-major output is read in place.
//
// Training: objective "binary:logistic" (labels 0/1: detected or not by an inspection),
// tree_method "hist", the hyperparameters of [risk.gbdt] (crsim/sim/scenario.h GbdtSpec), a fresh
// model each time (not continued from the previous one). Determinism: XGBoost runs with a fixed
// nthread = 1 (never crsim's thread count: its histogram sums would change with it) and the seed
// the caller gives, so the same rows, labels, parameters and seed give the same model, bit for bit.
//
// Scoring: ScoreMargin gives the margin (log-odds) of each row with crsim's own tree-ensemble
// engine (kernels/tree_ensemble.h), on the model loaded from SaveJson()'s text after each training
// (data/xgboost_model.h), exactly as a user's model file would be: the margins equal XGBoost's own
// predict bit for bit (ScoreMarginWithXgboost, the reference the tests compare with).
//
// Errors: every XGBoost call is checked; a failure throws XgboostError naming the call and
// XGBoost's own message (XGBGetLastError). Handles are freed by RAII.
//
// Usage:
//   GbdtModel model;
//   model.Train(spec.risk.gbdt, seed, {data, rows, features, 1, column_stride}, labels);
//   model.ScoreMargin({data, rows, features, 1, column_stride}, margin);
//   const std::string json = model.SaveJson();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "crsim/kernels/tree_ensemble.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

// A dense float matrix of `rows` x `features`: element (row i, feature f) is
// data[i * row_stride + f * feature_stride] (strides in floats), the tree engine's own input view.
// The feature matrix kernel's column-major output is {data, rows, kNumFeatures, 1, stride}. NaN is
// a missing value.
using GbdtInput = kernels::TreeInputView;

// A failed XGBoost C API call: "XGBoost <call> failed: <XGBoost's message>".
class XgboostError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class GbdtModel {
 public:
  GbdtModel();
  ~GbdtModel();
  GbdtModel(GbdtModel&&) noexcept;
  GbdtModel& operator=(GbdtModel&&) noexcept;
  GbdtModel(const GbdtModel&) = delete;
  GbdtModel& operator=(const GbdtModel&) = delete;

  // Trains a fresh model of params.trees trees on the rows of `features` with labels[i] in {0, 1}
  // (labels.size() == features.rows >= 1), replacing any previous one. seed: XGBoost's seed (row
  // and column subsampling), 0..2^31-1.
  void Train(const GbdtSpec& params, std::uint32_t seed, GbdtInput features, std::span<const float> labels);

  bool trained() const;
  // Trees (boosting rounds) of the model; 0 before the first training.
  int trees() const;
  // Features the model was trained on; 0 before the first training.
  std::size_t features() const { return features_; }

  // margin[i] = the model's margin (log-odds of a hit) of row i of `input` (margin.size() ==
  // input.rows, input.features == features()). Requires trained(). crsim's tree-ensemble engine
  // (kernels/tree_ensemble.h, TBB-parallel in the caller's arena) on the model as loaded from
  // SaveJson(): equal to XGBoost's own predict bit for bit (tests/sim/gbdt_test.cc).
  void ScoreMargin(GbdtInput input, std::span<float> margin) const;

  // The same margins from XGBoost's own predict (in-place, one thread): the reference the tests
  // compare ScoreMargin with.
  void ScoreMarginWithXgboost(GbdtInput input, std::span<float> margin) const;

  // The model as XGBoost's JSON (XGBoosterSaveModelToBuffer, format "json"). Requires trained().
  std::string SaveJson() const;

 private:
  struct Booster;
  std::unique_ptr<Booster> booster_;
  std::size_t features_ = 0;
};

}  // namespace crsim::sim
