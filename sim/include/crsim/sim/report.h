// Reporting: the console KPI table and the results.h5 file (layout in docs/hdf5-schema.md).
#pragma once

#include <filesystem>
#include <string>
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
