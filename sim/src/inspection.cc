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
}

Inspector::Inspector(const ScenarioSpec& spec, std::uint32_t replication) : random_(spec.run.seed, replication) {
  for (const AdministrationSpec& administration : spec.administrations) {
    office_count_ += static_cast<std::size_t>(administration.offices);
  }
  const DetectionProbabilitySpec& p = spec.inspection.detection_probability;
  const double by_type[data::kNumFraudTypes] = {p.undervaluation,          p.misclassification, p.origin_misdeclaration,
                                                p.quantity_misdeclaration, p.prohibited_goods,  p.low_value_splitting};
  for (unsigned mask = 1; mask < detection_probability_.size(); ++mask) {
    double missed = 1.0;
    int single = -1, bits = 0;
    for (int t = 0; t < data::kNumFraudTypes; ++t) {
      if (!(mask & (1u << t))) continue;
      missed *= 1.0 - by_type[t];
      single = t;
      ++bits;
    }
    // A single typology uses its probability as written (1 - (1 - p) need not round back to p).
    detection_probability_[mask] = static_cast<float>(bits == 1 ? by_type[single] : 1.0 - missed);
  }
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
      const std::size_t end = std::min(size, (c + 1) * kMeasureChunk);
      for (std::size_t row = c * kMeasureChunk; row < end; ++row) {
        const std::uint8_t fraud_type = truth.fraud_type[row];
        const bool inspected = outcomes.inspected[row] != 0;
        const std::int64_t duty_cents = Cents(truth.duty_evaded[row]);
        bool detected = false;
        if (inspected && fraud_type != 0) {
          const RandomBlock words = random_.Block(Stream::kInspection, day_word, static_cast<std::uint32_t>(row), 0);
          detected = UniformFloat(words[0]) < detection_probability_[fraud_type];
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
  for (const DayMetrics& metrics : partial) total += metrics;
  return total;
}

}  // namespace crsim::sim
