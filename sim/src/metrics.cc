#include "crsim/sim/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace crsim::sim {

namespace {
void AddCounts(std::vector<std::int64_t>& sum, const std::vector<std::int64_t>& other) {
  if (sum.size() < other.size()) sum.resize(other.size(), 0);
  for (std::size_t i = 0; i < other.size(); ++i) sum[i] += other[i];
}
}  // namespace

DayMetrics& DayMetrics::operator+=(const DayMetrics& other) {
  declarations += other.declarations;
  inspections += other.inspections;
  hits += other.hits;
  frauds += other.frauds;
  frauds_inspected += other.frauds_inspected;
  compliant_inspected += other.compliant_inspected;
  duty_evaded_cents += other.duty_evaded_cents;
  duty_recovered_cents += other.duty_recovered_cents;
  for (std::size_t t = 0; t < by_typology.size(); ++t) by_typology[t] += other.by_typology[t];
  frauds_deterred += other.frauds_deterred;
  phoenix_new_identities += other.phoenix_new_identities;
  AddCounts(frauds_by_office, other.frauds_by_office);
  AddCounts(frauds_inspected_by_office, other.frauds_inspected_by_office);
  AddCounts(frauds_by_chapter, other.frauds_by_chapter);
  AddCounts(frauds_inspected_by_chapter, other.frauds_inspected_by_chapter);
  for (std::size_t c = 0; c < by_channel.size(); ++c) by_channel[c] += other.by_channel[c];
  random_controls += other.random_controls;
  random_hits += other.random_hits;
  AddCounts(declarations_by_office, other.declarations_by_office);
  AddCounts(random_controls_by_office, other.random_controls_by_office);
  AddCounts(random_hits_by_office, other.random_hits_by_office);
  AddCounts(inspections_by_office, other.inspections_by_office);
  AddCounts(hits_by_office, other.hits_by_office);
  AddCounts(duty_evaded_cents_by_office, other.duty_evaded_cents_by_office);
  AddCounts(duty_recovered_cents_by_office, other.duty_recovered_cents_by_office);
  ecommerce += other.ecommerce;
  return *this;
}

StreamCounters& StreamCounters::operator+=(const StreamCounters& other) {
  declarations += other.declarations;
  inspections += other.inspections;
  hits += other.hits;
  frauds += other.frauds;
  duty_evaded_cents += other.duty_evaded_cents;
  duty_recovered_cents += other.duty_recovered_cents;
  prohibited_frauds += other.prohibited_frauds;
  prohibited_hits += other.prohibited_hits;
  return *this;
}

DayMetrics StreamPartMetrics(const DayMetrics& metrics, bool ecommerce) {
  static_assert(data::kFraudProhibitedGoods == 1u << 4);
  const StreamCounters& stream = metrics.ecommerce;
  const TypologyMetrics& prohibited = metrics.by_typology[4];
  const auto part = [&](std::int64_t total, std::int64_t of_stream) { return ecommerce ? of_stream : total - of_stream; };
  DayMetrics result;
  result.declarations = part(metrics.declarations, stream.declarations);
  result.inspections = part(metrics.inspections, stream.inspections);
  result.hits = part(metrics.hits, stream.hits);
  result.frauds = part(metrics.frauds, stream.frauds);
  result.duty_evaded_cents = part(metrics.duty_evaded_cents, stream.duty_evaded_cents);
  result.duty_recovered_cents = part(metrics.duty_recovered_cents, stream.duty_recovered_cents);
  result.by_typology[4].frauds = part(prohibited.frauds, stream.prohibited_frauds);
  result.by_typology[4].hits = part(prohibited.hits, stream.prohibited_hits);
  return result;
}

ChannelMetrics& ChannelMetrics::operator+=(const ChannelMetrics& other) {
  routed += other.routed;
  mandatory += other.mandatory;
  random += other.random;
  served += other.served;
  controls += other.controls;
  hits += other.hits;
  duty_recovered_cents += other.duty_recovered_cents;
  release_millihours += other.release_millihours;
  backlog = other.backlog;  // a level: the later value
  return *this;
}

DayMetrics OfficeRangeMetrics(const DayMetrics& metrics, std::size_t first_office, std::size_t last_office) {
  DayMetrics part;
  const auto slice = [&](const std::vector<std::int64_t>& values, std::int64_t& sum) {
    std::vector<std::int64_t> sliced(last_office - first_office, 0);
    for (std::size_t o = first_office; o < last_office && o < values.size(); ++o) {
      sliced[o - first_office] = values[o];
      sum += values[o];
    }
    return sliced;
  };
  part.declarations_by_office = slice(metrics.declarations_by_office, part.declarations);
  part.inspections_by_office = slice(metrics.inspections_by_office, part.inspections);
  part.hits_by_office = slice(metrics.hits_by_office, part.hits);
  part.frauds_by_office = slice(metrics.frauds_by_office, part.frauds);
  part.frauds_inspected_by_office = slice(metrics.frauds_inspected_by_office, part.frauds_inspected);
  part.duty_evaded_cents_by_office = slice(metrics.duty_evaded_cents_by_office, part.duty_evaded_cents);
  part.duty_recovered_cents_by_office = slice(metrics.duty_recovered_cents_by_office, part.duty_recovered_cents);
  part.random_controls_by_office = slice(metrics.random_controls_by_office, part.random_controls);
  part.random_hits_by_office = slice(metrics.random_hits_by_office, part.random_hits);
  part.compliant_inspected = part.inspections - part.frauds_inspected;
  return part;
}

double DayMetrics::estimated_compliance_rate() const {
  double weighted = 0.0, weight = 0.0;
  for (std::size_t o = 0; o < random_controls_by_office.size() && o < declarations_by_office.size(); ++o) {
    if (random_controls_by_office[o] == 0) continue;
    const auto declared = static_cast<double>(declarations_by_office[o]);
    const double hit_rate = static_cast<double>(random_hits_by_office[o]) / static_cast<double>(random_controls_by_office[o]);
    weighted += declared * (1.0 - hit_rate);
    weight += declared;
  }
  return weight == 0.0 ? std::numeric_limits<double>::quiet_NaN() : weighted / weight;
}

TypologyMetrics& TypologyMetrics::operator+=(const TypologyMetrics& other) {
  frauds += other.frauds;
  hits += other.hits;
  duty_evaded_cents += other.duty_evaded_cents;
  duty_recovered_cents += other.duty_recovered_cents;
  severity_milli += other.severity_milli;
  severity_caught_milli += other.severity_caught_milli;
  return *this;
}

const std::vector<TypologyKpiDefinition>& TypologyKpiDefinitions() {
  static const std::vector<TypologyKpiDefinition> definitions = {
      {"frauds", true, [](const TypologyMetrics& m) { return static_cast<double>(m.frauds); }},
      {"hits", true, [](const TypologyMetrics& m) { return static_cast<double>(m.hits); }},
      {"true_detection_rate", false, [](const TypologyMetrics& m) { return m.true_detection_rate(); }},
      {"duty_evaded_eur", true, [](const TypologyMetrics& m) { return static_cast<double>(m.duty_evaded_cents) / 100.0; }},
      {"duty_recovered_eur", true,
       [](const TypologyMetrics& m) { return static_cast<double>(m.duty_recovered_cents) / 100.0; }},
      {"severity", true, [](const TypologyMetrics& m) { return static_cast<double>(m.severity_milli) / 1000.0; }},
      {"severity_caught", true,
       [](const TypologyMetrics& m) { return static_cast<double>(m.severity_caught_milli) / 1000.0; }},
  };
  return definitions;
}

const std::vector<KpiDefinition>& KpiDefinitions() {
  static const std::vector<KpiDefinition> definitions = {
      {"declarations", true, [](const DayMetrics& m) { return static_cast<double>(m.declarations); }},
      {"inspections", true, [](const DayMetrics& m) { return static_cast<double>(m.inspections); }},
      {"inspection_rate", false, [](const DayMetrics& m) { return m.inspection_rate(); }},
      {"hits", true, [](const DayMetrics& m) { return static_cast<double>(m.hits); }},
      {"hit_rate", false, [](const DayMetrics& m) { return m.hit_rate(); }},
      {"frauds", true, [](const DayMetrics& m) { return static_cast<double>(m.frauds); }},
      {"true_detection_rate", false, [](const DayMetrics& m) { return m.true_detection_rate(); }},
      {"duty_evaded_eur", true, [](const DayMetrics& m) { return static_cast<double>(m.duty_evaded_cents) / 100.0; }},
      {"duty_recovered_eur", true, [](const DayMetrics& m) { return static_cast<double>(m.duty_recovered_cents) / 100.0; }},
      {"revenue_recall", false, [](const DayMetrics& m) { return m.revenue_recall(); }},
      {"compliant_inspected", true, [](const DayMetrics& m) { return static_cast<double>(m.compliant_inspected); }},
      {"random_controls", true, [](const DayMetrics& m) { return static_cast<double>(m.random_controls); }},
      {"estimated_compliance_rate", false, [](const DayMetrics& m) { return m.estimated_compliance_rate(); }},
      {"true_compliance_rate", false, [](const DayMetrics& m) { return m.true_compliance_rate(); }},
      {"compliance_gap", false,
       [](const DayMetrics& m) { return m.estimated_compliance_rate() - m.true_compliance_rate(); }},
  };
  return definitions;
}

std::string FormatKpiValue(bool is_count, double value) {
  if (std::isnan(value)) return "-";  // undefined (no random controls to estimate from)
  return is_count ? fmt::format("{:.0f}", value) : fmt::format("{:.2f}%", 100.0 * value);
}

std::string KpiLabel(const KpiDefinition& kpi) { return MetricLabel(kpi.name); }

std::string MetricLabel(const std::string& name) {
  std::string label = name;
  for (char& c : label) {
    if (c == '_') c = ' ';
  }
  if (label.ends_with(" eur")) label = label.substr(0, label.size() - 4) + " (EUR)";
  return label;
}

}  // namespace crsim::sim
