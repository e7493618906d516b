#include "crsim/sim/replications.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace crsim::sim {

double StudentT975(std::int64_t degrees_of_freedom) {
  static constexpr double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                      2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                      2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (degrees_of_freedom < 1) return std::numeric_limits<double>::quiet_NaN();
  if (degrees_of_freedom <= 30) return kTable[degrees_of_freedom - 1];
  // Cornish-Fisher expansion of the t quantile around the normal one (Abramowitz & Stegun 26.7.5).
  const double z = 1.959963984540054;
  const double n = static_cast<double>(degrees_of_freedom);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

Interval MeanConfidenceInterval(std::span<const double> values) {
  const auto n = static_cast<double>(values.size());
  Interval interval;
  if (values.empty()) {
    interval.mean = interval.low = interval.high = std::numeric_limits<double>::quiet_NaN();
    return interval;
  }
  double sum = 0.0;
  for (const double v : values) sum += v;
  interval.mean = sum / n;
  if (values.size() < 2) {
    interval.low = interval.high = std::numeric_limits<double>::quiet_NaN();
    return interval;
  }
  double squares = 0.0;
  for (const double v : values) squares += (v - interval.mean) * (v - interval.mean);
  const double half_width =
      StudentT975(static_cast<std::int64_t>(values.size()) - 1) * std::sqrt(squares / (n - 1.0) / n);
  interval.low = interval.mean - half_width;
  interval.high = interval.mean + half_width;
  return interval;
}

namespace {

// KPIs that common random numbers make identical across strategies: no paired difference.
bool SharedByAllStrategies(const std::string& kpi) {
  return kpi == "declarations" || kpi == "frauds" || kpi == "duty_evaded_eur" || kpi == "true_compliance_rate";
}

std::string FormatInterval(const KpiDefinition& kpi, const Interval& interval) {
  if (std::isnan(interval.low)) return FormatKpiValue(kpi.is_count, interval.mean);
  const double half = (interval.high - interval.low) / 2.0;
  return FormatKpiValue(kpi.is_count, interval.mean) + " +- " + FormatKpiValue(kpi.is_count, half);
}

}  // namespace

ReplicationSummary SummarizeReplications(const std::vector<ExperimentResult>& results) {
  ReplicationSummary summary;
  summary.replications = static_cast<std::int64_t>(results.size());
  if (results.empty()) return summary;
  for (const StrategyResult& strategy : results.front().strategies) summary.strategies.push_back(strategy.name);
  const std::size_t strategies = summary.strategies.size();
  for (const KpiDefinition& kpi : KpiDefinitions()) {
    StrategyKpiSummary row{kpi.name, {}};
    for (std::size_t s = 0; s < strategies; ++s) {
      std::vector<double> values;
      for (const ExperimentResult& result : results) values.push_back(kpi.value(result.strategies[s].total));
      row.strategy.push_back(MeanConfidenceInterval(values));
    }
    summary.kpis.push_back(std::move(row));
  }
  for (std::size_t a = 0; a < strategies; ++a) {
    for (std::size_t b = a + 1; b < strategies; ++b) {
      for (const KpiDefinition& kpi : KpiDefinitions()) {
        if (SharedByAllStrategies(kpi.name)) continue;
        std::vector<double> differences;
        bool all_zero = true;
        for (const ExperimentResult& result : results) {
          differences.push_back(kpi.value(result.strategies[a].total) - kpi.value(result.strategies[b].total));
          all_zero = all_zero && differences.back() == 0.0;
        }
        if (all_zero) continue;  // e.g. inspections when both strategies use all capacity
        summary.paired.push_back({summary.strategies[a], summary.strategies[b], kpi.name,
                                  MeanConfidenceInterval(differences)});
      }
    }
  }
  return summary;
}

std::string FormatReplicationSummary(const ReplicationSummary& summary) {
  constexpr int kLabelWidth = 22;
  constexpr int kColumnWidth = 24;
  std::string text = fmt::format("{} replications: mean +- half-width of the 95% confidence interval\n\n",
                                 summary.replications);
  text += fmt::format("{:<{}}", "KPI", kLabelWidth);
  for (const std::string& name : summary.strategies) text += fmt::format("{:>{}}", name, kColumnWidth);
  text += '\n' + std::string(kLabelWidth + kColumnWidth * summary.strategies.size(), '-') + '\n';
  const auto& definitions = KpiDefinitions();
  for (std::size_t k = 0; k < summary.kpis.size(); ++k) {
    text += fmt::format("{:<{}}", KpiLabel(definitions[k]), kLabelWidth);
    for (const Interval& interval : summary.kpis[k].strategy) {
      text += fmt::format("{:>{}}", FormatInterval(definitions[k], interval), kColumnWidth);
    }
    text += '\n';
  }
  if (!summary.paired.empty()) {
    text += "\npaired differences (first - second); * = the 95% interval excludes 0\n";
    for (const PairedDifference& pair : summary.paired) {
      const KpiDefinition* kpi = nullptr;
      for (const KpiDefinition& definition : definitions) {
        if (definition.name == pair.kpi) kpi = &definition;
      }
      const bool significant =
          !std::isnan(pair.difference.low) && (pair.difference.low > 0.0 || pair.difference.high < 0.0);
      text += fmt::format("  {:<18} {:<22}{:>24} {}\n", pair.first + " - " + pair.second, pair.kpi,
                          FormatInterval(*kpi, pair.difference), significant ? "*" : "");
    }
  }
  return text;
}

}  // namespace crsim::sim
