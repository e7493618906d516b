// Reporting: the console KPI table and the results.h5 file (layout in docs/hdf5-schema.md).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "crsim/sim/experiment.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

// KPI rows x strategy columns, totals over the measured days (after warm-up).
std::string FormatKpiTable(const ScenarioSpec& spec, const ExperimentResult& result);

// Frauds, hits, true detection rate, duty evaded and recovered, severity and severity caught per
// fraud typology (rows) and strategy (columns), totals over the measured days; typologies that never
// occurred are left out.
std::string FormatTypologyTable(const ExperimentResult& result);

// Per control channel (rows) and strategy (columns), totals over the measured days: routed,
// mandatory, random, served, controls, hits, hit rate, duty recovered, release time p50 and p95
// (hours) and the backlog at the end; channels no strategy used are left out (green always shown).
std::string FormatChannelTable(const ExperimentResult& result);

// Per administration (rows grouped by administration, then the union) and strategy (columns), totals
// over the measured days: declarations, inspections, hit rate, frauds, fraud share (the
// administration's share of the union's frauds: displacement), true detection rate, duty recovered
// and revenue recall. Empty with a single administration (the KPI table is then the union's).
std::string FormatAdministrationTable(const ScenarioSpec& spec, const ExperimentResult& result);

// Per stream (ordinary declarations, then the e-commerce stream of [arrivals.ecommerce]) and
// strategy, totals over the measured days: the administration table's rows (fraud share = the
// stream's share of all frauds) plus prohibited goods' frauds and catches. Empty when the stream is off.
std::string FormatStreamTable(const ScenarioSpec& spec, const ExperimentResult& result);

// The office range [first, last) of each administration, in scenario order.
std::vector<std::pair<std::size_t, std::size_t>> AdministrationOfficeRanges(const ScenarioSpec& spec);

// One row of the administration table and of the by_administration datasets (rates only; the
// counters are written as integers). `union_total` is the strategy's total over all administrations.
struct AdministrationKpiDefinition {
  std::string name;
  bool is_count;
  double (*value)(const DayMetrics& administration, const DayMetrics& union_total);
};
const std::vector<AdministrationKpiDefinition>& AdministrationKpiDefinitions();
// The rows of the "by stream" table: AdministrationKpiDefinitions() then prohibited goods' frauds and
// hits (the stream's part from StreamPartMetrics, the union's total).
const std::vector<AdministrationKpiDefinition>& StreamKpiDefinitions();

// One row of the channel table and of the by_channel datasets.
struct ChannelKpiDefinition {
  std::string name;  // also the HDF5 dataset name
  bool is_count;
  bool is_hours;     // a time in hours (printed with one decimal)
  double (*value)(const StrategyResult&, std::size_t channel);
};
const std::vector<ChannelKpiDefinition>& ChannelKpiDefinitions();

// Stage throughput (declarations per second) per strategy.
std::string FormatThroughput(const ExperimentResult& result);

struct RunProvenance {
  int threads = 0;
  std::string command_line;
};

// Writes results atomically: a temporary file renamed to `path` once complete. One replication is
// written at the top level (/strategies/...); several under /replications/<r>/ with a /summary.
void WriteResultsFile(const std::filesystem::path& path, const ScenarioSpec& spec,
                      const std::vector<ExperimentResult>& replications, const RunProvenance& provenance);

const char* CrsimVersion();
const char* CrsimGitRevision();

}  // namespace crsim::sim
