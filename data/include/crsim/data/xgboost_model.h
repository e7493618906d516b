// Loading a user's XGBoost model: XGBoost's JSON model format (as written by
// XGBoosterSaveModel("model.json"), XGBoosterSaveModelToBuffer with {"format": "json"}, or
// Python's booster.save_model("model.json")) into crsim's tree ensemble
// (crsim/kernels/tree_ensemble.h), validated and prepared for the fast engine.
//
// Read: learner.learner_model_param (base_score, num_feature, num_class, num_target),
// learner.objective.name, learner.gradient_booster (name "gbtree"; model.gbtree_model_param,
// tree_info, trees[*] with left_children, right_children, split_indices, split_conditions,
// default_left, split_type, categories*, base_weights and tree_param). A leaf is a node with
// left_children == -1; its value is split_conditions[node] (base_weights holds the unscaled
// weight, before the learning rate, and is only checked for length).
// Objectives: binary:logistic and reg:logistic (margin base logit(base_score) computed in float as
// XGBoost 1.7's ProbToMargin, output sigmoid); binary:logitraw, reg:squarederror and reg:linear
// (margin base = base_score, output = margin; for logitraw too, as XGBoost 1.7 does).
// Rejected, each with a crsim::InputError naming the file, the JSON path and line:column: invalid
// or truncated JSON (byte offset), a missing or mistyped field, multi-class or multi-target
// models (num_class > 1, num_target > 1), dart and gblinear boosters, other objectives,
// categorical splits, vector leaves, arrays of inconsistent lengths, a feature index >=
// num_feature, child indices out of range, cycles and shared subtrees, NaN thresholds.
#pragma once

#include <filesystem>
#include <string_view>

#include "crsim/data/input_error.h"
#include "crsim/kernels/tree_ensemble.h"

namespace crsim::data {

// The project's one bad-input error type (crsim/data/input_error.h), under the name callers of
// this module expect.
using InputError = crsim::InputError;

// `source_name` names the text in error messages (a file path, "<buffer>").
kernels::TreeEnsemble ParseXgboostJsonModel(std::string_view json, std::string_view source_name);

// Reads `file` and parses it; an unreadable file is an InputError too.
kernels::TreeEnsemble LoadXgboostJsonModel(const std::filesystem::path& file);

}  // namespace crsim::data
