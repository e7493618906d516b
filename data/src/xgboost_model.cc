#include "crsim/data/xgboost_model.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "crsim/data/input_error.h"
#include "json_reader.h"

namespace crsim::data {

namespace {

using json::Document;
using json::Kind;
using kernels::MarginTransform;

// Reads typed values out of the document, reporting problems with the JSON path and position.
class ModelReader {
 public:
  explicit ModelReader(const Document& document) : document_(document) {}

  [[noreturn]] void Fail(std::uint32_t node, const std::string& path, const std::string& message) const {
    std::int64_t line = 0;
    std::int64_t column = 0;
    if (node != json::kNotFound) document_.LineColumn(document_.node(node).begin, line, column);
    throw InputError({{document_.source(), line, column, path, message}});
  }

  std::uint32_t Member(std::uint32_t object, const std::string& path, std::string_view key) const {
    const std::uint32_t value = document_.Find(object, key);
    if (value == json::kNotFound) {
      Fail(object, path, "missing key \"" + std::string(key) + "\" (is this an XGBoost JSON model?)");
    }
    return value;
  }

  void Expect(std::uint32_t node, const std::string& path, Kind kind) const {
    const Kind actual = document_.node(node).kind;
    const bool ok = actual == kind || (kind == Kind::kTrue && actual == Kind::kFalse);
    if (!ok) {
      Fail(node, path, std::string("expected ") + json::KindName(kind) + ", found " + json::KindName(actual));
    }
  }

  std::uint32_t Object(std::uint32_t parent, const std::string& path, std::string_view key) const {
    const std::uint32_t value = Member(parent, path, key);
    Expect(value, Join(path, key), Kind::kObject);
    return value;
  }

  std::string String(std::uint32_t parent, const std::string& path, std::string_view key) const {
    const std::uint32_t value = Member(parent, path, key);
    Expect(value, Join(path, key), Kind::kString);
    return document_.String(value);
  }

  // XGBoost writes the learner's parameters as strings holding numbers ("5E-1", "16").
  float FloatString(std::uint32_t parent, const std::string& path, std::string_view key) const {
    const std::uint32_t value = Member(parent, path, key);
    Expect(value, Join(path, key), Kind::kString);
    return ParseFloat(document_.String(value), value, Join(path, key));
  }
  std::int64_t IntString(std::uint32_t parent, const std::string& path, std::string_view key) const {
    const std::uint32_t value = Member(parent, path, key);
    Expect(value, Join(path, key), Kind::kString);
    return ParseInt(document_.String(value), value, Join(path, key));
  }

  float ParseFloat(std::string_view text, std::uint32_t node, const std::string& path) const {
    float value = 0.0f;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      Fail(node, path, "\"" + std::string(text) + "\" is not a float32 number");
    }
    return value;
  }
  std::int64_t ParseInt(std::string_view text, std::uint32_t node, const std::string& path) const {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      Fail(node, path, "\"" + std::string(text) + "\" is not an integer");
    }
    return value;
  }

  // Elements of an array member, each checked by `read(element, element_path)`.
  template <class T, class Read>
  std::vector<T> Array(std::uint32_t parent, const std::string& path, std::string_view key, Read read) const {
    const std::uint32_t array = Member(parent, path, key);
    const std::string array_path = Join(path, key);
    Expect(array, array_path, Kind::kArray);
    std::vector<T> values;
    values.reserve(document_.node(array).count);
    std::uint32_t element = document_.FirstChild(array);
    for (std::uint32_t i = 0; i < document_.node(array).count; ++i) {
      values.push_back(read(element, i, array_path));
      element = document_.Next(element);
    }
    return values;
  }

  std::int64_t Int(std::uint32_t node, std::uint32_t index, const std::string& path) const {
    const std::string element_path = path + "[" + std::to_string(index) + "]";
    Expect(node, element_path, Kind::kNumber);
    return ParseInt(document_.NumberText(node), node, element_path);
  }
  float Float(std::uint32_t node, std::uint32_t index, const std::string& path) const {
    const std::string element_path = path + "[" + std::to_string(index) + "]";
    Expect(node, element_path, Kind::kNumber);
    return ParseFloat(document_.NumberText(node), node, element_path);
  }
  // default_left: 0/1 integers in XGBoost >= 1.6, booleans in older writers.
  bool Flag(std::uint32_t node, std::uint32_t index, const std::string& path) const {
    const Kind kind = document_.node(node).kind;
    if (kind == Kind::kTrue) return true;
    if (kind == Kind::kFalse) return false;
    const std::int64_t value = Int(node, index, path);
    if (value != 0 && value != 1) Fail(node, path + "[" + std::to_string(index) + "]", "expected 0 or 1");
    return value == 1;
  }

  // The node of element `index` of array member `key` (for error positions).
  std::uint32_t Element(std::uint32_t parent, std::string_view key, std::size_t index) const {
    const std::uint32_t array = document_.Find(parent, key);
    std::uint32_t element = document_.FirstChild(array);
    for (std::size_t i = 0; i < index; ++i) element = document_.Next(element);
    return element;
  }

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  const Document& document() const { return document_; }

 private:
  const Document& document_;
};

struct ObjectiveInfo {
  MarginTransform transform;
  bool logit_base;  // margin base = logit(base_score)
};

bool LookupObjective(const std::string& name, ObjectiveInfo& info) {
  if (name == "binary:logistic" || name == "reg:logistic") {
    info = {MarginTransform::kLogistic, true};
    return true;
  }
  // binary:logitraw: XGBoost 1.7 uses base_score itself as the margin base (checked against its
  // predictions in tests/data/xgboost_model_test.cc).
  if (name == "reg:squarederror" || name == "reg:linear" || name == "binary:logitraw") {
    info = {MarginTransform::kIdentity, false};
    return true;
  }
  return false;
}

kernels::Tree ReadTree(const ModelReader& reader, std::uint32_t tree_node, const std::string& path,
                       std::int64_t num_feature) {
  reader.Expect(tree_node, path, Kind::kObject);
  const auto ints = [&](std::uint32_t node, std::uint32_t i, const std::string& p) { return reader.Int(node, i, p); };
  const auto floats = [&](std::uint32_t node, std::uint32_t i, const std::string& p) { return reader.Float(node, i, p); };
  const auto flags = [&](std::uint32_t node, std::uint32_t i, const std::string& p) { return reader.Flag(node, i, p); };
  const std::vector<std::int64_t> left = reader.Array<std::int64_t>(tree_node, path, "left_children", ints);
  const std::vector<std::int64_t> right = reader.Array<std::int64_t>(tree_node, path, "right_children", ints);
  const std::vector<std::int64_t> feature = reader.Array<std::int64_t>(tree_node, path, "split_indices", ints);
  const std::vector<float> condition = reader.Array<float>(tree_node, path, "split_conditions", floats);
  const std::vector<bool> default_left = reader.Array<bool>(tree_node, path, "default_left", flags);
  const std::vector<float> base_weights = reader.Array<float>(tree_node, path, "base_weights", floats);
  const std::size_t count = left.size();

  const std::uint32_t param = reader.Object(tree_node, path, "tree_param");
  const std::string param_path = path + ".tree_param";
  const std::int64_t num_nodes = reader.IntString(param, param_path, "num_nodes");
  if (num_nodes <= 0 || static_cast<std::size_t>(num_nodes) != count) {
    reader.Fail(tree_node, path, "tree_param.num_nodes is " + std::to_string(num_nodes) + " but left_children has " +
                                     std::to_string(count) + " entries");
  }
  if (reader.document().Find(param, "size_leaf_vector") != json::kNotFound &&
      reader.IntString(param, param_path, "size_leaf_vector") > 1) {
    reader.Fail(param, param_path + ".size_leaf_vector", "vector leaves (multi-target trees) are not supported");
  }
  const std::pair<const char*, std::size_t> lengths[] = {
      {"right_children", right.size()}, {"split_indices", feature.size()},
      {"split_conditions", condition.size()}, {"default_left", default_left.size()},
      {"base_weights", base_weights.size()}};
  for (const auto& [name, size] : lengths) {
    if (size != count) {
      reader.Fail(reader.document().Find(tree_node, name), path + "." + name,
                  "has " + std::to_string(size) + " entries but left_children has " + std::to_string(count) +
                      " (inconsistent tree arrays)");
    }
  }
  // Categorical splits: split_type 1, or any category list.
  if (reader.document().Find(tree_node, "split_type") != json::kNotFound) {
    const std::vector<std::int64_t> split_type = reader.Array<std::int64_t>(tree_node, path, "split_type", ints);
    if (split_type.size() != count && !split_type.empty()) {
      reader.Fail(reader.document().Find(tree_node, "split_type"), path + ".split_type",
                  "has " + std::to_string(split_type.size()) + " entries but left_children has " +
                      std::to_string(count) + " (inconsistent tree arrays)");
    }
    for (std::size_t n = 0; n < split_type.size(); ++n) {
      if (split_type[n] != 0) {
        reader.Fail(reader.Element(tree_node, "split_type", n), path + ".split_type[" + std::to_string(n) + "]",
                    "categorical split (split_type " + std::to_string(split_type[n]) +
                        "): only numerical splits are supported; retrain without enable_categorical or "
                        "one-hot encode the feature");
      }
    }
  }
  const std::uint32_t categories = reader.document().Find(tree_node, "categories");
  if (categories != json::kNotFound && reader.document().node(categories).kind == Kind::kArray &&
      reader.document().node(categories).count > 0) {
    reader.Fail(categories, path + ".categories", "categorical splits are not supported");
  }

  kernels::Tree tree;
  tree.nodes.resize(count);
  for (std::size_t n = 0; n < count; ++n) {
    const std::string node_path = "[" + std::to_string(n) + "]";
    kernels::TreeNode& node = tree.nodes[n];
    const bool leaf = left[n] == -1;
    if (leaf != (right[n] == -1)) {
      reader.Fail(reader.Element(tree_node, "right_children", n), path + ".right_children" + node_path,
                  "node " + std::to_string(n) + " has left child " + std::to_string(left[n]) + " and right child " +
                      std::to_string(right[n]) + ": a node has two children or none");
    }
    node.value = condition[n];
    node.default_left = default_left[n];
    if (leaf) continue;
    for (const auto& [name, child] : {std::pair{"left_children", left[n]}, std::pair{"right_children", right[n]}}) {
      if (child <= 0 || static_cast<std::size_t>(child) >= count) {
        reader.Fail(reader.Element(tree_node, name, n), path + "." + name + node_path,
                    "child index " + std::to_string(child) + " out of range (the tree has " +
                        std::to_string(count) + " nodes; the root 0 cannot be a child)");
      }
    }
    if (feature[n] < 0 || feature[n] >= num_feature) {
      reader.Fail(reader.Element(tree_node, "split_indices", n), path + ".split_indices" + node_path,
                  "feature index " + std::to_string(feature[n]) + " but the model has num_feature " +
                      std::to_string(num_feature));
    }
    if (std::isnan(condition[n])) {
      reader.Fail(reader.Element(tree_node, "split_conditions", n), path + ".split_conditions" + node_path,
                  "NaN split threshold");
    }
    node.left = static_cast<std::int32_t>(left[n]);
    node.right = static_cast<std::int32_t>(right[n]);
    node.feature = static_cast<std::uint32_t>(feature[n]);
  }
  try {
    kernels::ValidateTree(tree, static_cast<std::size_t>(num_feature));
  } catch (const std::invalid_argument& error) {
    reader.Fail(tree_node, path, error.what());
  }
  return tree;
}

}  // namespace

kernels::TreeEnsemble ParseXgboostJsonModel(std::string_view json_text, std::string_view source_name) {
  const Document document(json_text, std::string(source_name));
  const ModelReader reader(document);
  reader.Expect(document.root(), "", Kind::kObject);
  const std::uint32_t learner = reader.Object(document.root(), "", "learner");

  const std::uint32_t model_param = reader.Object(learner, "learner", "learner_model_param");
  const std::string param_path = "learner.learner_model_param";
  const std::int64_t num_class = reader.IntString(model_param, param_path, "num_class");
  if (num_class > 1) {
    reader.Fail(document.Find(model_param, "num_class"), param_path + ".num_class",
                "multi-class model (num_class " + std::to_string(num_class) +
                    "): only single-output models (binary classification, regression) are supported");
  }
  if (document.Find(model_param, "num_target") != json::kNotFound) {
    const std::int64_t num_target = reader.IntString(model_param, param_path, "num_target");
    if (num_target > 1) {
      reader.Fail(document.Find(model_param, "num_target"), param_path + ".num_target",
                  "multi-target model (num_target " + std::to_string(num_target) + ") is not supported");
    }
  }
  const std::int64_t num_feature = reader.IntString(model_param, param_path, "num_feature");
  if (num_feature <= 0 || num_feature > std::numeric_limits<std::int32_t>::max()) {
    reader.Fail(document.Find(model_param, "num_feature"), param_path + ".num_feature",
                "num_feature " + std::to_string(num_feature) + " is not a positive feature count");
  }
  const float base_score = reader.FloatString(model_param, param_path, "base_score");

  const std::uint32_t objective_node = reader.Object(learner, "learner", "objective");
  const std::string objective = reader.String(objective_node, "learner.objective", "name");
  ObjectiveInfo info{};
  if (!LookupObjective(objective, info)) {
    reader.Fail(document.Find(objective_node, "name"), "learner.objective.name",
                "unsupported objective \"" + objective +
                    "\"; supported: binary:logistic, reg:logistic, binary:logitraw, reg:squarederror (reg:linear)");
  }

  const std::uint32_t booster = reader.Object(learner, "learner", "gradient_booster");
  const std::string booster_name = reader.String(booster, "learner.gradient_booster", "name");
  if (booster_name != "gbtree") {
    reader.Fail(document.Find(booster, "name"), "learner.gradient_booster.name",
                "booster \"" + booster_name + "\" is not supported; only gbtree (dart's dropout weights and "
                                              "gblinear's linear model are not read)");
  }
  const std::uint32_t model = reader.Object(booster, "learner.gradient_booster", "model");
  const std::string model_path = "learner.gradient_booster.model";
  const std::uint32_t trees_node = reader.Member(model, model_path, "trees");
  reader.Expect(trees_node, model_path + ".trees", Kind::kArray);
  const std::uint32_t tree_count = document.node(trees_node).count;
  const std::uint32_t gbtree_param = reader.Object(model, model_path, "gbtree_model_param");
  const std::int64_t num_trees = reader.IntString(gbtree_param, model_path + ".gbtree_model_param", "num_trees");
  if (num_trees != tree_count) {
    reader.Fail(gbtree_param, model_path + ".gbtree_model_param.num_trees",
                "num_trees is " + std::to_string(num_trees) + " but the trees array has " +
                    std::to_string(tree_count) + " trees");
  }
  const auto ints = [&](std::uint32_t node, std::uint32_t i, const std::string& p) { return reader.Int(node, i, p); };
  const std::vector<std::int64_t> tree_info = reader.Array<std::int64_t>(model, model_path, "tree_info", ints);
  if (tree_info.size() != tree_count) {
    reader.Fail(document.Find(model, "tree_info"), model_path + ".tree_info",
                "has " + std::to_string(tree_info.size()) + " entries for " + std::to_string(tree_count) + " trees");
  }
  for (std::size_t t = 0; t < tree_info.size(); ++t) {
    if (tree_info[t] != 0) {
      reader.Fail(reader.Element(model, "tree_info", t), model_path + ".tree_info[" + std::to_string(t) + "]",
                  "tree of output group " + std::to_string(tree_info[t]) + ": only single-output models are supported");
    }
  }

  kernels::TreeEnsemble ensemble;
  ensemble.num_features = static_cast<std::size_t>(num_feature);
  ensemble.objective = objective;
  ensemble.transform = info.transform;
  if (info.logit_base) {
    if (!(base_score > 0.0f && base_score < 1.0f)) {
      reader.Fail(document.Find(model_param, "base_score"), param_path + ".base_score",
                  "base_score must be in (0, 1) for objective " + objective);
    }
    ensemble.base_margin = -std::log(1.0f / base_score - 1.0f);  // XGBoost 1.7 ProbToMargin, in float
  } else {
    ensemble.base_margin = base_score;
  }
  ensemble.trees.reserve(tree_count);
  std::uint32_t tree_node = document.FirstChild(trees_node);
  for (std::uint32_t t = 0; t < tree_count; ++t) {
    ensemble.trees.push_back(ReadTree(reader, tree_node, model_path + ".trees[" + std::to_string(t) + "]", num_feature));
    tree_node = document.Next(tree_node);
  }
  try {
    kernels::PrepareTreeEnsemble(ensemble);
  } catch (const std::invalid_argument& error) {
    reader.Fail(trees_node, model_path + ".trees", error.what());
  }
  return ensemble;
}

kernels::TreeEnsemble LoadXgboostJsonModel(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) {
    throw InputError({{file.string(), 0, 0, "", "is a directory, not a model file"}});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError({{file.string(), 0, 0, "", "cannot open the model file"}});
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError({{file.string(), 0, 0, "", "error reading the model file"}});
  return ParseXgboostJsonModel(text, file.string());
}

}  // namespace crsim::data
