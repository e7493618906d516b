// Fidelity of generated data to real data: per column, how far the generated distribution is from
// the real one (`crsim fidelity`, docs/calibrate.md).
//
// Distances:
//   KolmogorovSmirnov  two-sample KS statistic D = sup_x |F_a(x) - F_b(x)| over the empirical CDFs.
//                      Both samples are sorted; the walk advances past every copy of the smaller
//                      current value in both samples before comparing, so ties (within a sample and
//                      across samples) are handled exactly: D is evaluated only at the right-continuous
//                      steps of both CDFs. O((n + m) log(n + m)). Empty sample: D = NaN.
//   TopCategoryTvd     total variation distance 1/2 sum |p_i - q_i| over the `top` most frequent
//                      categories of the REAL side (ties in frequency broken by label, ascending) plus
//                      one "other" cell holding everything else on each side. Categories are matched by
//                      their text label: a generated category whose label is not among the real top
//                      ones counts as "other". Empty side: NaN.
//
// Labels of generated data come from the scenario: HS6 as six digits ("071080"), chapter as two
// ("07"), origin and departure as their ISO codes, office as administrations.office_labels (else its
// name "<administration>-<k>"), transport mode as arrivals.transport_modes, importer as
// traders.labels[k] (else "trader-<k>"), tariff as its percentage (FormatPercent), fraud as "0"/"1"
// (truth: any fraud typology). Real data: the imported dictionaries' text, hs6 and chapter zero-padded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crsim/data/declaration_import.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

double KolmogorovSmirnov(std::vector<double> a, std::vector<double> b);

double TopCategoryTvd(const std::vector<std::string>& real, const std::vector<std::string>& generated,
                      std::size_t top = 50);

// The label of a category whose text is empty in the data: "(empty)" (scenario labels must be
// non-empty); any other text is its own label.
std::string CategoryLabel(const std::string& text);

// A percentage as a category label: rounded to 1e-4, shortest form ("8", "6.5", "3.2").
std::string FormatPercent(double percent);

// Declarations as labels and numbers, the common form of real and generated data for comparisons.
// A categorical column is absent (empty vector) when that side does not have it.
struct DeclarationSample {
  std::int64_t rows = 0;
  std::vector<std::int32_t> day;  // days since 1970-01-01 (real) or day of the run (generated)
  std::vector<std::string> office, transport_mode, hs_chapter, hs6, origin, departure, importer, tariff_percent,
      fraud;
  std::vector<double> value, mass;  // value in the data's currency, mass (quantity) in kg
};

// The real side: the imported columns that exist (hs6, value and date always do).
DeclarationSample SampleFromImport(const data::ImportedDeclarations& imported);

// The generated side: `rows` declarations spread evenly over the scenario's days (day d gets
// floor((d+1) rows / days) - floor(d rows / days)), replication 0. Deterministic for a scenario + seed.
DeclarationSample GenerateSample(const ScenarioSpec& spec, std::int64_t rows);

struct FidelityRow {
  std::string column;        // e.g. "log_value", "hs6", "hs_chapter x origin"
  std::string measure;       // "KS" or "TVD top-50"
  std::int64_t real_count = 0;
  std::int64_t generated_count = 0;
  double distance = 0.0;     // NaN when a side lacks the column
  std::optional<double> target;  // pass when distance < target; none = reported only
  bool pass() const { return target && distance < *target; }
};

struct FidelityReport {
  std::int64_t real_rows = 0, generated_rows = 0;
  std::int64_t real_nonpositive_value = 0, real_nonpositive_mass = 0;  // left out of the log columns
  std::vector<FidelityRow> rows;
  std::vector<std::string> not_compared;  // columns that one side lacks
};

// Targets (issue 7): KS < 0.1 for log value and log mass, TVD < 0.15 for each categorical column.
inline constexpr double kKsTarget = 0.1;
inline constexpr double kTvdTarget = 0.15;

FidelityReport CompareSamples(const DeclarationSample& real, const DeclarationSample& generated);

std::string FormatFidelityReport(const FidelityReport& report);
std::string FidelityReportJson(const FidelityReport& report);

// Throws InputError (naming `option`) when path is empty, is a directory, or its directory does not exist.
void CheckOutputPath(const std::filesystem::path& path, const std::string& option);

// Writes text to path atomically (a temporary file beside it, then rename); throws InputError when
// the directory does not exist, std::runtime_error when writing fails.
void WriteTextFileAtomically(const std::filesystem::path& path, const std::string& text, const std::string& option);

}  // namespace crsim::sim
