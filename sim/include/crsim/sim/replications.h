// Replications: several independent runs of one scenario, summarised with confidence intervals.
//
// Replication r draws every random number (world, arrivals, inspections, random picks) from streams
// keyed by (seed, r), so replications are independent, and replication 0 is exactly the single
// run. Within a replication all strategies share the world and the arrivals (common random
// numbers), so strategy differences are paired: the interval of the mean paired difference is
// much tighter than the difference of two independent intervals.
//
// Intervals are two-sided 95% Student-t intervals over the replications' totals:
//   mean +- t(0.975, R-1) x sd / sqrt(R)
// With R = 1 there is no interval: low and high are NaN and the tables print the mean alone.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crsim/sim/experiment.h"

namespace crsim::sim {

// Two-sided 95% quantile of Student's t with the given degrees of freedom (>= 1): exact table
// values to 3 decimals up to 30, a Cornish-Fisher expansion above (error below 1e-4).
double StudentT975(std::int64_t degrees_of_freedom);

struct Interval {
  double mean = 0.0;
  double low = 0.0;   // NaN when there are fewer than two values
  double high = 0.0;  // NaN when there are fewer than two values
};

Interval MeanConfidenceInterval(std::span<const double> values);

struct StrategyKpiSummary {
  std::string kpi;                  // KpiDefinition name
  std::vector<Interval> strategy;   // one per strategy, in scenario order
};

struct PairedDifference {
  std::string first, second;  // strategy names: the difference is first - second
  std::string kpi;
  Interval difference;
};

struct ReplicationSummary {
  std::int64_t replications = 0;
  std::vector<std::string> strategies;
  std::vector<StrategyKpiSummary> kpis;     // every KPI of KpiDefinitions(), in order
  std::vector<PairedDifference> paired;     // every pair of strategies x every KPI on which they differ in some replication
};

ReplicationSummary SummarizeReplications(const std::vector<ExperimentResult>& results);

// The console tables: KPI means with their intervals per strategy, then the paired differences.
std::string FormatReplicationSummary(const ReplicationSummary& summary);

}  // namespace crsim::sim
