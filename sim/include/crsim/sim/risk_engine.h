// RiskEngine: scores every declaration from its declared columns, and learns from inspections.
//
// risk score = rule_weight           x rule score (kernels/risk_rules.h)
//            + unit_value_weight     x max(0, -z), z = robust unit-value z-score (kernels/unit_value.h);
//                                      a missing reference (NaN z) adds nothing
//            + trader_history_weight x the trader's posterior hit rate
//                                      (hits + s m) / (inspections + s), with m the hit rate of all
//                                      inspections so far and s = trader_prior_strength
//
// What it learns (Learn, once per day, from InspectionOutcomes only, never from the truth):
//   - price references (crsim/sim/price_reference.h): histograms of log unit values of past
//     declarations per HS6 code, or per HS6 x origin with fallback to the code
//     (risk.price_reference), over the last risk.price_window_days days (0 = all history), using
//     the value and code revealed by inspection where a fraud was found and the declared ones
//     elsewhere (the declared origin: inspections do not reveal origins to the engine); median and
//     MAD come from the histogram (bins of 0.02 in log price, linear interpolation inside a bin; the
//     MAD is floored at half a bin). A group is scored only once it has min_reference_count
//     declarations in the window.
//   - per-trader inspection histories (inspections, hits).
// Each strategy owns its own engine, so what one strategy learns does not leak into another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crsim/data/aligned_column.h"
#include "crsim/data/declaration_batch.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/kernels/unit_value.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/price_reference.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

class RiskEngine {
 public:
  RiskEngine(const World& world, const ScenarioSpec& spec);

  // Fills risk_score (size declared.size()) for the declarations of day `day` of the run (the day
  // decides which time-limited rules apply), in parallel; deterministic for any thread count.
  void Score(const data::DeclaredView& declared, std::int64_t day, std::span<float> risk_score);

  // Feedback from one day's inspections. Call after Score for the same day.
  void Learn(const data::DeclaredView& declared, const InspectionOutcomes& outcomes);

  const kernels::RuleTable& rule_table() const { return rule_table_; }
  const PriceReference& price_reference() const { return price_reference_; }
  std::uint64_t inspections_so_far() const { return total_inspections_; }
  std::uint64_t hits_so_far() const { return total_hits_; }

 private:
  RiskSpec risk_;
  kernels::RuleTable rule_table_;
  PriceReference price_reference_;
  std::vector<std::uint32_t> trader_inspections_;
  std::vector<std::uint32_t> trader_hits_;
  std::vector<float> trader_risk_;  // posterior hit rate, refreshed by Learn
  std::uint64_t total_inspections_ = 0;
  std::uint64_t total_hits_ = 0;
  data::AlignedColumn<float> rule_score_;
  data::AlignedColumn<std::uint64_t> rule_hits_;
  data::AlignedColumn<float> unit_value_z_;
};

// Compiles the scenario's rules against the world's countries and offices.
kernels::RuleTable CompileScenarioRules(const World& world, const RiskSpec& risk);

}  // namespace crsim::sim
