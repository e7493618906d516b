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
