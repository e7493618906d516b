#include "crsim/sim/inspection.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::sim {

namespace {
// Rows per parallel task when measuring. Fixed, not a tuning knob: results never depend on it
// (integer sums), only the load balance does.
constexpr std::size_t kMeasureChunk = 32768;
constexpr std::size_t kChapterSlots = 98;  // by-chapter counters are indexed by the chapter number, 1..97

std::int64_t Cents(float euros) { return static_cast<std::int64_t>(std::llround(static_cast<double>(euros) * 100.0)); }
std::int64_t Milli(float weight) { return static_cast<std::int64_t>(std::llround(static_cast<double>(weight) * 1000.0)); }
}  // namespace

void InspectionOutcomes::Reset(std::size_t size) {
  inspected.resize(size);
  std::fill_n(inspected.data(), size, std::uint8_t{0});
  detected.resize(size);
  revealed_value.resize(size);
  revealed_hs6.resize(size);
  channel.resize(size);
  std::fill_n(channel.data(), size, std::uint8_t{0});
  random_pick.resize(size);
  std::fill_n(random_pick.data(), size, std::uint8_t{0});
}

namespace {
// P(detect) per fraud_type mask: p_t for a single typology t, 1 - prod(1 - p_t) over several.
std::array<float, 256> DetectionTable(const DetectionProbabilitySpec& p) {
  std::array<float, 256> table{};
  // Only what was falsified counts: actor bits (kFraudActorMask: who cheated) add nothing.
  const double by_type[data::kNumSchemeTypes] = {p.undervaluation,          p.misclassification, p.origin_misdeclaration,
                                                 p.quantity_misdeclaration, p.prohibited_goods,  p.low_value_splitting};
  for (unsigned mask = 1; mask < table.size(); ++mask) {
    double missed = 1.0;
    int single = -1, bits = 0;
    for (int t = 0; t < data::kNumSchemeTypes; ++t) {
      if (!(mask & (1u << t))) continue;
      missed *= 1.0 - by_type[t];
      single = t;
      ++bits;
    }
    // A single typology uses its probability as written (1 - (1 - p) need not round back to p).
    table[mask] = static_cast<float>(bits == 0 ? 0.0 : bits == 1 ? by_type[single] : 1.0 - missed);
  }
  return table;
}

std::vector<std::int64_t> Zeros(std::size_t size) { return std::vector<std::int64_t>(size, 0); }
}  // namespace

Inspector::Inspector(const ScenarioSpec& spec, std::uint32_t replication)
    : random_(spec.run.seed, replication) {
  tip_sources_.push_back({spec.intelligence.coverage, spec.intelligence.precision});
  for (const AdministrationSpec& administration : spec.administrations) {
    office_count_ += static_cast<std::size_t>(administration.offices);
    std::uint32_t source = 0;
    if (administration.tip_coverage) {
      source = static_cast<std::uint32_t>(tip_sources_.size());
      tip_sources_.push_back({*administration.tip_coverage, administration.tip_precision});
    }
    office_tip_source_.insert(office_tip_source_.end(), static_cast<std::size_t>(administration.offices), source);
  }
  detection_probability_[1] = DetectionTable(spec.inspection.detection_probability);
  detection_probability_[2] = DetectionTable(spec.inspection.documentary_detection_probability);
  detection_probability_[3] = DetectionTable(spec.inspection.audit_detection_probability);
  // AppendEcommerceParties puts the intermediaries after the traders.declarants ordinary declarants.
  if (spec.arrivals.ecommerce.declarations_per_day > 0.0) {
    first_ecommerce_declarant_ = static_cast<std::uint32_t>(spec.traders.declarants);
  }
}

void Inspector::CountEcommerce(StreamCounters& stream, std::uint8_t fraud_type, bool inspected, bool detected,
                               std::int64_t duty_cents, bool lodged) {
  if (lodged) {
    stream.declarations += 1;
    stream.frauds += fraud_type != 0 ? 1 : 0;
    stream.duty_evaded_cents += duty_cents;
    stream.prohibited_frauds += (fraud_type & data::kFraudProhibitedGoods) != 0 ? 1 : 0;
  }
  stream.inspections += inspected ? 1 : 0;
  stream.hits += detected ? 1 : 0;
  stream.duty_recovered_cents += detected ? duty_cents : 0;
  stream.prohibited_hits += detected && (fraud_type & data::kFraudProhibitedGoods) != 0 ? 1 : 0;
}

bool Inspector::Detects(std::int64_t day, std::size_t row, std::uint8_t channel, std::uint8_t fraud_type) const {
  const RandomBlock words =
      random_.Block(Stream::kInspection, static_cast<std::uint32_t>(day), static_cast<std::uint32_t>(row), 0);
  return UniformFloat(words[0]) < DetectionProbability(channel, fraud_type);
}

DayMetrics Inspector::InspectAndMeasure(std::int64_t day, const data::DeclaredView& declared, const data::TruthView& truth,
                                        InspectionOutcomes& outcomes) const {
  const std::size_t size = declared.size();
  const std::size_t chunks = (size + kMeasureChunk - 1) / kMeasureChunk;
  std::vector<DayMetrics> partial(chunks);
  const auto day_word = static_cast<std::uint32_t>(day);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t c = range.begin(); c != range.end(); ++c) {
      DayMetrics metrics;
      metrics.frauds_by_office.assign(office_count_, 0);
      metrics.frauds_inspected_by_office.assign(office_count_, 0);
      metrics.frauds_by_chapter.assign(kChapterSlots, 0);
      metrics.frauds_inspected_by_chapter.assign(kChapterSlots, 0);
      metrics.declarations_by_office.assign(office_count_, 0);
      metrics.random_controls_by_office.assign(office_count_, 0);
      metrics.random_hits_by_office.assign(office_count_, 0);
      metrics.inspections_by_office.assign(office_count_, 0);
      metrics.hits_by_office.assign(office_count_, 0);
      metrics.duty_evaded_cents_by_office.assign(office_count_, 0);
      metrics.duty_recovered_cents_by_office.assign(office_count_, 0);
      const std::size_t end = std::min(size, (c + 1) * kMeasureChunk);
      for (std::size_t row = c * kMeasureChunk; row < end; ++row) {
        const std::uint8_t fraud_type = truth.fraud_type[row];
        const bool inspected = outcomes.inspected[row] != 0;
        const std::int64_t duty_cents = Cents(truth.duty_evaded[row]);
        const std::uint8_t channel = outcomes.channel[row] == 0 ? std::uint8_t{1} : outcomes.channel[row];
        bool detected = false;
        if (inspected && fraud_type != 0) {
          const RandomBlock words = random_.Block(Stream::kInspection, day_word, static_cast<std::uint32_t>(row), 0);
          detected = UniformFloat(words[0]) < DetectionProbability(channel, fraud_type);
        }
        outcomes.detected[row] = detected ? 1 : 0;
        outcomes.revealed_value[row] = detected ? truth.true_value[row] : declared.declared_value[row];
        outcomes.revealed_hs6[row] = detected ? truth.true_hs6[row] : declared.hs6[row];

        metrics.declarations += 1;
        metrics.inspections += inspected ? 1 : 0;
        metrics.hits += detected ? 1 : 0;
        metrics.frauds += fraud_type != 0 ? 1 : 0;
        metrics.frauds_inspected += (inspected && fraud_type != 0) ? 1 : 0;
        metrics.compliant_inspected += (inspected && fraud_type == 0) ? 1 : 0;
        metrics.duty_evaded_cents += duty_cents;
        metrics.duty_recovered_cents += detected ? duty_cents : 0;
        const std::uint16_t office = declared.office[row];
        metrics.declarations_by_office[office] += 1;
        metrics.inspections_by_office[office] += inspected ? 1 : 0;
        metrics.hits_by_office[office] += detected ? 1 : 0;
        metrics.duty_evaded_cents_by_office[office] += duty_cents;
        metrics.duty_recovered_cents_by_office[office] += detected ? duty_cents : 0;
        if (inspected) {
          ChannelMetrics& by_channel = metrics.by_channel[channel];
          by_channel.controls += 1;
          by_channel.hits += detected ? 1 : 0;
          by_channel.duty_recovered_cents += detected ? duty_cents : 0;
          if (outcomes.random_pick[row]) {
            metrics.random_controls += 1;
            metrics.random_hits += detected ? 1 : 0;
            metrics.random_controls_by_office[office] += 1;
            metrics.random_hits_by_office[office] += detected ? 1 : 0;
          }
        }
        if (declared.declarant[row] >= first_ecommerce_declarant_) [[unlikely]] {
          CountEcommerce(metrics.ecommerce, fraud_type, inspected, detected, duty_cents, true);
        }
        if (fraud_type != 0) {
          metrics.frauds_by_office[declared.office[row]] += 1;
          metrics.frauds_inspected_by_office[declared.office[row]] += inspected ? 1 : 0;
          metrics.frauds_by_chapter[declared.hs_chapter[row]] += 1;
          metrics.frauds_inspected_by_chapter[declared.hs_chapter[row]] += inspected ? 1 : 0;
          const std::int64_t severity = Milli(truth.severity[row]);
          for (int t = 0; t < data::kNumFraudTypes; ++t) {
            if (!(fraud_type & (1u << t))) continue;
            TypologyMetrics& typology = metrics.by_typology[static_cast<std::size_t>(t)];
            typology.frauds += 1;
            typology.hits += detected ? 1 : 0;
            typology.duty_evaded_cents += duty_cents;
            typology.duty_recovered_cents += detected ? duty_cents : 0;
            typology.severity_milli += severity;
            typology.severity_caught_milli += detected ? severity : 0;
          }
        }
      }
      partial[c] = metrics;
    }
  });
  DayMetrics total;
  total.frauds_by_office.assign(office_count_, 0);
  total.frauds_inspected_by_office.assign(office_count_, 0);
  total.frauds_by_chapter.assign(kChapterSlots, 0);
  total.frauds_inspected_by_chapter.assign(kChapterSlots, 0);
  total.declarations_by_office.assign(office_count_, 0);
  total.random_controls_by_office.assign(office_count_, 0);
  total.random_hits_by_office.assign(office_count_, 0);
  total.inspections_by_office.assign(office_count_, 0);
  total.hits_by_office.assign(office_count_, 0);
  total.duty_evaded_cents_by_office.assign(office_count_, 0);
  total.duty_recovered_cents_by_office.assign(office_count_, 0);
  for (const DayMetrics& metrics : partial) total += metrics;
  return total;
}

PendingControl Inspector::MakePending(std::int64_t day, std::size_t row, std::uint8_t channel,
                                      const data::DeclaredView& declared, const data::TruthView& truth,
                                      const InspectionOutcomes& outcomes) const {
  PendingControl control;
  control.day = day;
  control.row = static_cast<std::uint32_t>(row);
  control.trader = declared.trader[row];
  control.declarant = row < declared.declarant.size() ? declared.declarant[row] : 0;
  control.office = declared.office[row];
  control.hs_chapter = declared.hs_chapter[row];
  control.channel = channel;
  control.random_pick = outcomes.random_pick[row];
  control.fraud_type = truth.fraud_type[row];
  control.duty_cents = Cents(truth.duty_evaded[row]);
  control.severity_milli = Milli(truth.severity[row]);
  return control;
}

void Inspector::CompletePending(std::span<const PendingControl> controls, DayMetrics& metrics,
                                std::span<std::uint8_t> detected) const {
  if (metrics.frauds_inspected_by_office.size() < office_count_) metrics.frauds_inspected_by_office.resize(office_count_, 0);
  if (metrics.frauds_inspected_by_chapter.size() < kChapterSlots) metrics.frauds_inspected_by_chapter.resize(kChapterSlots, 0);
  if (metrics.random_controls_by_office.size() < office_count_) metrics.random_controls_by_office = Zeros(office_count_);
  if (metrics.random_hits_by_office.size() < office_count_) metrics.random_hits_by_office = Zeros(office_count_);
  for (std::vector<std::int64_t>* by_office : {&metrics.inspections_by_office, &metrics.hits_by_office,
                                                &metrics.duty_recovered_cents_by_office}) {
    if (by_office->size() < office_count_) by_office->resize(office_count_, 0);
  }
  for (std::size_t i = 0; i < controls.size(); ++i) {
    const PendingControl& control = controls[i];
    const bool fraud = control.fraud_type != 0;
    const bool hit = fraud && Detects(control.day, control.row, control.channel, control.fraud_type);
    detected[i] = hit ? 1 : 0;
    metrics.inspections += 1;
    metrics.hits += hit ? 1 : 0;
    metrics.frauds_inspected += fraud ? 1 : 0;
    metrics.compliant_inspected += fraud ? 0 : 1;
    metrics.duty_recovered_cents += hit ? control.duty_cents : 0;
    metrics.inspections_by_office[control.office] += 1;
    metrics.hits_by_office[control.office] += hit ? 1 : 0;
    metrics.duty_recovered_cents_by_office[control.office] += hit ? control.duty_cents : 0;
    if (control.declarant >= first_ecommerce_declarant_) [[unlikely]] {
      CountEcommerce(metrics.ecommerce, control.fraud_type, true, hit, control.duty_cents, false);
    }
    ChannelMetrics& by_channel = metrics.by_channel[control.channel];
    by_channel.controls += 1;
    by_channel.hits += hit ? 1 : 0;
    by_channel.duty_recovered_cents += hit ? control.duty_cents : 0;
    if (control.random_pick) {
      metrics.random_controls += 1;
      metrics.random_hits += hit ? 1 : 0;
      metrics.random_controls_by_office[control.office] += 1;
      metrics.random_hits_by_office[control.office] += hit ? 1 : 0;
    }
    if (!fraud) continue;
    metrics.frauds_inspected_by_office[control.office] += 1;
    metrics.frauds_inspected_by_chapter[control.hs_chapter] += 1;
    for (int t = 0; t < data::kNumFraudTypes; ++t) {
      if (!(control.fraud_type & (1u << t))) continue;
      TypologyMetrics& typology = metrics.by_typology[static_cast<std::size_t>(t)];
      typology.hits += hit ? 1 : 0;
      typology.duty_recovered_cents += hit ? control.duty_cents : 0;
      typology.severity_caught_milli += hit ? control.severity_milli : 0;
    }
  }
}

bool Inspector::issues_tips() const {
  return std::any_of(tip_sources_.begin(), tip_sources_.end(), [](const TipSource& source) { return source.coverage > 0; });
}

void Inspector::IssueTips(std::int64_t day, std::span<const std::uint16_t> office, const data::TruthView& truth,
                          std::span<std::uint8_t> tipped) const {
  const std::size_t size = truth.size();
  // Per source: the day's frauds and declarations at its offices, then its false-tip probability.
  std::vector<std::int64_t> frauds(tip_sources_.size(), 0), declarations(tip_sources_.size(), 0);
  for (std::size_t row = 0; row < size; ++row) {
    const std::uint32_t source = office_tip_source_[office[row]];
    frauds[source] += truth.fraud_type[row] != 0 ? 1 : 0;
    ++declarations[source];
  }
  std::vector<double> false_tip_probability(tip_sources_.size(), 0.0);
  for (std::size_t s = 0; s < tip_sources_.size(); ++s) {
    const auto compliant = static_cast<double>(declarations[s] - frauds[s]);
    const TipSource& source = tip_sources_[s];
    false_tip_probability[s] =
        compliant == 0.0 ? 0.0
                         : std::min(1.0, source.coverage * static_cast<double>(frauds[s]) * (1.0 - source.precision) /
                                             (source.precision * compliant));
  }
  const auto day_word = static_cast<std::uint32_t>(day);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, kMeasureChunk), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t row = range.begin(); row != range.end(); ++row) {
      const std::uint32_t source = office_tip_source_[office[row]];
      const RandomBlock words = random_.Block(Stream::kIntelligence, day_word, static_cast<std::uint32_t>(row), 0);
      const double p = truth.fraud_type[row] != 0 ? tip_sources_[source].coverage : false_tip_probability[source];
      tipped[row] = UniformDouble(words[0]) < p ? 1 : 0;
    }
  });
}

}  // namespace crsim::sim
