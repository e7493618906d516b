// Training and scoring with XGBoost's C API, for the tests and the peer benchmark that compare
// crsim's tree-ensemble engine with XGBoost itself (header only; link XGBoost::xgboost).
#pragma once

#include <xgboost/c_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "split_mix.h"

namespace crsim::testing {

inline void XgbCheck(int status, const char* what) {
  if (status != 0) throw std::runtime_error(std::string(what) + ": " + XGBGetLastError());
}

// Owns a DMatrix.
class XgbMatrix {
 public:
  // Row-major rows x cols floats, NaN = missing.
  XgbMatrix(const float* data, std::size_t rows, std::size_t cols) {
    XgbCheck(XGDMatrixCreateFromMat(data, rows, cols, std::nanf(""), &handle_), "XGDMatrixCreateFromMat");
  }
  XgbMatrix(const XgbMatrix&) = delete;
  XgbMatrix& operator=(const XgbMatrix&) = delete;
  ~XgbMatrix() { XGDMatrixFree(handle_); }
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

// Owns a Booster.
class XgbBooster {
 public:
  XgbBooster() { XgbCheck(XGBoosterCreate(nullptr, 0, &handle_), "XGBoosterCreate"); }
  // Trains `rounds` rounds on row-major x with labels y and the given parameters.
  XgbBooster(const std::vector<float>& x, std::size_t rows, std::size_t cols, const std::vector<float>& y,
             const std::vector<std::pair<std::string, std::string>>& params, int rounds) {
    XgbMatrix train(x.data(), rows, cols);
    XgbCheck(XGDMatrixSetFloatInfo(train.get(), "label", y.data(), rows), "XGDMatrixSetFloatInfo");
    const DMatrixHandle matrices[] = {train.get()};
    XgbCheck(XGBoosterCreate(matrices, 1, &handle_), "XGBoosterCreate");
    for (const auto& [name, value] : params) {
      XgbCheck(XGBoosterSetParam(handle_, name.c_str(), value.c_str()), name.c_str());
    }
    for (int round = 0; round < rounds; ++round) {
      XgbCheck(XGBoosterUpdateOneIter(handle_, round, train.get()), "XGBoosterUpdateOneIter");
    }
  }
  XgbBooster(const XgbBooster&) = delete;
  XgbBooster& operator=(const XgbBooster&) = delete;
  ~XgbBooster() { XGBoosterFree(handle_); }
  BoosterHandle get() const { return handle_; }

  std::string SaveJson() const {
    bst_ulong length = 0;
    const char* buffer = nullptr;
    XgbCheck(XGBoosterSaveModelToBuffer(handle_, R"({"format": "json"})", &length, &buffer),
             "XGBoosterSaveModelToBuffer");
    return std::string(buffer, length);
  }
  void LoadJson(const std::string& json) {
    XgbCheck(XGBoosterLoadModelFromBuffer(handle_, json.data(), json.size()), "XGBoosterLoadModelFromBuffer");
  }
  void SetParam(const std::string& name, const std::string& value) {
    XgbCheck(XGBoosterSetParam(handle_, name.c_str(), value.c_str()), name.c_str());
  }

  // XGBoost's own prediction through a fresh DMatrix (no prediction cache): the margin when
  // `margin`, else the transformed output.
  std::vector<float> Predict(const float* x, std::size_t rows, std::size_t cols, bool margin) const {
    XgbMatrix matrix(x, rows, cols);
    const std::string config = std::string(R"({"type": )") + (margin ? "1" : "0") +
                               R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* result = nullptr;
    XgbCheck(XGBoosterPredictFromDMatrix(handle_, matrix.get(), config.c_str(), &shape, &dims, &result),
             "XGBoosterPredictFromDMatrix");
    return std::vector<float>(result, result + rows);
  }

  // In-place prediction from a row-major dense buffer (no DMatrix; what the peer benchmark times).
  // Returns XGBoost's result buffer (valid until the next call on this booster).
  const float* PredictInPlace(const float* x, std::size_t rows, std::size_t cols, bool margin) const {
    const std::string array = R"({"data": [)" + std::to_string(reinterpret_cast<std::uintptr_t>(x)) +
                              R"(, true], "shape": [)" + std::to_string(rows) + ", " + std::to_string(cols) +
                              R"(], "typestr": "<f4", "version": 3})";
    const std::string config = std::string(R"({"type": )") + (margin ? "1" : "0") +
                               R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
                               R"("strict_shape": false, "cache_id": 0, "missing": NaN})";
    const bst_ulong* shape = nullptr;
    bst_ulong dims = 0;
    const float* result = nullptr;
    XgbCheck(XGBoosterPredictFromDense(handle_, array.c_str(), config.c_str(), nullptr, &shape, &dims, &result),
             "XGBoosterPredictFromDense");
    return result;
  }

 private:
  BoosterHandle handle_ = nullptr;
};

// Row-major rows x cols features in [-2, 2) with a fraction `nan_rate` of NaN, and 0/1 labels that
// depend on a few features (so trees find real splits).
struct LabelledData {
  std::vector<float> x;
  std::vector<float> y;
};
inline LabelledData MakeLabelledData(std::size_t rows, std::size_t cols, float nan_rate, std::uint64_t seed) {
  SplitMix random(seed);
  LabelledData data;
  data.x.resize(rows * cols);
  data.y.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    float signal = 0.0f;
    for (std::size_t f = 0; f < cols; ++f) {
      const float value = 4.0f * random.Uniform() - 2.0f;
      const bool missing = random.Uniform() < nan_rate;
      data.x[i * cols + f] = missing ? std::nanf("") : value;
      if (f < 4 && !missing) signal += (f % 2 == 0 ? 1.0f : -0.7f) * value;
    }
    data.y[i] = (signal + 1.5f * (random.Uniform() - 0.5f)) > 0.2f ? 1.0f : 0.0f;
  }
  return data;
}

}  // namespace crsim::testing
