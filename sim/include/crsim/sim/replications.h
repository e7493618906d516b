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
#include "crsim/sim/scenario.h"

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
  std::string group;          // the administration or typology of a group row; empty for the union
};

// The KPIs of one part of the results (an administration, or a fraud typology) over replications.
struct GroupKpiSummary {
  std::string group;                     // administration name, typology name (data::kFraudTypeNames) or stream
  std::vector<StrategyKpiSummary> kpis;  // AdministrationKpiDefinitions(), TypologyKpiDefinitions() or StreamKpiDefinitions(), in order
};

struct ReplicationSummary {
  std::int64_t replications = 0;
  std::vector<std::string> strategies;
  std::vector<StrategyKpiSummary> kpis;     // every KPI of KpiDefinitions(), in order
  std::vector<PairedDifference> paired;     // every pair of strategies x every KPI on which they differ in some replication
  // Per administration (scenarios with two or more, summarised with the scenario): its offices'
  // KPIs (OfficeRangeMetrics), in scenario order.
  std::vector<GroupKpiSummary> by_administration;
  // Per fraud typology that occurred in some replication, in typology order (every typology of
  // data::kFraudTypeNames, whatever their number).
  std::vector<GroupKpiSummary> by_typology;
  // Paired differences of the group rows, for the KPIs of kGroupPairedKpis only (true detection,
  // hits, revenue, displacement), with the same rules as `paired`.
  std::vector<PairedDifference> paired_by_administration;
  std::vector<PairedDifference> paired_by_typology;
  // Per arrival stream ("ordinary", "ecommerce"; scenarios with [arrivals.ecommerce] on, summarised
  // with the scenario): StreamKpiDefinitions() of each stream's part (StreamPartMetrics), and their
  // paired differences with the same rules as the other groups.
  std::vector<GroupKpiSummary> by_stream;
  std::vector<PairedDifference> paired_by_stream;
};

// The group KPIs that get paired differences: the effects the policy questions ask about.
inline constexpr const char* kGroupPairedKpis[] = {"hits", "true_detection_rate", "duty_recovered_eur", "revenue_recall",
                                                   "fraud_share"};

// Union KPIs and typology rows (no administration rows: they need the scenario).
ReplicationSummary SummarizeReplications(const std::vector<ExperimentResult>& results);
// The same, with the per-administration rows when the scenario has two or more administrations.
ReplicationSummary SummarizeReplications(const ScenarioSpec& spec, const std::vector<ExperimentResult>& results);

// The console tables: KPI means with their intervals per strategy, then the paired differences;
// then the same per administration and per typology.
std::string FormatReplicationSummary(const ReplicationSummary& summary);

}  // namespace crsim::sim
