// crsim: the command-line program.
//
//   crsim validate FILE [--set key=value]...
//   crsim run FILE [--out DIR] [--threads N] [--seed S] [--replications R] [--set key=value]...
//   crsim inspect-data FILE [--rows N] [--set key=value]...
//   crsim import --csv FILE --schema SCHEMA.toml --out FILE.h5 [--threads N] [--skip-bad-rows]
//   crsim evaluate --train A.csv --test B.csv --schema SCHEMA.toml [--json FILE] [--threads N]
//                  [--label NAME] [--export-features DIR]
//   crsim calibrate --csv FILE --schema SCHEMA.toml --out SCENARIO.toml [--days N] [--seed S]
//   crsim fidelity --real FILE --schema SCHEMA.toml --scenario SCENARIO.toml [--rows N] [--json FILE]
//   crsim model-info --model FILE.json [--features N]
//
// Exit codes: 0 success, 2 bad input (scenario, override or command line; nothing is written),
// 1 any other failure.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crsim/data/declaration_import.h"
#include "crsim/data/input_error.h"
#include "crsim/sim/evaluation.h"
#include "crsim/sim/calibration.h"
#include "crsim/data/xgboost_model.h"
#include "crsim/kernels/tree_ensemble.h"
#include "crsim/sim/experiment.h"
#include "crsim/sim/fidelity.h"
#include "crsim/sim/replications.h"
#include "crsim/sim/report.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/separability.h"

namespace {

constexpr int kExitBadInput = 2;

struct Options {
  std::string scenario_path;
  std::string csv_path;
  std::string schema_path;
  std::string out_file;
  std::string train_path;
  std::string test_path;
  std::string json_path;
  std::string export_dir;
  std::string label;
  bool skip_bad_rows = false;
  std::vector<std::string> overrides;
  std::string out_dir;
  int threads = 0;
  std::optional<std::uint64_t> seed;
  std::optional<std::int64_t> replications;
  std::int64_t rows = 1000000;
  std::optional<std::int64_t> days;
  std::optional<std::int64_t> fidelity_rows;
  std::string json_file;
  std::string model_path;
  std::optional<std::int64_t> model_features;
};

// Imports a CSV with a schema (calibrate and fidelity), every row or an InputError.
crsim::data::ImportedDeclarations ImportCsv(const std::string& csv_path, const crsim::data::ImportSchema& schema) {
  const crsim::data::CsvDocument csv = crsim::data::CsvDocument::Load(csv_path, schema.delimiter);
  return crsim::data::ImportDeclarations(csv, schema);
}

int Calibrate(const Options& options) {
  crsim::sim::CheckOutputPath(options.out_file, "--out");
  const crsim::data::ImportSchema schema = crsim::data::LoadImportSchema(options.schema_path);
  const crsim::data::ImportedDeclarations imported = ImportCsv(options.csv_path, schema);
  crsim::sim::CalibrationOptions calibration;
  calibration.days = options.days;
  calibration.seed = options.seed.value_or(1);
  calibration.source_description = options.csv_path + " with schema " + options.schema_path;
  const std::string text = crsim::sim::CalibrateScenario(imported, schema, calibration);
  crsim::sim::WriteTextFileAtomically(options.out_file, text, "--out");
  fmt::print("{}: {} rows -> {}\n", options.csv_path, imported.rows, options.out_file);
  return 0;
}

int Fidelity(const Options& options) {
  if (!options.json_file.empty()) crsim::sim::CheckOutputPath(options.json_file, "--json");
  const crsim::sim::ScenarioSpec spec = crsim::sim::LoadScenarioFile(options.scenario_path);
  const crsim::data::ImportSchema schema = crsim::data::LoadImportSchema(options.schema_path);
  const crsim::data::ImportedDeclarations imported = ImportCsv(options.csv_path, schema);
  const std::int64_t rows = options.fidelity_rows.value_or(imported.rows);
  const crsim::sim::FidelityReport report = crsim::sim::CompareSamples(
      crsim::sim::SampleFromImport(imported), crsim::sim::GenerateSample(spec, rows));
  fmt::print("{} vs {}\n{}", options.csv_path, options.scenario_path, crsim::sim::FormatFidelityReport(report));
  if (!options.json_file.empty()) {
    crsim::sim::WriteTextFileAtomically(options.json_file, crsim::sim::FidelityReportJson(report), "--json");
  }
  return 0;
}

int Validate(const Options& options) {
  const crsim::sim::ScenarioSpec spec = crsim::sim::LoadScenarioFile(options.scenario_path, options.overrides);
  fmt::print("{}: valid ({} days, about {:.0f} declarations per day, {} administrations, strategies:",
             options.scenario_path, spec.run.days, spec.arrivals.declarations_per_day, spec.administrations.size());
  for (const std::string& name : spec.run.strategies) fmt::print(" {}", name);
  fmt::print(")\n");
  return 0;
}

int InspectData(const Options& options) {
  const crsim::sim::ScenarioSpec spec = crsim::sim::LoadScenarioFile(options.scenario_path, options.overrides);
  fmt::print("{}: fraud as generated\n", spec.source_path);
  fmt::print("{}", crsim::sim::FormatSeparabilityReport(crsim::sim::InspectData(spec, options.rows)));
  return 0;
}

int Run(const Options& options, const std::string& command_line) {
  std::vector<std::string> overrides = options.overrides;
  if (options.seed) overrides.push_back("run.seed=" + std::to_string(*options.seed));
  if (options.replications) overrides.push_back("run.replications=" + std::to_string(*options.replications));
  const crsim::sim::ScenarioSpec spec = crsim::sim::LoadScenarioFile(options.scenario_path, overrides);

  const std::filesystem::path out_dir =
      options.out_dir.empty() ? std::filesystem::path("out") / std::filesystem::path(options.scenario_path).stem()
                              : std::filesystem::path(options.out_dir);
  std::error_code error;
  if (std::filesystem::exists(out_dir, error) && !std::filesystem::is_directory(out_dir, error)) {
    throw crsim::InputError({{"--out", 0, 0, "", out_dir.string() + " exists and is not a directory"}});
  }
  std::filesystem::create_directories(out_dir, error);
  if (error) {
    throw crsim::InputError({{"--out", 0, 0, "", "cannot create " + out_dir.string() + ": " + error.message()}});
  }

  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  fmt::print("crsim {} ({}): {} with {} thread(s), seed {}\n", crsim::sim::CrsimVersion(),
             crsim::sim::CrsimGitRevision(), spec.source_path, threads, spec.run.seed);
  std::vector<crsim::sim::ExperimentResult> replications;
  for (std::int64_t r = 0; r < spec.run.replications; ++r) {
    replications.push_back(crsim::sim::RunExperiment(spec, static_cast<std::uint32_t>(r)));
  }

  if (replications.size() == 1) {
    fmt::print("\n{}\n", crsim::sim::FormatKpiTable(spec, replications.front()));
    fmt::print("{}\n", crsim::sim::FormatTypologyTable(replications.front()));
    fmt::print("{}\n", crsim::sim::FormatChannelTable(replications.front()));
    if (spec.administrations.size() > 1) fmt::print("{}\n", crsim::sim::FormatAdministrationTable(spec, replications.front()));
    if (const std::string streams = crsim::sim::FormatStreamTable(spec, replications.front()); !streams.empty()) {
      fmt::print("{}\n", streams);
    }
  } else {
    fmt::print("\n{}\n", crsim::sim::FormatReplicationSummary(crsim::sim::SummarizeReplications(spec, replications)));
  }
  if (replications.size() > 1) fmt::print("(throughput of the last replication)\n");
  fmt::print("{}", crsim::sim::FormatThroughput(replications.back()));
  const std::filesystem::path results_path = out_dir / "results.h5";
  crsim::sim::WriteResultsFile(results_path, spec, replications, {threads, command_line});
  fmt::print("results: {}\n", results_path.string());
  return 0;
}

// Loads an XGBoost JSON model (crsim/data/xgboost_model.h) and describes it; a bad or unsupported
// model, or a feature count that differs from --features, is bad input (exit code 2).
int ModelInfo(const Options& options) {
  const crsim::kernels::TreeEnsemble model = crsim::data::LoadXgboostJsonModel(options.model_path);
  if (options.model_features && static_cast<std::size_t>(*options.model_features) != model.num_features) {
    throw crsim::InputError({{options.model_path, 0, 0, "learner.learner_model_param.num_feature",
                              fmt::format("the model has {} features but --features says {}", model.num_features,
                                          *options.model_features)}});
  }
  const crsim::kernels::TreeEnsembleSummary summary = crsim::kernels::SummarizeTreeEnsemble(model);
  const bool logistic = model.transform == crsim::kernels::MarginTransform::kLogistic;
  fmt::print("model: {}\n", options.model_path);
  fmt::print("objective: {} (output: {})\n", model.objective, logistic ? "sigmoid of the margin" : "the margin");
  fmt::print("trees: {}\n", summary.trees);
  fmt::print("max depth: {}\n", summary.max_depth);
  fmt::print("leaves: {}\n", summary.leaves);
  fmt::print("internal nodes: {}\n", summary.internal_nodes);
  fmt::print("features: {}\n", model.num_features);
  fmt::print("base margin: {:.9g}\n", model.base_margin + 0.0f);  // + 0: print -0 as 0
  fmt::print("distinct thresholds: {} (at most {} per feature)\n", summary.distinct_thresholds,
             summary.max_thresholds_per_feature);
  fmt::print("bins: u{}\n", summary.bin_bits);
  if (summary.trees_beyond_bit_planes > 0) {
    fmt::print("trees deeper than {} (scored row by row): {}\n", crsim::kernels::kMaxBitPlaneDepth,
               summary.trees_beyond_bit_planes);
  }
  return 0;
}

int Import(const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  const crsim::data::ImportSchema schema = crsim::data::LoadImportSchema(options.schema_path);
  const std::filesystem::path out = options.out_file;
  std::error_code error;
  if (out.has_parent_path() && !std::filesystem::is_directory(out.parent_path(), error)) {
    throw crsim::InputError({{"--out", 0, 0, "", "directory " + out.parent_path().string() + " does not exist"}});
  }
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
  const crsim::data::CsvDocument csv = crsim::data::CsvDocument::Load(options.csv_path, schema.delimiter);
  crsim::data::ImportOptions import_options;
  import_options.skip_bad_rows = options.skip_bad_rows;
  const crsim::data::ImportedDeclarations imported = crsim::data::ImportDeclarations(csv, schema, import_options);
  crsim::data::WriteImportedDeclarations(out, imported, schema, crsim::sim::CrsimVersion());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{}: {} rows imported into {} ({:.1f} MB in {:.2f} s with {} thread(s))\n", options.csv_path,
             imported.rows, out.string(), static_cast<double>(csv.byte_size()) / 1e6, seconds, threads);
  for (const crsim::data::ImportedColumn& column : imported.columns) {
    if (!column.dictionary.empty()) {
      fmt::print("  {:<20} {} categories\n", column.name, column.dictionary.size() - 1);
    }
  }
  if (imported.skipped_rows > 0) {
    fmt::print(stderr, "crsim: warning: skipped {} bad row(s); the first:\n", imported.skipped_rows);
    for (const crsim::InputProblem& problem : imported.skipped_examples) fmt::print(stderr, "  {}\n", problem.Format());
  }
  return 0;
}

void RequireParentDirectory(const std::string& option, const std::string& path) {
  const std::filesystem::path file = path;
  std::error_code error;
  if (file.has_parent_path() && !std::filesystem::is_directory(file.parent_path(), error)) {
    throw crsim::InputError({{option, 0, 0, "", "directory " + file.parent_path().string() + " does not exist"}});
  }
}

int Evaluate(const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  const crsim::data::ImportSchema schema = crsim::data::LoadImportSchema(options.schema_path);
  if (!options.json_path.empty()) RequireParentDirectory("--json", options.json_path);
  if (!options.export_dir.empty()) RequireParentDirectory("--export-features", options.export_dir);
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));

  const crsim::data::CsvDocument train_csv = crsim::data::CsvDocument::Load(options.train_path, schema.delimiter);
  const crsim::data::CsvDocument test_csv = crsim::data::CsvDocument::Load(options.test_path, schema.delimiter);
  const crsim::data::ImportedDeclarations train = crsim::data::ImportDeclarations(train_csv, schema);
  const std::string label = crsim::sim::ResolveLabel(train, options.label);
  // A test file without the label column is not a schema typo but a file that cannot be evaluated.
  const auto equals = label.find('=');
  const std::string& label_column = equals == std::string::npos ? schema.labels.at(label).csv_column
                                                                : schema.categories.count(label.substr(0, equals)) != 0
                                                                      ? schema.categories.at(label.substr(0, equals)).csv_column
                                                                      : schema.columns.at(label.substr(0, equals)).csv_column;
  const auto& test_header = test_csv.header();
  if (std::find(test_header.begin(), test_header.end(), label_column) == test_header.end()) {
    throw crsim::InputError({{options.test_path, 1, 0, label,
                              "the test file has no label column \"" + label_column +
                                  "\": evaluate needs the true outcome of every test declaration"}});
  }
  const crsim::data::ImportedDeclarations test = crsim::data::ImportDeclarations(test_csv, schema);

  crsim::sim::EvaluationOptions evaluation_options;
  evaluation_options.label = label;
  crsim::sim::TreeFeatures features;
  const crsim::sim::EvaluationReport report =
      crsim::sim::Evaluate(train, test, evaluation_options, options.export_dir.empty() ? nullptr : &features);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto csv_column = [&](const std::string& field) {
    const auto it = schema.columns.find(field);
    return it == schema.columns.end() ? field : "\"" + it->second.csv_column + "\"";
  };
  fmt::print("crsim {}: trained on {} ({} rows), tested on {} ({} rows, {:.1f}% {})\n", crsim::sim::CrsimVersion(),
             options.train_path, report.train_rows, options.test_path, report.test_rows,
             100.0 * report.test_fraud_share, label);
  fmt::print("P/R/RR@x = precision / recall / revenue recall when the top x% of test rows by score are inspected;\n"
             "revenue = {} / 100 x {} of each fraud ({} learned rules)\n\n",
             csv_column("tariff_rate_percent"), csv_column("value"), report.rule_names.size());
  fmt::print("{}", crsim::sim::FormatEvaluationTable(report));
  for (const std::string& note : report.notes) fmt::print("note: {}\n", note);
  if (!options.json_path.empty()) {
    crsim::sim::WriteFileAtomically(options.json_path, crsim::sim::EvaluationJson(report));
    fmt::print("json: {}\n", options.json_path);
  }
  if (!options.export_dir.empty()) {
    crsim::sim::ExportTreeFeatures(options.export_dir, features);
    fmt::print("tree features: {} ({} columns)\n", options.export_dir, features.names.size());
  }
  fmt::print("evaluated in {:.2f} s with {} thread(s)\n", seconds, threads);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"crsim: customs risk-management simulator"};
  app.set_version_flag("--version", std::string("crsim ") + crsim::sim::CrsimVersion() + " (" +
                                        crsim::sim::CrsimGitRevision() + ")");
  app.require_subcommand(1);
  Options options;

  CLI::App* validate = app.add_subcommand("validate", "Check a scenario file and report every problem in it");
  validate->add_option("scenario", options.scenario_path, "Scenario TOML file")->required();
  validate->add_option("--set", options.overrides, "Override a scenario key, e.g. --set run.days=5 (repeatable)");

  CLI::App* run = app.add_subcommand("run", "Run a scenario and write DIR/results.h5");
  run->add_option("scenario", options.scenario_path, "Scenario TOML file")->required();
  run->add_option("--out", options.out_dir, "Output directory (default: out/<scenario name>)");
  run->add_option("--threads", options.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  run->add_option("--seed", options.seed, "Master seed, same as --set run.seed=S");
  run->add_option("--replications", options.replications,
                  "Independent replications, same as --set run.replications=R; reports means with 95% intervals");
  run->add_option("--set", options.overrides, "Override a scenario key, e.g. --set run.days=5 (repeatable)");

  CLI::App* inspect = app.add_subcommand(
      "inspect-data", "Per fraud typology: prevalence, duty evaded and how separable it is by each declared feature");
  inspect->add_option("scenario", options.scenario_path, "Scenario TOML file")->required();
  inspect->add_option("--rows", options.rows, "Declarations to sample (whole days; default 1000000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000}));
  inspect->add_option("--set", options.overrides, "Override a scenario key, e.g. --set run.days=5 (repeatable)");

  CLI::App* import = app.add_subcommand("import", "Import a CSV export of declarations into an HDF5 file");
  import->add_option("--csv", options.csv_path, "CSV file, first line a header")->required();
  import->add_option("--schema", options.schema_path, "Schema TOML mapping crsim fields to CSV columns")->required();
  import->add_option("--out", options.out_file, "HDF5 file to write")->required();
  import->add_option("--threads", options.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  import->add_flag("--skip-bad-rows", options.skip_bad_rows,
                   "Leave out malformed rows (and report how many) instead of stopping at them");

  CLI::App* evaluate = app.add_subcommand(
      "evaluate", "Train every risk model on one CSV export and measure how well it selects on a later one");
  evaluate->add_option("--train", options.train_path, "CSV of the training period")->required();
  evaluate->add_option("--test", options.test_path, "CSV of a later period, with labels")->required();
  evaluate->add_option("--schema", options.schema_path, "Schema TOML mapping crsim fields to CSV columns")->required();
  evaluate->add_option("--json", options.json_path, "Also write the metrics as JSON: model -> metric -> value");
  evaluate->add_option("--label", options.label, "Label to predict: a [labels] column (default: fraud, or the only one), or CATEGORY=VALUE, e.g. critical_fraud=2");
  evaluate->add_option("--export-features", options.export_dir,
                       "Write the tree model's encoded features to DIR (for bench/peers/xgboost_kcs.py)");
  evaluate->add_option("--threads", options.threads, "Worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  CLI::App* calibrate =
      app.add_subcommand("calibrate", "Fit the generator to a CSV of real declarations and write a scenario");
  calibrate->add_option("--csv", options.csv_path, "CSV file, first line a header")->required();
  calibrate->add_option("--schema", options.schema_path, "Schema TOML mapping crsim fields to CSV columns")->required();
  calibrate->add_option("--out", options.out_file, "Scenario TOML file to write")->required();
  calibrate->add_option("--days", options.days, "Days of the scenario (default: the span of the dates)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{36500}));
  calibrate->add_option("--seed", options.seed, "run.seed of the scenario (default 1)");

  CLI::App* fidelity = app.add_subcommand(
      "fidelity", "Distance between real declarations and data generated from a scenario, per column");
  fidelity->add_option("--real", options.csv_path, "CSV file of real declarations")->required();
  fidelity->add_option("--schema", options.schema_path, "Schema TOML mapping crsim fields to CSV columns")->required();
  fidelity->add_option("--scenario", options.scenario_path, "Scenario TOML file to generate from")->required();
  fidelity->add_option("--rows", options.fidelity_rows, "Declarations to generate (default: as many as the real file)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000}));
  fidelity->add_option("--json", options.json_file, "Also write the table as JSON to this file");
  CLI::App* model_info = app.add_subcommand("model-info", "Load an XGBoost JSON model and describe it");
  model_info->add_option("--model", options.model_path, "XGBoost JSON model (booster.save_model(\"x.json\"))")
      ->required();
  model_info->add_option("--features", options.model_features,
                         "Expected feature count: a model with another count is an error")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 31));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }

  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    if (validate->parsed()) return Validate(options);
    if (import->parsed()) return Import(options);
    if (evaluate->parsed()) return Evaluate(options);
    if (calibrate->parsed()) return Calibrate(options);
    if (fidelity->parsed()) return Fidelity(options);
    if (inspect->parsed()) return InspectData(options);
    if (model_info->parsed()) return ModelInfo(options);
    return Run(options, command_line);
  } catch (const crsim::InputError& e) {
    std::fprintf(stderr, "crsim: error: invalid input\n%s\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crsim: error: %s\n", e.what());
    return 1;
  }
}
