// Inspection: what controls of the selected declarations find.
//
// An inspected fraudulent declaration is detected with the scenario's probability for its fraud
// type and control channel (inspection.detection_probability for red, documentary_ for yellow,
// audit_ for blue; for several typologies at once, the chance that at least one is found), from the
// kInspection stream at (lodgement day, record): every strategy that controls the same declaration in
// the same channel gets the same outcome (common random numbers), whenever the control happens. A detected fraud reveals its true value
// and HS6 code and recovers its duty; an undetected one looks compliant to the administration. This
// is the only stage besides metrics that reads the truth.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "crsim/data/aligned_column.h"
#include "crsim/data/declaration_batch.h"
#include "crsim/sim/metrics.h"
#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

// What the administration learns from one day's controls: the labels feedback may use.
struct InspectionOutcomes {
  data::AlignedColumn<std::uint8_t> inspected;     // 1 = selected and inspected
  data::AlignedColumn<std::uint8_t> detected;      // 1 = inspected and fraud found
  data::AlignedColumn<float> revealed_value;       // true value where detected, else declared value
  data::AlignedColumn<std::uint32_t> revealed_hs6; // true code where detected, else declared code
  // Set by the channel routing (crsim/sim/channels.h) before inspection: the declaration's channel
  // (a Channel value; 0 = green; an inspected row left at 0 is taken as red, for callers that know
  // no channels) and 1 where it was picked at random.
  data::AlignedColumn<std::uint8_t> channel;
  data::AlignedColumn<std::uint8_t> random_pick;

  void Reset(std::size_t size);
};

// A control whose result is not known on its lodgement day: a backlogged red or yellow control, or
// a post-clearance audit (blue). It carries the truth the inspector needs to complete it later, so
// it goes from Inspector::MakePending to Inspector::CompletePending and nowhere else (the risk
// engine learns only `trader` and whether the control found a fraud).
struct PendingControl {
  std::int64_t day = 0;          // lodgement day (the outcome's random counter)
  std::uint32_t row = 0;         // record of that day
  std::uint32_t trader = 0;
  std::uint32_t declarant = 0;
  std::uint16_t office = 0;
  std::uint8_t hs_chapter = 0;
  std::uint8_t channel = 0;      // Channel value: red, yellow or blue
  std::uint8_t random_pick = 0;
  std::uint8_t fraud_type = 0;   // truth
  std::int64_t duty_cents = 0;   // truth
  std::int64_t severity_milli = 0;  // truth
};

class Inspector {
 public:
  explicit Inspector(const ScenarioSpec& spec, std::uint32_t replication = 0);

  // Inspects day's rows with outcomes.inspected set, fills the other outcome columns and returns the
  // day's metrics (all declarations, not only inspected ones). Parallel over chunks; the metrics are
  // integer sums, so the result does not depend on the thread count.
  DayMetrics InspectAndMeasure(std::int64_t day, const data::DeclaredView& declared, const data::TruthView& truth,
                               InspectionOutcomes& outcomes) const;

  // The control of record `row` of day `day`, in `channel`, to be completed later.
  PendingControl MakePending(std::int64_t day, std::size_t row, std::uint8_t channel, const data::DeclaredView& declared,
                             const data::TruthView& truth, const InspectionOutcomes& outcomes) const;

  // Completes controls whose result is known today: counts them in `metrics` (inspections, hits,
  // duty recovered, typologies, channel, random controls) and sets detected[i] (size controls.size()).
  void CompletePending(std::span<const PendingControl> controls, DayMetrics& metrics,
                       std::span<std::uint8_t> detected) const;

  // Tips (scenario [intelligence], and [[administrations]] tip_coverage / tip_precision):
  // tipped[i] = 1 for the declarations named by a tip. Each tip source covers the offices of its
  // administrations: an administration with tip_coverage has a source of its own (a third-country
  // agreement: pre-arrival information on its declarations only); the others share the
  // [intelligence] source. Within a source, a fraud is tipped with probability coverage; a
  // compliant declaration with probability coverage x F (1 - precision) / (precision x C) for the
  // day's F frauds and C compliant declarations lodged at the source's offices (capped at 1), so
  // that the expected share of tips naming a fraud is the precision. Draws from the kIntelligence
  // stream at (day, record). Tips are an input like a rule hit: the strategies see the tip, never
  // the truth behind it.
  void IssueTips(std::int64_t day, std::span<const std::uint16_t> office, const data::TruthView& truth,
                 std::span<std::uint8_t> tipped) const;
  // Whether any source issues tips (a coverage above 0).
  bool issues_tips() const;

 private:
  float DetectionProbability(std::uint8_t channel, std::uint8_t fraud_type) const {
    return detection_probability_[channel == 0 ? 1 : channel][fraud_type];
  }
  bool Detects(std::int64_t day, std::size_t row, std::uint8_t channel, std::uint8_t fraud_type) const;
  // Counts an e-commerce declaration: when lodged (its declaration, fraud, duty evaded) and its
  // control's result (inspected, detected, duty recovered), whenever that becomes known.
  static void CountEcommerce(StreamCounters& stream, std::uint8_t fraud_type, bool inspected, bool detected,
                             std::int64_t duty_cents, bool lodged);

  struct TipSource {
    double coverage = 0.0;
    double precision = 1.0;
  };
  std::vector<TipSource> tip_sources_;            // 0: [intelligence]; then one per administration with its own
  std::vector<std::uint32_t> office_tip_source_;  // per office
  CounterRandom random_;
  std::size_t office_count_ = 0;
  // Declarants from this id on are the e-commerce stream's intermediaries (crsim/sim/ecommerce.h);
  // UINT32_MAX when the stream is off.
  std::uint32_t first_ecommerce_declarant_ = UINT32_MAX;
  // P(detect) per fraud_type mask: p_t for a single typology t, 1 - prod(1 - p_t) over several.
  // Indexed [channel][mask]; channel 0 (green) is never used.
  std::array<std::array<float, 256>, kNumChannels> detection_probability_{};
};

}  // namespace crsim::sim
