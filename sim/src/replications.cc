#include "crsim/sim/replications.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "crsim/sim/report.h"

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
  return kpi == "declarations" || kpi == "frauds" || kpi == "duty_evaded_eur" || kpi == "true_compliance_rate" ||
         kpi == "severity";
}

bool GroupPaired(const std::string& kpi) {
  for (const char* name : kGroupPairedKpis) {
    if (kpi == name) return true;
  }
  return false;
}

std::string FormatInterval(bool is_count, const Interval& interval) {
  if (std::isnan(interval.low)) return FormatKpiValue(is_count, interval.mean);
  const double half = (interval.high - interval.low) / 2.0;
  return FormatKpiValue(is_count, interval.mean) + " +- " + FormatKpiValue(is_count, half);
}

// One row per definition: its mean and interval per strategy. value(strategy_result, definition).
template <typename Definition, typename Value>
std::vector<StrategyKpiSummary> SummarizeKpis(const std::vector<ExperimentResult>& results,
                                              const std::vector<Definition>& definitions, const Value& value) {
  std::vector<StrategyKpiSummary> rows;
  const std::size_t strategies = results.front().strategies.size();
  for (const Definition& kpi : definitions) {
    StrategyKpiSummary row{kpi.name, {}};
    for (std::size_t s = 0; s < strategies; ++s) {
      std::vector<double> values;
      for (const ExperimentResult& result : results) values.push_back(value(result.strategies[s], kpi));
      row.strategy.push_back(MeanConfidenceInterval(values));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Every pair of strategies x every definition `keep` accepts on which they differ in some replication.
template <typename Definition, typename Value, typename Keep>
void AppendPaired(const std::vector<ExperimentResult>& results, const std::vector<std::string>& names,
                  const std::vector<Definition>& definitions, const Value& value, const Keep& keep,
                  const std::string& group, std::vector<PairedDifference>& paired) {
  for (std::size_t a = 0; a < names.size(); ++a) {
    for (std::size_t b = a + 1; b < names.size(); ++b) {
      for (const Definition& kpi : definitions) {
        if (SharedByAllStrategies(kpi.name) || !keep(kpi.name)) continue;
        std::vector<double> differences;
        bool all_zero = true;
        for (const ExperimentResult& result : results) {
          differences.push_back(value(result.strategies[a], kpi) - value(result.strategies[b], kpi));
          all_zero = all_zero && differences.back() == 0.0;
        }
        if (all_zero) continue;  // e.g. inspections when both strategies use all capacity
        paired.push_back({names[a], names[b], kpi.name, MeanConfidenceInterval(differences), group});
      }
    }
  }
}

}  // namespace

ReplicationSummary SummarizeReplications(const std::vector<ExperimentResult>& results) {
  ReplicationSummary summary;
  summary.replications = static_cast<std::int64_t>(results.size());
  if (results.empty()) return summary;
  for (const StrategyResult& strategy : results.front().strategies) summary.strategies.push_back(strategy.name);
  const auto kpi_value = [](const StrategyResult& strategy, const KpiDefinition& kpi) { return kpi.value(strategy.total); };
  const auto all = [](const std::string&) { return true; };
  summary.kpis = SummarizeKpis(results, KpiDefinitions(), kpi_value);
  AppendPaired(results, summary.strategies, KpiDefinitions(), kpi_value, all, "", summary.paired);
  // Typologies that occurred in some replication under some strategy.
  for (std::size_t t = 0; t < data::kNumFraudTypes; ++t) {
    bool occurred = false;
    for (const ExperimentResult& result : results) {
      for (const StrategyResult& strategy : result.strategies) occurred = occurred || strategy.total.by_typology[t].frauds > 0;
    }
    if (!occurred) continue;
    const auto typology_value = [t](const StrategyResult& strategy, const TypologyKpiDefinition& kpi) {
      return kpi.value(strategy.total.by_typology[t]);
    };
    const std::string name = data::kFraudTypeNames[t];
    summary.by_typology.push_back({name, SummarizeKpis(results, TypologyKpiDefinitions(), typology_value)});
    AppendPaired(results, summary.strategies, TypologyKpiDefinitions(), typology_value, GroupPaired, name,
                 summary.paired_by_typology);
  }
  return summary;
}

ReplicationSummary SummarizeReplications(const ScenarioSpec& spec, const std::vector<ExperimentResult>& results) {
  ReplicationSummary summary = SummarizeReplications(results);
  if (results.empty()) return summary;
  if (spec.arrivals.ecommerce.declarations_per_day > 0.0) {
    for (const bool ecommerce : {false, true}) {
      const auto value = [ecommerce](const StrategyResult& strategy, const AdministrationKpiDefinition& kpi) {
        return kpi.value(StreamPartMetrics(strategy.total, ecommerce), strategy.total);
      };
      const std::string name = ecommerce ? "ecommerce" : "ordinary";
      summary.by_stream.push_back({name, SummarizeKpis(results, StreamKpiDefinitions(), value)});
      AppendPaired(results, summary.strategies, StreamKpiDefinitions(), value, GroupPaired, name,
                   summary.paired_by_stream);
    }
  }
  if (spec.administrations.size() < 2) return summary;
  const auto ranges = AdministrationOfficeRanges(spec);
  for (std::size_t a = 0; a < ranges.size(); ++a) {
    const auto value = [&ranges, a](const StrategyResult& strategy, const AdministrationKpiDefinition& kpi) {
      return kpi.value(OfficeRangeMetrics(strategy.total, ranges[a].first, ranges[a].second), strategy.total);
    };
    const std::string& name = spec.administrations[a].name;
    summary.by_administration.push_back({name, SummarizeKpis(results, AdministrationKpiDefinitions(), value)});
    AppendPaired(results, summary.strategies, AdministrationKpiDefinitions(), value, GroupPaired, name,
                 summary.paired_by_administration);
  }
  return summary;
}

namespace {

constexpr int kLabelWidth = 22;
constexpr int kColumnWidth = 24;

template <typename Definition>
const Definition& FindDefinition(const std::vector<Definition>& definitions, const std::string& name) {
  for (const Definition& definition : definitions) {
    if (definition.name == name) return definition;
  }
  std::fprintf(stderr, "%s:%d: no KPI definition \"%s\"\n", __FILE__, __LINE__, name.c_str());
  std::abort();
}

template <typename Definition>
void AppendRows(const std::vector<StrategyKpiSummary>& rows, const std::vector<Definition>& definitions,
                const std::string& indent, std::string& text) {
  for (const StrategyKpiSummary& row : rows) {
    const Definition& kpi = FindDefinition(definitions, row.kpi);
    text += fmt::format("{:<{}}", indent + MetricLabel(kpi.name), kLabelWidth);
    for (const Interval& interval : row.strategy) {
      text += fmt::format("{:>{}}", FormatInterval(kpi.is_count, interval), kColumnWidth);
    }
    text += '\n';
  }
}

template <typename Definition>
void AppendPairedRows(const std::vector<PairedDifference>& paired, const std::vector<Definition>& definitions,
                      std::string& text) {
  const auto name_of = [](const PairedDifference& pair) {
    return pair.group.empty() ? pair.kpi : pair.group + " " + pair.kpi;
  };
  // The union's rows keep their 22 columns; group rows widen to their longest name.
  std::size_t name_width = 22;
  for (const PairedDifference& pair : paired) {
    if (!pair.group.empty()) name_width = std::max(name_width, name_of(pair).size() + 1);
  }
  for (const PairedDifference& pair : paired) {
    const Definition& kpi = FindDefinition(definitions, pair.kpi);
    const bool significant =
        !std::isnan(pair.difference.low) && (pair.difference.low > 0.0 || pair.difference.high < 0.0);
    text += fmt::format("  {:<18} {:<{}}{:>24} {}\n", pair.first + " - " + pair.second, name_of(pair), name_width,
                        FormatInterval(kpi.is_count, pair.difference), significant ? "*" : "");
  }
}

template <typename Definition>
void AppendGroups(const std::string& title, const std::vector<GroupKpiSummary>& groups,
                  const std::vector<PairedDifference>& paired, const std::vector<Definition>& definitions,
                  std::size_t strategies, std::string& text) {
  if (groups.empty()) return;
  text += '\n' + title + '\n' + std::string(kLabelWidth + kColumnWidth * strategies, '-') + '\n';
  for (const GroupKpiSummary& group : groups) {
    text += group.group + '\n';
    AppendRows(group.kpis, definitions, "  ", text);
  }
  if (!paired.empty()) {
    text += "\npaired differences " + title + " (first - second); * = the 95% interval excludes 0\n";
    AppendPairedRows(paired, definitions, text);
  }
}

}  // namespace

std::string FormatReplicationSummary(const ReplicationSummary& summary) {
  std::string text = fmt::format("{} replications: mean +- half-width of the 95% confidence interval\n\n",
                                 summary.replications);
  text += fmt::format("{:<{}}", "KPI", kLabelWidth);
  for (const std::string& name : summary.strategies) text += fmt::format("{:>{}}", name, kColumnWidth);
  text += '\n' + std::string(kLabelWidth + kColumnWidth * summary.strategies.size(), '-') + '\n';
  AppendRows(summary.kpis, KpiDefinitions(), "", text);
  if (!summary.paired.empty()) {
    text += "\npaired differences (first - second); * = the 95% interval excludes 0\n";
    AppendPairedRows(summary.paired, KpiDefinitions(), text);
  }
  AppendGroups("by administration", summary.by_administration, summary.paired_by_administration,
               AdministrationKpiDefinitions(), summary.strategies.size(), text);
  AppendGroups("by typology", summary.by_typology, summary.paired_by_typology, TypologyKpiDefinitions(),
               summary.strategies.size(), text);
  AppendGroups("by stream", summary.by_stream, summary.paired_by_stream, StreamKpiDefinitions(),
               summary.strategies.size(), text);
  return text;
}

}  // namespace crsim::sim
