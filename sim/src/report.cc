#include "crsim/sim/report.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <vector>

#include "crsim/data/results_file.h"
#include "crsim/sim/replications.h"
#include "crsim_git_revision.h"

namespace crsim::sim {

const char* CrsimVersion() { return CRSIM_VERSION; }
const char* CrsimGitRevision() { return CRSIM_GIT_REVISION; }

std::string FormatKpiTable(const ScenarioSpec& spec, const ExperimentResult& result) {
  constexpr int kLabelWidth = 22;
  constexpr int kColumnWidth = 16;
  std::string table = fmt::format("{:<{}}", "KPI", kLabelWidth);
  for (const StrategyResult& strategy : result.strategies) table += fmt::format("{:>{}}", strategy.name, kColumnWidth);
  table += '\n' + std::string(kLabelWidth + kColumnWidth * result.strategies.size(), '-') + '\n';
  for (const KpiDefinition& kpi : KpiDefinitions()) {
    table += fmt::format("{:<{}}", KpiLabel(kpi), kLabelWidth);
    for (const StrategyResult& strategy : result.strategies) {
      table += fmt::format("{:>{}}", FormatKpiValue(kpi.is_count, kpi.value(strategy.total)), kColumnWidth);
    }
    table += '\n';
  }
  table += fmt::format("(totals over days {}..{}; the first {} day(s) are warm-up)\n", spec.run.warmup_days,
                       spec.run.days - 1, spec.run.warmup_days);
  return table;
}

std::string FormatTypologyTable(const ExperimentResult& result) {
  constexpr int kLabelWidth = 30;
  constexpr int kColumnWidth = 16;
  std::string table = fmt::format("{:<{}}", "by typology", kLabelWidth);
  for (const StrategyResult& strategy : result.strategies) table += fmt::format("{:>{}}", strategy.name, kColumnWidth);
  table += '\n' + std::string(kLabelWidth + kColumnWidth * result.strategies.size(), '-') + '\n';
  bool any = false;
  for (int t = 0; t < data::kNumFraudTypes; ++t) {
    // Typologies that never occurred (disabled, or never available) are left out.
    bool occurred = false;
    for (const StrategyResult& strategy : result.strategies) occurred = occurred || strategy.total.by_typology[t].frauds > 0;
    if (!occurred) continue;
    any = true;
    table += std::string(data::kFraudTypeNames[t]) + '\n';
    for (const TypologyKpiDefinition& kpi : TypologyKpiDefinitions()) {
      if (kpi.name.starts_with("severity") && result.strategies.front().total.by_typology[t].severity_milli == 0) {
        continue;  // no severity at stake in this typology
      }
      table += fmt::format("  {:<{}}", MetricLabel(kpi.name), kLabelWidth - 2);
      for (const StrategyResult& strategy : result.strategies) {
        table += fmt::format("{:>{}}", FormatKpiValue(kpi.is_count, kpi.value(strategy.total.by_typology[t])), kColumnWidth);
      }
      table += '\n';
    }
  }
  if (!any) table += "(no fraud)\n";
  return table;
}

const std::vector<ChannelKpiDefinition>& ChannelKpiDefinitions() {
  using R = const StrategyResult&;
  static const std::vector<ChannelKpiDefinition> definitions = {
      {"routed", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].routed); }},
      {"mandatory", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].mandatory); }},
      {"random", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].random); }},
      {"served", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].served); }},
      {"controls", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].controls); }},
      {"hits", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].hits); }},
      {"hit_rate", false, false,
       [](R r, std::size_t c) { return DayMetrics::Ratio(r.total.by_channel[c].hits, r.total.by_channel[c].controls); }},
      {"duty_recovered_eur", true, false,
       [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].duty_recovered_cents) / 100.0; }},
      // Green declarations are released at once: 0 hours by definition (no histogram is kept).
      {"release_p50_hours", false, true,
       [](R r, std::size_t c) { return c == 0 ? 0.0 : r.release[c].Quantile(0.5); }},
      {"release_p95_hours", false, true,
       [](R r, std::size_t c) { return c == 0 ? 0.0 : r.release[c].Quantile(0.95); }},
      {"backlog_at_end", true, false, [](R r, std::size_t c) { return static_cast<double>(r.total.by_channel[c].backlog); }},
  };
  return definitions;
}

std::string FormatChannelTable(const ExperimentResult& result) {
  constexpr int kLabelWidth = 30;
  constexpr int kColumnWidth = 16;
  std::string table = fmt::format("{:<{}}", "by channel", kLabelWidth);
  for (const StrategyResult& strategy : result.strategies) table += fmt::format("{:>{}}", strategy.name, kColumnWidth);
  table += '\n' + std::string(kLabelWidth + kColumnWidth * result.strategies.size(), '-') + '\n';
  for (std::size_t c : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{0}}) {
    bool used = c == 0;
    for (const StrategyResult& strategy : result.strategies) used = used || strategy.total.by_channel[c].routed > 0;
    if (!used) continue;
    table += std::string(kChannelNames[c]) + '\n';
    for (const ChannelKpiDefinition& kpi : ChannelKpiDefinitions()) {
      table += fmt::format("  {:<{}}", MetricLabel(kpi.name), kLabelWidth - 2);
      for (const StrategyResult& strategy : result.strategies) {
        const double value = kpi.value(strategy, c);
        const std::string text = !kpi.is_hours || std::isnan(value) ? FormatKpiValue(kpi.is_count || kpi.is_hours, value)
                                                                    : fmt::format("{:.2f}", value);
        table += fmt::format("{:>{}}", text, kColumnWidth);
      }
      table += '\n';
    }
  }
  table += "(release times in hours from the start of the lodgement day; blue: time to the audit's result)\n";
  return table;
}

std::vector<std::pair<std::size_t, std::size_t>> AdministrationOfficeRanges(const ScenarioSpec& spec) {
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  std::size_t first = 0;
  for (const AdministrationSpec& administration : spec.administrations) {
    const std::size_t last = first + static_cast<std::size_t>(administration.offices);
    ranges.emplace_back(first, last);
    first = last;
  }
  return ranges;
}

const std::vector<AdministrationKpiDefinition>& AdministrationKpiDefinitions() {
  using M = const DayMetrics&;
  static const std::vector<AdministrationKpiDefinition> definitions = {
      {"declarations", true, [](M m, M) { return static_cast<double>(m.declarations); }},
      {"inspections", true, [](M m, M) { return static_cast<double>(m.inspections); }},
      {"hit_rate", false, [](M m, M) { return m.hit_rate(); }},
      {"frauds", true, [](M m, M) { return static_cast<double>(m.frauds); }},
      {"fraud_share", false, [](M m, M all) { return DayMetrics::Ratio(m.frauds, all.frauds); }},
      {"true_detection_rate", false, [](M m, M) { return m.true_detection_rate(); }},
      {"duty_recovered_eur", true, [](M m, M) { return static_cast<double>(m.duty_recovered_cents) / 100.0; }},
      {"revenue_recall", false, [](M m, M) { return m.revenue_recall(); }},
  };
  return definitions;
}

namespace {

// A table of parts of the strategies' totals (administrations, streams): a header, then for each
// part its title and the rows of AdministrationKpiDefinitions() and `extra`.
class PartTable {
 public:
  PartTable(const std::string& title, const ExperimentResult& result) : result_(result) {
    table_ = fmt::format("{:<{}}", title, kLabelWidth);
    for (const StrategyResult& strategy : result.strategies) table_ += fmt::format("{:>{}}", strategy.name, kColumnWidth);
    table_ += '\n' + std::string(kLabelWidth + kColumnWidth * result.strategies.size(), '-') + '\n';
  }

  template <typename PartOf>
  void Rows(const std::string& title, const PartOf& part_of, const std::vector<AdministrationKpiDefinition>& extra = {}) {
    table_ += title + '\n';
    for (const auto* kpis : {&AdministrationKpiDefinitions(), &extra}) {
      for (const AdministrationKpiDefinition& kpi : *kpis) {
        table_ += fmt::format("  {:<{}}", MetricLabel(kpi.name), kLabelWidth - 2);
        for (const StrategyResult& strategy : result_.strategies) {
          table_ += fmt::format("{:>{}}", FormatKpiValue(kpi.is_count, kpi.value(part_of(strategy), strategy.total)),
                                kColumnWidth);
        }
        table_ += '\n';
      }
    }
  }

  const std::string& text() const { return table_; }

 private:
  static constexpr int kLabelWidth = 30;
  static constexpr int kColumnWidth = 16;
  const ExperimentResult& result_;
  std::string table_;
};

// Prohibited goods' frauds and catches, the rows a stream adds to the administration rows.
const std::vector<AdministrationKpiDefinition>& ProhibitedGoodsKpiDefinitions() {
  using M = const DayMetrics&;
  static const std::vector<AdministrationKpiDefinition> definitions = {
      {"prohibited_goods_frauds", true, [](M m, M) { return static_cast<double>(m.by_typology[4].frauds); }},
      {"prohibited_goods_hits", true, [](M m, M) { return static_cast<double>(m.by_typology[4].hits); }},
  };
  return definitions;
}

}  // namespace

const std::vector<AdministrationKpiDefinition>& StreamKpiDefinitions() {
  static const std::vector<AdministrationKpiDefinition> definitions = [] {
    std::vector<AdministrationKpiDefinition> all = AdministrationKpiDefinitions();
    all.insert(all.end(), ProhibitedGoodsKpiDefinitions().begin(), ProhibitedGoodsKpiDefinitions().end());
    return all;
  }();
  return definitions;
}

std::string FormatStreamTable(const ScenarioSpec& spec, const ExperimentResult& result) {
  if (spec.arrivals.ecommerce.declarations_per_day <= 0.0) return {};
  PartTable table("by stream", result);
  table.Rows("ordinary", [](const StrategyResult& strategy) { return StreamPartMetrics(strategy.total, false); },
             ProhibitedGoodsKpiDefinitions());
  table.Rows("e-commerce", [](const StrategyResult& strategy) { return StreamPartMetrics(strategy.total, true); },
             ProhibitedGoodsKpiDefinitions());
  return table.text();
}

std::string FormatAdministrationTable(const ScenarioSpec& spec, const ExperimentResult& result) {
  if (spec.administrations.size() < 2) return {};
  PartTable table("by administration", result);
  const auto ranges = AdministrationOfficeRanges(spec);
  const auto rows = [&](const std::string& title, const auto& part_of) { table.Rows(title, part_of); };
  for (std::size_t a = 0; a < ranges.size(); ++a) {
    rows(spec.administrations[a].name, [&](const StrategyResult& strategy) {
      return OfficeRangeMetrics(strategy.total, ranges[a].first, ranges[a].second);
    });
  }
  rows("union", [](const StrategyResult& strategy) { return strategy.total; });
  return table.text();
}

std::string FormatThroughput(const ExperimentResult& result) {
  const auto rate = [&](double seconds) {
    return fmt::format("{:.1f}", static_cast<double>(result.declarations) / seconds / 1e6);
  };
  std::string text = fmt::format("throughput (million declarations per second; - = stage not used)\n");
  text += fmt::format("{:<12}{:>10}\n", "generate", rate(result.generate_seconds));
  text += fmt::format("{:<12}{:>10}{:>10}{:>10}{:>10}\n", "strategy", "score", "select", "inspect", "learn");
  for (const StrategyResult& strategy : result.strategies) {
    const bool scored = strategy.uses_risk_score;
    text += fmt::format("{:<12}{:>10}{:>10}{:>10}{:>10}\n", strategy.name, scored ? rate(strategy.seconds.score) : "-",
                        rate(strategy.seconds.select), rate(strategy.seconds.inspect),
                        scored ? rate(strategy.seconds.learn) : "-");
  }
  text += fmt::format("{} declarations in {:.2f} s wall time\n", result.declarations, result.total_seconds);
  // Model trainings are part of the feedback stage but reported apart ("learn" above excludes them):
  // they happen every few days, so their cost is per training and a share of the run.
  bool any_training = false;
  for (const StrategyResult& strategy : result.strategies) any_training = any_training || strategy.model.trainings > 0;
  if (!any_training) return text;
  text += fmt::format("model training (share = of the run's wall time)\n");
  text += fmt::format("{:<12}{:>13}{:>10}{:>11}{:>7}{:>13}{:>10}{:>8}\n", "strategy", "combination", "trainings",
                      "last rows", "trees", "s/training", "total s", "share");
  for (const StrategyResult& strategy : result.strategies) {
    const ModelSummary& model = strategy.model;
    if (model.trainings == 0) continue;
    const std::string trees = model.combination == "gbdt" ? std::to_string(model.trees) : "-";
    text += fmt::format("{:<12}{:>13}{:>10}{:>11}{:>7}{:>13.4f}{:>10.3f}{:>7.1f}%\n", strategy.name, model.combination,
                        model.trainings, model.last_training_rows, trees,
                        strategy.seconds.train / static_cast<double>(model.trainings), strategy.seconds.train,
                        100.0 * strategy.seconds.train / result.total_seconds);
  }
  return text;
}

namespace {

// /<prefix>/strategies/<name>/{daily,total,timing_seconds}/... for one replication.
void WriteReplication(data::ResultsFile& file, const std::string& prefix, const ExperimentResult& result,
                      const std::vector<std::string>& office_names, const std::vector<std::string>& administration_names,
                      const std::vector<std::pair<std::size_t, std::size_t>>& administration_ranges, bool ecommerce) {
  for (const StrategyResult& strategy : result.strategies) {
    const std::string base = prefix + "/strategies/" + strategy.name;
    // Raw integer counters per day: exact, and what every rate is derived from.
    const auto counter = [&](const std::string& name, auto get) {
      std::vector<std::int64_t> series;
      for (const DayMetrics& day : strategy.daily) series.push_back(get(day));
      file.WriteSeries(base + "/daily/" + name, series);
      file.WriteSeries(base + "/total/" + name, std::vector<std::int64_t>{get(strategy.total)});
    };
    const auto member = [](auto pointer) { return [pointer](const DayMetrics& day) { return day.*pointer; }; };
    counter("declarations", member(&DayMetrics::declarations));
    counter("inspections", member(&DayMetrics::inspections));
    counter("hits", member(&DayMetrics::hits));
    counter("frauds", member(&DayMetrics::frauds));
    counter("frauds_inspected", member(&DayMetrics::frauds_inspected));
    counter("compliant_inspected", member(&DayMetrics::compliant_inspected));
    counter("duty_evaded_cents", member(&DayMetrics::duty_evaded_cents));
    counter("duty_recovered_cents", member(&DayMetrics::duty_recovered_cents));
    counter("frauds_deterred", member(&DayMetrics::frauds_deterred));
    counter("phoenix_new_identities", member(&DayMetrics::phoenix_new_identities));
    // Frauds by office: .../by_office/<office>/{frauds,frauds_inspected}, to see displacement.
    for (std::size_t o = 0; o < office_names.size(); ++o) {
      counter("by_office/" + office_names[o] + "/frauds", [o](const DayMetrics& day) {
        return o < day.frauds_by_office.size() ? day.frauds_by_office[o] : std::int64_t{0};
      });
      counter("by_office/" + office_names[o] + "/frauds_inspected", [o](const DayMetrics& day) {
        return o < day.frauds_inspected_by_office.size() ? day.frauds_inspected_by_office[o] : std::int64_t{0};
      });
    }
    for (const KpiDefinition& kpi : KpiDefinitions()) {
      if (kpi.is_count) continue;
      std::vector<double> series;
      for (const DayMetrics& day : strategy.daily) series.push_back(kpi.value(day));
      file.WriteSeries(base + "/daily/" + kpi.name, series);
      file.WriteSeries(base + "/total/" + kpi.name, std::vector<double>{kpi.value(strategy.total)});
    }
    // Per typology: .../by_typology/<typology>/<counter>, integer counters only (rates derive from them).
    for (std::size_t t = 0; t < static_cast<std::size_t>(data::kNumFraudTypes); ++t) {
      const std::string typology = std::string("by_typology/") + data::kFraudTypeNames[t] + "/";
      const auto of_typology = [t](auto pointer) {
        return [pointer, t](const DayMetrics& day) { return day.by_typology[t].*pointer; };
      };
      counter(typology + "frauds", of_typology(&TypologyMetrics::frauds));
      counter(typology + "hits", of_typology(&TypologyMetrics::hits));
      counter(typology + "duty_evaded_cents", of_typology(&TypologyMetrics::duty_evaded_cents));
      counter(typology + "duty_recovered_cents", of_typology(&TypologyMetrics::duty_recovered_cents));
      counter(typology + "severity_milli", of_typology(&TypologyMetrics::severity_milli));
      counter(typology + "severity_caught_milli", of_typology(&TypologyMetrics::severity_caught_milli));
    }
    // Per channel: .../by_channel/<channel>/<counter> (int64, daily and total) and the release-time
    // percentiles of the total (float64, hours).
    for (std::size_t c = 0; c < static_cast<std::size_t>(kNumChannels); ++c) {
      const std::string channel = std::string("by_channel/") + kChannelNames[c] + "/";
      const auto of_channel = [c](auto pointer) {
        return [pointer, c](const DayMetrics& day) { return day.by_channel[c].*pointer; };
      };
      counter(channel + "routed", of_channel(&ChannelMetrics::routed));
      counter(channel + "mandatory", of_channel(&ChannelMetrics::mandatory));
      counter(channel + "random", of_channel(&ChannelMetrics::random));
      counter(channel + "served", of_channel(&ChannelMetrics::served));
      counter(channel + "controls", of_channel(&ChannelMetrics::controls));
      counter(channel + "hits", of_channel(&ChannelMetrics::hits));
      counter(channel + "duty_recovered_cents", of_channel(&ChannelMetrics::duty_recovered_cents));
      counter(channel + "release_millihours", of_channel(&ChannelMetrics::release_millihours));
      counter(channel + "backlog", of_channel(&ChannelMetrics::backlog));
      for (const ChannelKpiDefinition& kpi : ChannelKpiDefinitions()) {
        if (!kpi.is_hours) continue;
        file.WriteSeries(base + "/total/" + channel + kpi.name, std::vector<double>{kpi.value(strategy, c)});
      }
    }
    counter("random_controls", member(&DayMetrics::random_controls));
    counter("random_hits", member(&DayMetrics::random_hits));
    for (std::size_t o = 0; o < office_names.size(); ++o) {
      const auto at = [o](const std::vector<std::int64_t>& values) { return o < values.size() ? values[o] : std::int64_t{0}; };
      counter("by_office/" + office_names[o] + "/declarations",
              [at](const DayMetrics& day) { return at(day.declarations_by_office); });
      counter("by_office/" + office_names[o] + "/random_controls",
              [at](const DayMetrics& day) { return at(day.random_controls_by_office); });
      counter("by_office/" + office_names[o] + "/random_hits",
              [at](const DayMetrics& day) { return at(day.random_hits_by_office); });
    }
    // Per office and per administration: the counters a per-administration KPI derives from.
    for (std::size_t o = 0; o < office_names.size(); ++o) {
      const auto at = [o](const std::vector<std::int64_t>& values) { return o < values.size() ? values[o] : std::int64_t{0}; };
      counter("by_office/" + office_names[o] + "/inspections", [at](const DayMetrics& day) { return at(day.inspections_by_office); });
      counter("by_office/" + office_names[o] + "/hits", [at](const DayMetrics& day) { return at(day.hits_by_office); });
      counter("by_office/" + office_names[o] + "/duty_evaded_cents",
              [at](const DayMetrics& day) { return at(day.duty_evaded_cents_by_office); });
      counter("by_office/" + office_names[o] + "/duty_recovered_cents",
              [at](const DayMetrics& day) { return at(day.duty_recovered_cents_by_office); });
    }
    // A part of the metrics (an administration, a stream): its counters and the rates of
    // AdministrationKpiDefinitions() under .../<group>.
    // A stream does not keep frauds_inspected (with_frauds_inspected = false).
    const auto write_part = [&](const std::string& group, const auto& part, bool with_frauds_inspected) {
      counter(group + "declarations", [part](const DayMetrics& day) { return part(day).declarations; });
      counter(group + "inspections", [part](const DayMetrics& day) { return part(day).inspections; });
      counter(group + "hits", [part](const DayMetrics& day) { return part(day).hits; });
      counter(group + "frauds", [part](const DayMetrics& day) { return part(day).frauds; });
      if (with_frauds_inspected) {
        counter(group + "frauds_inspected", [part](const DayMetrics& day) { return part(day).frauds_inspected; });
      }
      counter(group + "duty_evaded_cents", [part](const DayMetrics& day) { return part(day).duty_evaded_cents; });
      counter(group + "duty_recovered_cents", [part](const DayMetrics& day) { return part(day).duty_recovered_cents; });
      for (const AdministrationKpiDefinition& kpi : AdministrationKpiDefinitions()) {
        if (kpi.is_count) continue;
        std::vector<double> series;
        for (const DayMetrics& day : strategy.daily) series.push_back(kpi.value(part(day), day));
        file.WriteSeries(base + "/daily/" + group + kpi.name, series);
        file.WriteSeries(base + "/total/" + group + kpi.name, std::vector<double>{kpi.value(part(strategy.total), strategy.total)});
      }
    };
    for (std::size_t a = 0; a < administration_ranges.size(); ++a) {
      const auto [first, last] = administration_ranges[a];
      write_part("by_administration/" + administration_names[a] + "/",
                 [first, last](const DayMetrics& day) { return OfficeRangeMetrics(day, first, last); }, true);
    }
    // Per stream, when the e-commerce stream is on: .../by_stream/{ordinary,ecommerce}/..., with
    // prohibited goods' frauds and hits.
    if (ecommerce) {
      for (const bool of_stream : {false, true}) {
        const std::string group = std::string("by_stream/") + (of_stream ? "ecommerce" : "ordinary") + "/";
        const auto part = [of_stream](const DayMetrics& day) { return StreamPartMetrics(day, of_stream); };
        write_part(group, part, false);
        counter(group + "prohibited_goods_frauds", [part](const DayMetrics& day) { return part(day).by_typology[4].frauds; });
        counter(group + "prohibited_goods_hits", [part](const DayMetrics& day) { return part(day).by_typology[4].hits; });
      }
    }
    const std::string timing = base + "/timing_seconds/";
    file.WriteSeries(timing + "score", std::vector<double>{strategy.seconds.score});
    file.WriteSeries(timing + "select", std::vector<double>{strategy.seconds.select});
    file.WriteSeries(timing + "inspect", std::vector<double>{strategy.seconds.inspect});
    file.WriteSeries(timing + "learn", std::vector<double>{strategy.seconds.learn});
    file.WriteSeries(timing + "train", std::vector<double>{strategy.seconds.train});
    // The risk model: its combination, and its trainings (deterministic).
    file.WriteStrings(base + "/model/combination", {strategy.model.combination});
    file.WriteSeries(base + "/model/trainings", std::vector<std::int64_t>{strategy.model.trainings});
    file.WriteSeries(base + "/model/last_training_rows", std::vector<std::int64_t>{strategy.model.last_training_rows});
    file.WriteSeries(base + "/model/trees", std::vector<std::int64_t>{strategy.model.trees});
  }
  file.WriteSeries(prefix + "/timing_seconds/generate", std::vector<double>{result.generate_seconds});
  file.WriteSeries(prefix + "/timing_seconds/total", std::vector<double>{result.total_seconds});
}

std::vector<double> AsTriple(const Interval& interval) { return {interval.mean, interval.low, interval.high}; }

}  // namespace

void WriteResultsFile(const std::filesystem::path& path, const ScenarioSpec& spec,
                      const std::vector<ExperimentResult>& replications, const RunProvenance& provenance) {
  data::ResultsFile file = data::ResultsFile::Create(path);
  std::string overrides;
  for (const std::string& override_text : spec.overrides) overrides += (overrides.empty() ? "" : "\n") + override_text;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::int64_t declarations = 0;
  for (const ExperimentResult& result : replications) declarations += static_cast<std::int64_t>(result.declarations);

  file.SetAttribute("/", "crsim_version", std::string(CrsimVersion()));
  file.SetAttribute("/", "git_revision", std::string(CrsimGitRevision()));
  file.SetAttribute("/", "scenario_path", spec.source_path);
  file.SetAttribute("/", "scenario_text", spec.source_text);
  file.SetAttribute("/", "overrides", overrides);
  file.SetAttribute("/", "command_line", provenance.command_line);
  file.SetAttribute("/", "seed", static_cast<std::int64_t>(spec.run.seed));
  file.SetAttribute("/", "threads", static_cast<std::int64_t>(provenance.threads));
  file.SetAttribute("/", "days", spec.run.days);
  file.SetAttribute("/", "warmup_days", spec.run.warmup_days);
  file.SetAttribute("/", "chunk_size", spec.run.chunk_size);
  file.SetAttribute("/", "replications", static_cast<std::int64_t>(replications.size()));
  file.SetAttribute("/", "created_utc", std::string(created));
  file.SetAttribute("/", "declarations", declarations);

  std::vector<std::string> office_names;
  for (const AdministrationSpec& administration : spec.administrations) {
    for (std::int64_t k = 1; k <= administration.offices; ++k) {
      office_names.push_back(administration.name + "-" + std::to_string(k));
    }
  }
  std::vector<std::string> administration_names;
  for (const AdministrationSpec& administration : spec.administrations) administration_names.push_back(administration.name);
  const auto administration_ranges = AdministrationOfficeRanges(spec);
  const bool ecommerce = spec.arrivals.ecommerce.declarations_per_day > 0.0;
  if (replications.size() == 1) {
    WriteReplication(file, "", replications.front(), office_names, administration_names, administration_ranges,
                     ecommerce);
  } else {
    for (const ExperimentResult& result : replications) {
      WriteReplication(file, "/replications/" + std::to_string(result.replication), result, office_names,
                       administration_names, administration_ranges, ecommerce);
    }
    const ReplicationSummary summary = SummarizeReplications(spec, replications);
    const auto write_kpis = [&](const std::vector<StrategyKpiSummary>& kpis, const std::string& group) {
      for (const StrategyKpiSummary& kpi : kpis) {
        for (std::size_t s = 0; s < summary.strategies.size(); ++s) {
          file.WriteSeries("/summary/strategies/" + summary.strategies[s] + group + "/" + kpi.kpi, AsTriple(kpi.strategy[s]));
        }
      }
    };
    const auto write_paired = [&](const std::vector<PairedDifference>& paired, const std::string& kind) {
      for (const PairedDifference& pair : paired) {
        const std::string group = pair.group.empty() ? "" : "/" + kind + "/" + pair.group;
        file.WriteSeries("/summary/paired/" + pair.first + "_minus_" + pair.second + group + "/" + pair.kpi,
                         AsTriple(pair.difference));
      }
    };
    write_kpis(summary.kpis, "");
    write_paired(summary.paired, "");
    for (const GroupKpiSummary& group : summary.by_administration) write_kpis(group.kpis, "/by_administration/" + group.group);
    write_paired(summary.paired_by_administration, "by_administration");
    for (const GroupKpiSummary& group : summary.by_typology) write_kpis(group.kpis, "/by_typology/" + group.group);
    write_paired(summary.paired_by_typology, "by_typology");
    for (const GroupKpiSummary& group : summary.by_stream) write_kpis(group.kpis, "/by_stream/" + group.group);
    write_paired(summary.paired_by_stream, "by_stream");
  }
  file.Commit();
}

}  // namespace crsim::sim
