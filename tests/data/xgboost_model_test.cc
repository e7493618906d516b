// Loading XGBoost JSON models: models trained in-process with XGBoost's C API (random data with
// NaN), saved as JSON, loaded by crsim, must predict exactly what XGBoost predicts (margin and
// probability, bit for bit; the issue allows 1e-6 relative and we get equality), with both the
// fast engine and the reference. Bad and unsupported models are InputErrors naming what and where.
#include "crsim/data/xgboost_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "crsim/kernels/tree_ensemble.h"
#include "xgboost_training.h"

namespace crsim::data {
namespace {

using crsim::testing::MakeLabelledData;
using crsim::testing::XgbBooster;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kFeatures = 6;

std::uint32_t Bits(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Trains, saves as JSON, loads with crsim, and compares margins and outputs with XGBoost's own
// predict on fresh rows (20% NaN) through every crsim path.
void ExpectSameAsXgboost(const Params& params, int rounds, std::size_t train_rows, std::uint64_t seed) {
  const auto train = MakeLabelledData(train_rows, kFeatures, 0.1f, seed);
  const XgbBooster booster(train.x, train_rows, kFeatures, train.y, params, rounds);
  const kernels::TreeEnsemble model = ParseXgboostJsonModel(booster.SaveJson(), "<buffer>");
  ASSERT_EQ(model.trees.size(), static_cast<std::size_t>(rounds));
  ASSERT_EQ(model.num_features, kFeatures);

  const std::size_t rows = 777;
  const auto test = MakeLabelledData(rows, kFeatures, 0.2f, seed + 1);
  const std::vector<float> xgb_margin = booster.Predict(test.x.data(), rows, kFeatures, true);
  const std::vector<float> xgb_output = booster.Predict(test.x.data(), rows, kFeatures, false);
  const kernels::TreeInputView view = kernels::RowMajorView(test.x.data(), rows, kFeatures);
  std::vector<float> reference(rows), fast(rows), parallel(rows), output(rows);
  kernels::PredictMarginReference(model, view, reference);
  kernels::PredictMargin(model, view, fast);
  kernels::PredictMarginParallel(model, view, parallel, 100);
  kernels::MarginToProbability(model, fast, output);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const bool same = Bits(reference[i]) == Bits(xgb_margin[i]) && Bits(fast[i]) == Bits(xgb_margin[i]) &&
                      Bits(parallel[i]) == Bits(xgb_margin[i]) && Bits(output[i]) == Bits(xgb_output[i]);
    if (!same && ++differing <= 3) {
      ADD_FAILURE() << "row " << i << ": xgboost margin " << xgb_margin[i] << " output " << xgb_output[i]
                    << "; crsim reference " << reference[i] << " fast " << fast[i] << " parallel " << parallel[i]
                    << " output " << output[i];
    }
  }
  EXPECT_EQ(differing, 0u);
}

TEST(XgboostModelTest, PredictionsEqualXgboostForTreesAndDepths) {
  for (const int trees : {1, 10, 100, 500}) {
    for (const int depth : {1, 3, 6, 10}) {
      SCOPED_TRACE(::testing::Message() << trees << " trees of depth " << depth);
      // min_child_weight 0 lets small training sets grow deep trees; few rows keep it fast.
      const std::size_t train_rows = trees >= 500 ? 150 : 400;
      ExpectSameAsXgboost({{"objective", "binary:logistic"}, {"max_depth", std::to_string(depth)},
                           {"min_child_weight", "0"}, {"eta", "0.3"}, {"nthread", "1"}, {"seed", "3"}},
                          trees, train_rows, static_cast<std::uint64_t>(trees * 100 + depth));
    }
  }
}

TEST(XgboostModelTest, EverySupportedObjectiveAndBaseScore) {
  for (const char* objective : {"binary:logistic", "reg:logistic", "binary:logitraw", "reg:squarederror"}) {
    for (const char* base_score : {"0.5", "0.3", "0.9"}) {
      SCOPED_TRACE(::testing::Message() << objective << " base_score " << base_score);
      ExpectSameAsXgboost({{"objective", objective}, {"max_depth", "4"}, {"base_score", base_score},
                           {"nthread", "1"}},
                          20, 500, 42);
    }
  }
}

TEST(XgboostModelTest, ExactMethodGivesSixteenBitBinsAndStillMatches) {
  // tree_method exact on continuous data: split thresholds are midpoints between distinct training
  // values, far more than 256 per feature.
  const Params params{{"objective", "binary:logistic"}, {"tree_method", "exact"}, {"max_depth", "8"},
                      {"min_child_weight", "0"}, {"nthread", "1"}};
  const auto train = MakeLabelledData(3000, kFeatures, 0.05f, 5);
  const XgbBooster booster(train.x, 3000, kFeatures, train.y, params, 60);
  const kernels::TreeEnsemble model = ParseXgboostJsonModel(booster.SaveJson(), "<buffer>");
  EXPECT_EQ(kernels::SummarizeTreeEnsemble(model).bin_bits, 16u);
  ExpectSameAsXgboost(params, 60, 3000, 5);
}

TEST(XgboostModelTest, LoadsFromFile) {
  const auto train = MakeLabelledData(300, kFeatures, 0.1f, 8);
  const XgbBooster booster(train.x, 300, kFeatures, train.y, {{"max_depth", "3"}, {"nthread", "1"}}, 5);
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "crsim_xgboost_model_test.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << booster.SaveJson();
  }
  const kernels::TreeEnsemble model = LoadXgboostJsonModel(file);
  EXPECT_EQ(model.trees.size(), 5u);
  EXPECT_EQ(model.objective, "reg:squarederror");
  std::filesystem::remove(file);
  try {
    LoadXgboostJsonModel(file);
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("cannot open"), std::string::npos) << error.what();
  }
}

// A small valid model (3 trees of depth 2) to corrupt.
std::string SmallModelJson(const Params& extra = {}) {
  const auto train = MakeLabelledData(300, kFeatures, 0.1f, 9);
  Params params{{"objective", "binary:logistic"}, {"max_depth", "2"}, {"nthread", "1"}};
  params.insert(params.end(), extra.begin(), extra.end());
  const XgbBooster booster(train.x, 300, kFeatures, train.y, params, 3);
  return booster.SaveJson();
}

// The InputError's text for parsing `json`, or "" when it parses.
std::string ErrorOf(const std::string& json) {
  try {
    ParseXgboostJsonModel(json, "model.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

void ExpectError(const std::string& json, const std::string& fragment) {
  const std::string message = ErrorOf(json);
  ASSERT_FALSE(message.empty()) << "expected an error containing \"" << fragment << "\"";
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
  EXPECT_EQ(message.rfind("model.json", 0), 0u) << "the message starts with the file: " << message;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture lacks " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(XgboostModelTest, TruncatedAndCorruptFilesAreErrorsWithPositions) {
  const std::string json = SmallModelJson();
  ASSERT_TRUE(ErrorOf(json).empty()) << ErrorOf(json);
  ExpectError(json.substr(0, json.size() / 2), "truncated");
  ExpectError(json.substr(0, json.size() - 1), "end of input");
  ExpectError("", "empty input");
  std::string corrupt = json;
  corrupt[json.size() / 3] = '\x01';
  ExpectError(corrupt, "model.json:1:");
  corrupt = json;
  corrupt[json.size() / 2] = '\xff';
  ExpectError(corrupt, "byte offset " + std::to_string(json.size() / 2));
  ExpectError(Replace(json, "\"learner\"", "\"learnr\""), "missing key \"learner\"");
  ExpectError(json + "x", "unexpected data after the JSON value");
  // An unknown extra key is fine (newer XGBoost versions add some).
  EXPECT_TRUE(ErrorOf(Replace(json, "{", "{\"a\":1,")).empty());
}

TEST(XgboostModelTest, StrictJson) {
  const std::string json = SmallModelJson();
  ExpectError(Replace(json, "\"tree_info\":[0,0,0]", "\"tree_info\":[0,0,0,]"), "trailing comma");
  ExpectError(Replace(json, "\"tree_info\":[0", "\"tree_info\":[00"), "leading zero");
  ExpectError(Replace(json, "\"tree_info\":[0", "\"tree_info\":[NaN"), "NaN and Infinity are not JSON");
  ExpectError(Replace(json, "\"gbtree\"", "\"gb\\qtree\""), "invalid escape");
  ExpectError(Replace(json, "\"gbtree\"", "\"gb\xc3tree\""), "UTF-8");
  ExpectError(Replace(json, "\"gbtree\"", "\"gb\\ud800tree\""), "surrogate");
  ExpectError(std::string(100, '[') + std::string(100, ']'), "nesting deeper than 64");
  ExpectError("{\"learner\": 1,}", "trailing comma");
  // Multi-line input: line and column are counted.
  ExpectError("{\n  \"learner\": tru\n}", "model.json:2:14");
}

TEST(XgboostModelTest, UnsupportedModelsAreRejectedWithReasons) {
  const std::string json = SmallModelJson();
  ExpectError(Replace(json, "\"num_class\":\"0\"", "\"num_class\":\"3\""), "multi-class");
  ExpectError(Replace(json, "\"split_type\":[0", "\"split_type\":[1"), "categorical split");
  ExpectError(Replace(json, "\"binary:logistic\"", "\"count:poisson\""), "unsupported objective \"count:poisson\"");
  ExpectError(Replace(json, "\"name\":\"gbtree\"", "\"name\":\"gblinear\""), "booster \"gblinear\" is not supported");
  // A real multi-class model and a real dart model.
  const auto train = MakeLabelledData(300, kFeatures, 0.1f, 10);
  std::vector<float> classes(train.y.size());
  for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<float>(i % 3);
  const XgbBooster multi(train.x, 300, kFeatures, classes,
                         {{"objective", "multi:softprob"}, {"num_class", "3"}, {"max_depth", "2"}, {"nthread", "1"}}, 2);
  ExpectError(multi.SaveJson(), "learner.learner_model_param.num_class: multi-class model (num_class 3)");
  ExpectError(SmallModelJson({{"booster", "dart"}}), "booster \"dart\" is not supported");
}

TEST(XgboostModelTest, InconsistentTreesAreRejected) {
  const std::string json = SmallModelJson();
  // Feature index >= num_feature.
  ExpectError(Replace(json, "\"num_class\":\"0\",\"num_feature\":\"6\"", "\"num_class\":\"0\",\"num_feature\":\"1\""),
              "but the model has num_feature 1");
  // Arrays of different lengths.
  ExpectError(Replace(json, "\"default_left\":[", "\"default_left\":[0,"), "inconsistent tree arrays");
  // A child index out of range, and a cycle back to the root.
  ExpectError(Replace(json, "\"left_children\":[1", "\"left_children\":[99"), "out of range");
  ExpectError(Replace(json, "\"left_children\":[1", "\"left_children\":[0"), "out of range");
  // A node with one child.
  ExpectError(Replace(json, "\"right_children\":[2", "\"right_children\":[-1"), "two children or none");
  // num_trees disagreeing with the trees array, wrong types.
  ExpectError(Replace(json, "\"num_trees\":\"3\"", "\"num_trees\":\"4\""), "num_trees is 4");
  ExpectError(Replace(json, "\"base_score\":\"5E-1\"", "\"base_score\":0.5"), "base_score: expected a string");
  ExpectError(Replace(json, "\"base_score\":\"5E-1\"", "\"base_score\":\"half\""), "is not a float32 number");
  // Each error names the JSON path.
  ExpectError(Replace(json, "\"left_children\":[1", "\"left_children\":[99"),
              "learner.gradient_booster.model.trees[0].left_children[0]");
}

TEST(XgboostModelTest, FeatureCountMismatchAtPredictIsAnError) {
  const kernels::TreeEnsemble model = ParseXgboostJsonModel(SmallModelJson(), "<buffer>");
  const std::vector<float> x(10 * 5, 0.0f);
  std::vector<float> margin(10);
  EXPECT_THROW(kernels::PredictMargin(model, kernels::RowMajorView(x.data(), 10, 5), margin), std::invalid_argument);
}

}  // namespace
}  // namespace crsim::data
