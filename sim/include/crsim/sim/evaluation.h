// Evaluation of crsim's risk models on real declaration data: train every model on a training
// file (an earlier period), score a test file (a later period), and measure how well each model's
// ranking would have selected declarations for inspection (docs/evaluate.md).
//
//   crsim evaluate --train A.csv --test B.csv --schema S.toml [--json FILE] [--threads N]
//
// Models (all trained on the training rows only; the test rows' labels are read by the metrics and
// nothing else, tests/sim/evaluation_test.cc checks that shuffling them changes no score):
//   rules       segments (HS chapter x origin, office x HS chapter, office x origin, and each of
//               chapter, origin, office alone) whose smoothed training fraud rate
//               (h + s m) / (n + s) is highest, among those with at least `rule_min_support`
//               training rows and a rate above the population rate m, become up to 64 rule
//               profiles (weight = smoothed rate - m) scored by kernels::ScoreRulesParallel.
//   unit_value  robust z of log(value / mass) against references per HS6 x origin with fallback to
//               the HS6 code (sim::PriceReference over the training rows); score = -z (cheap is
//               risky); no reference -> lowest score.
//   trader      Beta-Binomial posterior mean of the importer's fraud rate (kernels::entity_posterior)
//               from its training declarations; an importer unseen in training has the unknown id
//               0 and gets the population prior.
//   logistic    kernels::TrainLogisticModel (Eigen IRLS) on the nine kernels::Feature columns
//               built from the declared columns and training encodings.
//   xgboost     gradient-boosted trees trained with XGBoost's C API on a wider matrix (the nine
//               features, numeric columns, label-encoded categories, target encodings; see
//               TreeFeatures::names and docs/evaluate.md).
// Target encodings used as features of training rows are time-ordered: a training row sees the
// outcomes of training days strictly before its own, as the test rows see all training days.
//
// Metrics per model on the test rows, ranked by score (descending, ties by row order, NaN last):
// precision, recall and revenue recall at the top ceil(rate x rows) rows for each rate of
// kInspectionRates, and ROC AUC (ties count one half).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "crsim/data/declaration_import.h"

namespace crsim::sim {

inline constexpr std::array<double, 4> kInspectionRates = {0.01, 0.02, 0.05, 0.10};
inline constexpr std::array<const char*, 4> kInspectionRateNames = {"1", "2", "5", "10"};

struct RankingMetrics {
  std::array<double, kInspectionRates.size()> precision{};
  std::array<double, kInspectionRates.size()> recall{};
  std::array<double, kInspectionRates.size()> revenue_recall{};  // NaN when no fraud has revenue
  double auc = 0.0;
};

// Rows inspected at `rate`: ceil(rate x rows), at least 1 when rows > 0, at most rows.
std::size_t InspectedCount(std::size_t rows, double rate);

// The rows in selection order: score descending, NaN after every number, ties by row index.
std::vector<std::uint32_t> RankRows(std::span<const float> score);

// ROC AUC: the probability that a random positive outranks a random negative, ties (equal scores,
// NaN equal to NaN and below every number) counting 1/2. Precondition: both classes present.
double RocAuc(std::span<const float> score, std::span<const std::int8_t> label);

// precision@k = frauds among the top k / k; recall@k = frauds among the top k / all frauds;
// revenue recall@k = revenue of the frauds among the top k / revenue of all frauds.
RankingMetrics ComputeRankingMetrics(std::span<const float> score, std::span<const std::int8_t> label,
                                     std::span<const double> revenue);

struct EvaluationOptions {
  std::string label;  // [labels] column to predict, or "category=value" (1 where the category has that
                      // text, e.g. critical_fraud=2); empty: "fraud", else the only label
  double rule_smoothing = 20.0;      // s of the smoothed segment rate (pseudo-declarations)
  std::int64_t rule_min_support = 50;  // training rows a segment needs to become a rule
  double trader_prior_strength = 10.0;
  std::int64_t price_min_count = 5;  // observations a price reference needs
  double logistic_l2 = 1.0;
  // Tree model: chosen on an inner time split of the KCS training year (train Jan-Sep 2020, validate
  // Oct-Dec 2020; never on the validation file): precision@5 0.859 against 0.780 for XGBoost's
  // defaults (100 rounds, depth 6, eta 0.3); see docs/evaluate.md.
  int xgboost_rounds = 300;
  int xgboost_max_depth = 8;
  double xgboost_eta = 0.1;
  std::uint64_t seed = 0;
};

struct ModelResult {
  std::string name;
  std::vector<float> test_score;  // one per test row, higher = riskier
  RankingMetrics metrics;
};

struct EvaluationReport {
  std::string label;
  std::int64_t train_rows = 0;
  std::int64_t test_rows = 0;
  double test_fraud_share = 0.0;
  std::string revenue_source;              // how revenue is computed, e.g. "tariff_rate_percent / 100 x value"
  std::vector<std::string> notes;          // decisions the user should see (excluded columns, ...)
  std::vector<std::string> rule_names;     // the learned rules, highest rate first
  std::vector<ModelResult> models;
};

// The encoded features of both files, as the tree model sees them (row-major, NaN = missing).
struct TreeFeatures {
  std::vector<std::string> names;
  std::size_t train_rows = 0;
  std::size_t test_rows = 0;
  std::vector<float> train;  // train_rows x names.size()
  std::vector<float> test;   // test_rows x names.size()
  std::vector<std::int8_t> train_label;
  std::vector<std::int8_t> test_label;
};

// Checks that both files can be evaluated (label present in both, both classes in each, the test
// period after the training period, the columns the models need mapped) and throws InputError
// naming the file and the problem otherwise.
void CheckEvaluationInput(const data::ImportedDeclarations& train, const data::ImportedDeclarations& test,
                          const std::string& label);

// Trains every model on `train`, scores `test`, measures. Deterministic: the same files give the
// same report for any TBB thread count. `features_out`, when given, receives the tree features.
EvaluationReport Evaluate(const data::ImportedDeclarations& train, const data::ImportedDeclarations& test,
                          const EvaluationOptions& options, TreeFeatures* features_out = nullptr);

// The label name Evaluate uses for these options and schema labels.
std::string ResolveLabel(const data::ImportedDeclarations& train, const std::string& requested);

// The table: rows = models, columns = P@1..P@10, R@1..R@10, RR@1..RR@10, AUC.
std::string FormatEvaluationTable(const EvaluationReport& report);
// {"<model>": {"precision@1": v, ..., "recall@1": v, ..., "revenue_recall@1": v, ..., "auc": v}, ...}
// with the values printed to 17 significant digits (NaN as null).
std::string EvaluationJson(const EvaluationReport& report);

// Writes `text` to `path` through a temporary file in the same directory and a rename: either the
// complete file exists afterwards or the previous state is unchanged.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// Writes dir/features.json (names, rows, layout), dir/{train,test}_features.f32 (row-major float32,
// native little-endian, NaN = missing) and dir/{train,test}_labels.u8, each atomically.
void ExportTreeFeatures(const std::filesystem::path& dir, const TreeFeatures& features);

}  // namespace crsim::sim
