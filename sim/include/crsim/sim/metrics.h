// Metrics: what a strategy achieved, per day and in total.
//
// Counts and money are kept as integers (money in euro cents, each declaration's duty rounded to the
// nearest cent), so sums are exact and independent of the order in which parallel chunks are merged.
// Rates are derived from the sums when reported. Definitions (docs/metrics.md):
//   hits                 inspected declarations where the inspection found the fraud
//   hit rate             hits / inspections                 (what the administration sees)
//   true detection rate  hits / frauds                      (what really happened)
//   revenue recall       duty recovered / duty evaded
//   compliant inspected  inspected declarations that carried no fraud (burden on honest trade)
//   estimated compliance 1 - hit rate of random controls, per office, weighted by the office's
//                        declarations (what the administration can know)
//   true compliance      1 - frauds / declarations              (what really holds)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "crsim/data/declaration_batch.h"

namespace crsim::sim {

// The counters of one fraud typology. A declaration carrying several typologies counts in each.
// Severity is in thousandths of the truth's severity weight, rounded per declaration, so it sums
// exactly like money.
struct TypologyMetrics {
  std::int64_t frauds = 0;
  std::int64_t hits = 0;
  std::int64_t duty_evaded_cents = 0;
  std::int64_t duty_recovered_cents = 0;
  std::int64_t severity_milli = 0;         // total severity of the typology's frauds
  std::int64_t severity_caught_milli = 0;  // severity of those detected

  TypologyMetrics& operator+=(const TypologyMetrics& other);
  bool operator==(const TypologyMetrics&) const = default;
  double true_detection_rate() const { return frauds == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(frauds); }
};

// Control channels (crsim/sim/channels.h): red = physical examination, yellow = documentary check,
// blue = post-clearance audit, green = release without control. Index = Channel value.
inline constexpr int kNumChannels = 4;
inline constexpr const char* kChannelNames[kNumChannels] = {"green", "red", "yellow", "blue"};

// The counters of one channel for one day.
struct ChannelMetrics {
  std::int64_t routed = 0;     // declarations sent to the channel that day (green: released without control)
  std::int64_t mandatory = 0;  // of those, sent by a mandatory rule
  std::int64_t random = 0;     // of those, picked at random (random minimum, or a strategy's random picks)
  std::int64_t served = 0;     // controls taken from the channel's queues that day (<= capacity; green: routed)
  std::int64_t controls = 0;   // controls whose result became known that day (blue: audits completed)
  std::int64_t hits = 0;       // of those, frauds found
  std::int64_t duty_recovered_cents = 0;
  std::int64_t release_millihours = 0;  // sum over served of the release time (blue: time to the result), 1/1000 h
  // Controls waiting at the end of the day. A level, not a flow: a sum of days keeps the later
  // day's value, so a total holds the backlog at the end of its last day.
  std::int64_t backlog = 0;

  ChannelMetrics& operator+=(const ChannelMetrics& other);
  bool operator==(const ChannelMetrics&) const = default;
};

// The counters of the e-commerce stream alone ([arrivals.ecommerce]; the declarations lodged by its
// intermediaries): what it lodged and what controls of it found, counted like the day's totals
// (controls when their result becomes known). The ordinary flow is the total minus these.
struct StreamCounters {
  std::int64_t declarations = 0;
  std::int64_t inspections = 0;
  std::int64_t hits = 0;
  std::int64_t frauds = 0;
  std::int64_t duty_evaded_cents = 0;
  std::int64_t duty_recovered_cents = 0;
  std::int64_t prohibited_frauds = 0;  // frauds carrying prohibited goods
  std::int64_t prohibited_hits = 0;    // of those, detected

  StreamCounters& operator+=(const StreamCounters& other);
  bool operator==(const StreamCounters&) const = default;
};

struct DayMetrics {
  std::int64_t declarations = 0;
  std::int64_t inspections = 0;
  std::int64_t hits = 0;
  std::int64_t frauds = 0;
  std::int64_t frauds_inspected = 0;       // frauds among the inspected, detected or not
  std::int64_t compliant_inspected = 0;
  std::int64_t duty_evaded_cents = 0;
  std::int64_t duty_recovered_cents = 0;
  std::array<TypologyMetrics, data::kNumFraudTypes> by_typology{};  // indexed by FraudTypeBit position
  // Fraud attempts given up because their expected penalty exceeded their expected gain (adaptive
  // fraudsters only; 0 otherwise).
  std::int64_t frauds_deterred = 0;
  std::int64_t phoenix_new_identities = 0;  // phoenix identities that started trading today ([fraud.phoenix])
  // Frauds by the office they were lodged at (global office index), to see displacement. Sized to
  // the number of offices by the inspector; a sum takes the longer size.
  std::vector<std::int64_t> frauds_by_office;
  std::vector<std::int64_t> frauds_inspected_by_office;  // of those, inspected (the same sizing)
  // The same by declared HS chapter (index = chapter number 1..97; the inspector sizes them 98).
  std::vector<std::int64_t> frauds_by_chapter;
  std::vector<std::int64_t> frauds_inspected_by_chapter;
  std::array<ChannelMetrics, kNumChannels> by_channel{};
  // Random controls: the selection-bias gap. Per office (sized like frauds_by_office): declarations
  // lodged, random controls whose result became known, and their hits.
  std::int64_t random_controls = 0;
  std::int64_t random_hits = 0;
  std::vector<std::int64_t> declarations_by_office;
  std::vector<std::int64_t> random_controls_by_office;
  std::vector<std::int64_t> random_hits_by_office;
  // Per office (the same sizing), to break results out per administration (OfficeRangeMetrics):
  // controls whose result became known (same day or completed later), their hits, and duty evaded
  // by the frauds lodged at the office and recovered by its controls.
  std::vector<std::int64_t> inspections_by_office;
  std::vector<std::int64_t> hits_by_office;
  std::vector<std::int64_t> duty_evaded_cents_by_office;
  std::vector<std::int64_t> duty_recovered_cents_by_office;
  StreamCounters ecommerce;  // the e-commerce stream's part (zero when it is off)

  DayMetrics& operator+=(const DayMetrics& other);
  bool operator==(const DayMetrics&) const = default;

  double inspection_rate() const { return Ratio(inspections, declarations); }
  double hit_rate() const { return Ratio(hits, inspections); }
  double true_detection_rate() const { return Ratio(hits, frauds); }
  double revenue_recall() const { return Ratio(duty_recovered_cents, duty_evaded_cents); }
  double fraud_prevalence() const { return Ratio(frauds, declarations); }
  double true_compliance_rate() const { return declarations == 0 ? 0.0 : 1.0 - fraud_prevalence(); }
  // sum_o N_o (1 - h_o / r_o) / sum_o N_o over offices o with r_o > 0 random controls (N_o
  // declarations, h_o random hits): a stratified estimate; NaN without random controls.
  double estimated_compliance_rate() const;

  static double Ratio(std::int64_t numerator, std::int64_t denominator) {
    return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
  }
};

// The metrics of the offices [first_office, last_office) alone (an administration's offices are
// contiguous): declarations, inspections, hits, frauds, frauds inspected, compliant inspected, duty
// evaded and recovered, random controls and hits, and the by-office vectors of those offices
// (re-indexed from 0), all from the by-office counters; typology, chapter and channel breakdowns
// and frauds deterred are left at zero. Summed over a partition of the offices, every counter
// equals the union's.
DayMetrics OfficeRangeMetrics(const DayMetrics& metrics, std::size_t first_office, std::size_t last_office);

// The e-commerce stream's part of the metrics (ecommerce = true) or the ordinary flow's (the total
// minus it): declarations, inspections, hits, frauds, duty evaded and recovered, and the
// prohibited-goods typology's frauds and hits; the other counters are left at zero. The two parts sum to the total's counters.
DayMetrics StreamPartMetrics(const DayMetrics& metrics, bool ecommerce);

// One row of the KPI table: a name, a unit hint and how to read it from DayMetrics.
struct KpiDefinition {
  std::string name;     // also the HDF5 dataset name
  bool is_count;        // integer count (or cents) vs a rate in [0, 1]
  double (*value)(const DayMetrics&);
};

// The KPIs in the order they are printed and stored.
const std::vector<KpiDefinition>& KpiDefinitions();

// A KPI value as printed in tables: counts and euros as whole numbers, rates as percentages.
std::string FormatKpiValue(bool is_count, double value);

// The KPI's name as printed in tables: "duty_recovered_eur" -> "duty recovered (EUR)".
std::string KpiLabel(const KpiDefinition& kpi);
std::string MetricLabel(const std::string& name);

// One row of the "by typology" table and of the by_typology datasets.
struct TypologyKpiDefinition {
  std::string name;  // also the HDF5 dataset name
  bool is_count;
  double (*value)(const TypologyMetrics&);
};
const std::vector<TypologyKpiDefinition>& TypologyKpiDefinitions();

}  // namespace crsim::sim
