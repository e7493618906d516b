// Inspection: what physical controls of the selected declarations find.
//
// An inspected fraudulent declaration is detected with the scenario's probability for its fraud
// type (for several typologies at once, the chance that at least one is found), from the kInspection stream at (day, record): every strategy that inspects the same
// declaration gets the same outcome (common random numbers). A detected fraud reveals its true value
// and HS6 code and recovers its duty; an undetected one looks compliant to the administration. This
// is the only stage besides metrics that reads the truth.
#pragma once

#include <array>
#include <cstdint>
#include <span>

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

  void Reset(std::size_t size);
};

class Inspector {
 public:
  explicit Inspector(const ScenarioSpec& spec, std::uint32_t replication = 0);

  // Inspects day's rows with outcomes.inspected set, fills the other outcome columns and returns the
  // day's metrics (all declarations, not only inspected ones). Parallel over chunks; the metrics are
  // integer sums, so the result does not depend on the thread count.
  DayMetrics InspectAndMeasure(std::int64_t day, const data::DeclaredView& declared, const data::TruthView& truth,
                               InspectionOutcomes& outcomes) const;

 private:
  CounterRandom random_;
  std::size_t office_count_ = 0;
  // P(detect) per fraud_type mask: p_t for a single typology t, 1 - prod(1 - p_t) over several.
  std::array<float, 256> detection_probability_{};
};

}  // namespace crsim::sim
