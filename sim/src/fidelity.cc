#include "crsim/sim/fidelity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>
#include <unistd.h>

#include <fmt/format.h>

#include "crsim/data/declaration_batch.h"
#include "crsim/data/input_error.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

double KolmogorovSmirnov(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) return kNaN;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size());
  const double nb = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  double d = 0.0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  // Once one sample is exhausted its CDF is 1 and the other's only rises towards 1: no larger gap.
  return d;
}

double TopCategoryTvd(const std::vector<std::string>& real, const std::vector<std::string>& generated,
                      std::size_t top) {
  if (real.empty() || generated.empty()) return kNaN;
  std::map<std::string, std::int64_t> real_counts;
  for (const std::string& label : real) ++real_counts[label];
  std::vector<std::pair<std::int64_t, std::string>> ranked;
  for (const auto& [label, count] : real_counts) ranked.emplace_back(-count, label);
  std::sort(ranked.begin(), ranked.end());  // most frequent first, then label ascending
  ranked.resize(std::min(top, ranked.size()));
  std::map<std::string, std::size_t> cell;
  for (std::size_t k = 0; k < ranked.size(); ++k) cell.emplace(ranked[k].second, k);
  const std::size_t other = ranked.size();
  std::vector<double> p(other + 1, 0.0), q(other + 1, 0.0);
  for (const auto& [label, count] : real_counts) {
    const auto it = cell.find(label);
    p[it == cell.end() ? other : it->second] += static_cast<double>(count);
  }
  for (const std::string& label : generated) {
    const auto it = cell.find(label);
    q[it == cell.end() ? other : it->second] += 1.0;
  }
  double distance = 0.0;
  for (std::size_t k = 0; k <= other; ++k) {
    distance += std::fabs(p[k] / static_cast<double>(real.size()) - q[k] / static_cast<double>(generated.size()));
  }
  return 0.5 * distance;
}

std::string CategoryLabel(const std::string& text) { return text.empty() ? std::string("(empty)") : text; }

std::string FormatPercent(double percent) {
  const double rounded = std::round(percent * 1e4) / 1e4;
  return fmt::format("{}", rounded == 0.0 ? 0.0 : rounded);
}

namespace {

std::string Padded(std::int64_t value, int digits) { return fmt::format("{:0{}d}", value, digits); }

const std::vector<std::string>* Dictionary(const data::ImportedDeclarations& imported, const std::string& name,
                                           const data::ImportedColumn** column) {
  *column = imported.Find(name);
  return *column == nullptr ? nullptr : &(*column)->dictionary;
}

void Labels(const data::ImportedDeclarations& imported, const std::string& name, std::vector<std::string>& out) {
  const data::ImportedColumn* column = nullptr;
  const std::vector<std::string>* dictionary = Dictionary(imported, name, &column);
  if (dictionary == nullptr) return;
  out.reserve(column->integers.size());
  for (const std::int32_t id : column->integers) {
    out.push_back(CategoryLabel((*dictionary)[static_cast<std::size_t>(id)]));
  }
}

}  // namespace

DeclarationSample SampleFromImport(const data::ImportedDeclarations& imported) {
  DeclarationSample sample;
  sample.rows = imported.rows;
  if (const auto* date = imported.Find("date")) sample.day = date->integers;
  Labels(imported, "office", sample.office);
  Labels(imported, "mode", sample.transport_mode);
  Labels(imported, "origin", sample.origin);
  Labels(imported, "departure", sample.departure);
  Labels(imported, "importer", sample.importer);
  if (const auto* hs6 = imported.Find("hs6")) {
    for (const std::int32_t code : hs6->integers) {
      sample.hs6.push_back(Padded(code, 6));
      sample.hs_chapter.push_back(Padded(code / 10000, 2));
    }
  }
  if (const auto* tariff = imported.Find("tariff_rate_percent")) {
    for (const double rate : tariff->numbers) sample.tariff_percent.push_back(FormatPercent(rate));
  }
  if (const auto* fraud = imported.Find("fraud")) {
    for (const std::int8_t label : fraud->labels) sample.fraud.push_back(label != 0 ? "1" : "0");
  }
  if (const auto* value = imported.Find("value")) sample.value = value->numbers;
  if (const auto* mass = imported.Find("mass_kg")) sample.mass = mass->numbers;
  return sample;
}

DeclarationSample GenerateSample(const ScenarioSpec& spec, std::int64_t rows) {
  const World world = BuildWorld(spec, 0);
  Generator generator(world, spec, 0);
  DeclarationSample sample;
  sample.rows = rows;
  const auto reserve = static_cast<std::size_t>(rows);
  for (auto* column : {&sample.office, &sample.hs_chapter, &sample.hs6, &sample.origin, &sample.departure,
                       &sample.importer, &sample.tariff_percent, &sample.fraud}) {
    column->reserve(reserve);
  }
  const bool with_modes = !spec.arrivals.transport_modes.empty();
  data::DeclarationBatch batch;
  const std::int64_t days = spec.run.days;
  for (std::int64_t day = 0; day < days; ++day) {
    const std::int64_t count = (day + 1) * rows / days - day * rows / days;
    generator.GenerateRows(day, static_cast<std::size_t>(count), batch, static_cast<std::size_t>(spec.run.chunk_size));
    const data::DeclaredView declared = batch.declared();
    const data::TruthView truth = batch.truth();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const std::uint32_t code = declared.hs6[i];
      sample.day.push_back(static_cast<std::int32_t>(day));
      sample.office.push_back(world.offices[declared.office[i]].label);
      if (with_modes) sample.transport_mode.push_back(spec.arrivals.transport_modes[declared.transport_mode[i] - 1u]);
      sample.hs6.push_back(Padded(world.catalogue.hs6_code[code], 6));
      sample.hs_chapter.push_back(Padded(world.catalogue.chapter[code], 2));
      sample.origin.push_back(world.country_iso[declared.origin[i]]);
      sample.departure.push_back(world.country_iso[declared.departure[i]]);
      const std::uint32_t trader = declared.trader[i];
      sample.importer.push_back(trader < spec.traders.labels.size() ? spec.traders.labels[trader]
                                                                     : fmt::format("trader-{}", trader));
      sample.tariff_percent.push_back(FormatPercent(100.0 * static_cast<double>(world.catalogue.tariff_rate[code])));
      sample.fraud.push_back(truth.fraud_type[i] != 0 ? "1" : "0");
      sample.value.push_back(static_cast<double>(declared.declared_value[i]));
      sample.mass.push_back(static_cast<double>(declared.declared_quantity[i]));
    }
  }
  return sample;
}

namespace {

// Logs of the positive values (the others are counted).
std::vector<double> PositiveLogs(const std::vector<double>& values, std::int64_t* nonpositive) {
  std::vector<double> logs;
  logs.reserve(values.size());
  for (const double v : values) {
    if (v > 0.0) {
      logs.push_back(std::log(v));
    } else if (nonpositive != nullptr) {
      ++*nonpositive;
    }
  }
  return logs;
}

std::vector<double> LogRatios(const std::vector<double>& value, const std::vector<double>& mass) {
  std::vector<double> logs;
  for (std::size_t i = 0; i < value.size() && i < mass.size(); ++i) {
    if (value[i] > 0.0 && mass[i] > 0.0) logs.push_back(std::log(value[i] / mass[i]));
  }
  return logs;
}

std::vector<std::string> Pairs(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> pairs;
  if (a.size() != b.size()) return pairs;
  pairs.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) pairs.push_back(a[i] + "|" + b[i]);
  return pairs;
}

}  // namespace

FidelityReport CompareSamples(const DeclarationSample& real, const DeclarationSample& generated) {
  FidelityReport report;
  report.real_rows = real.rows;
  report.generated_rows = generated.rows;
  auto numeric = [&](std::string name, const std::vector<double>& a, const std::vector<double>& b,
                     std::optional<double> target) {
    if (a.empty() || b.empty()) {
      report.not_compared.push_back(name);
      return;
    }
    report.rows.push_back({std::move(name), "KS", static_cast<std::int64_t>(a.size()),
                           static_cast<std::int64_t>(b.size()), KolmogorovSmirnov(a, b), target});
  };
  numeric("log_value", PositiveLogs(real.value, &report.real_nonpositive_value), PositiveLogs(generated.value, nullptr),
          kKsTarget);
  numeric("log_mass", PositiveLogs(real.mass, &report.real_nonpositive_mass), PositiveLogs(generated.mass, nullptr),
          kKsTarget);
  auto categorical = [&](std::string name, const std::vector<std::string>& a, const std::vector<std::string>& b,
                         std::optional<double> target) {
    if (a.empty() || b.empty()) {
      report.not_compared.push_back(name);
      return;
    }
    report.rows.push_back({std::move(name), "TVD top-50", static_cast<std::int64_t>(a.size()),
                           static_cast<std::int64_t>(b.size()), TopCategoryTvd(a, b, 50), target});
  };
  categorical("office", real.office, generated.office, kTvdTarget);
  categorical("transport_mode", real.transport_mode, generated.transport_mode, kTvdTarget);
  categorical("hs_chapter", real.hs_chapter, generated.hs_chapter, kTvdTarget);
  categorical("hs6", real.hs6, generated.hs6, kTvdTarget);
  categorical("origin", real.origin, generated.origin, kTvdTarget);
  categorical("departure", real.departure, generated.departure, kTvdTarget);
  categorical("importer", real.importer, generated.importer, kTvdTarget);
  categorical("tariff_percent", real.tariff_percent, generated.tariff_percent, kTvdTarget);
  categorical("fraud", real.fraud, generated.fraud, kTvdTarget);
  // Pairs: reported without a target.
  categorical("hs_chapter x origin", Pairs(real.hs_chapter, real.origin), Pairs(generated.hs_chapter, generated.origin),
              std::nullopt);
  categorical("origin x departure", Pairs(real.origin, real.departure), Pairs(generated.origin, generated.departure),
              std::nullopt);
  numeric("value x mass: log(value/mass)", LogRatios(real.value, real.mass), LogRatios(generated.value, generated.mass),
          std::nullopt);
  return report;
}

std::string FormatFidelityReport(const FidelityReport& report) {
  std::string out = fmt::format("real rows: {}, generated rows: {}\n", report.real_rows, report.generated_rows);
  if (report.real_nonpositive_value > 0 || report.real_nonpositive_mass > 0) {
    out += fmt::format("real rows left out of the log columns: {} with value <= 0, {} with mass <= 0\n",
                       report.real_nonpositive_value, report.real_nonpositive_mass);
  }
  out += fmt::format("\n{:<30} {:<11} {:>9} {:>9} {:>9} {:>8}  {}\n", "column", "distance", "real n", "gen n", "value",
                     "target", "result");
  for (const FidelityRow& row : report.rows) {
    out += fmt::format("{:<30} {:<11} {:>9} {:>9} {:>9.4f} {:>8}  {}\n", row.column, row.measure, row.real_count,
                       row.generated_count, row.distance, row.target ? fmt::format("< {}", *row.target) : "-",
                       row.target ? (row.pass() ? "PASS" : "FAIL") : "-");
  }
  for (const std::string& name : report.not_compared) {
    out += fmt::format("{:<30} not compared: one side lacks the column\n", name);
  }
  out += "\nKS: two-sample Kolmogorov-Smirnov of the logs (rows > 0). TVD top-50: total variation over the real\n"
         "file's 50 most frequent categories + other, categories matched by label. Pairs: no target.\n";
  return out;
}

std::string FidelityReportJson(const FidelityReport& report) {
  std::string out = fmt::format("{{\n  \"real_rows\": {},\n  \"generated_rows\": {},\n  \"columns\": [\n",
                                report.real_rows, report.generated_rows);
  for (std::size_t i = 0; i < report.rows.size(); ++i) {
    const FidelityRow& row = report.rows[i];
    out += fmt::format(
        "    {{\"column\": \"{}\", \"measure\": \"{}\", \"real_n\": {}, \"generated_n\": {}, \"distance\": {}, "
        "\"target\": {}, \"pass\": {}}}{}\n",
        row.column, row.measure, row.real_count, row.generated_count,
        std::isfinite(row.distance) ? fmt::format("{:.6f}", row.distance) : "null",
        row.target ? fmt::format("{}", *row.target) : "null", row.target ? (row.pass() ? "true" : "false") : "null",
        i + 1 < report.rows.size() ? "," : "");
  }
  out += "  ],\n  \"not_compared\": [";
  for (std::size_t i = 0; i < report.not_compared.size(); ++i) {
    out += fmt::format("{}\"{}\"", i ? ", " : "", report.not_compared[i]);
  }
  out += "]\n}\n";
  return out;
}

void CheckOutputPath(const std::filesystem::path& path, const std::string& option) {
  std::error_code error;
  if (path.empty()) throw InputError({{option, 0, 0, "", "the output path is empty"}});
  if (path.has_parent_path() && !std::filesystem::is_directory(path.parent_path(), error)) {
    throw InputError({{option, 0, 0, "", "directory " + path.parent_path().string() + " does not exist"}});
  }
  if (std::filesystem::is_directory(path, error)) {
    throw InputError({{option, 0, 0, "", path.string() + " is a directory"}});
  }
}

void WriteTextFileAtomically(const std::filesystem::path& path, const std::string& text, const std::string& option) {
  CheckOutputPath(path, option);
  std::error_code error;
  std::filesystem::path temporary = path;
  temporary += ".tmp-" + std::to_string(::getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot create " + temporary.string());
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    std::filesystem::remove(temporary, error);
    throw std::runtime_error("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + path.string());
  }
}

}  // namespace crsim::sim
