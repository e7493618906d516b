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
//   - per-HS6 price references: a histogram of log unit values of every past declaration, using the
//     value and code revealed by inspection where a fraud was found and the declared ones elsewhere;
//     median and MAD come from the histogram (bins of 0.02 in log price, linear interpolation inside
//     a bin; the MAD is floored at half a bin). A code is scored only once it has
//     min_reference_count declarations.
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
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

// Per-HS6 robust reference of log unit values, learned from a stream of observations.
class PriceReference {
 public:
  static constexpr float kLowestLogPrice = -10.0f;  // log(EUR per unit); lower values go to the first bin
  static constexpr float kBinWidth = 0.02f;
  static constexpr std::size_t kBins = 1500;        // up to log price 20; higher values go to the last bin

  PriceReference(std::size_t num_codes, std::int64_t min_count);

  void Add(std::uint32_t hs6, float log_unit_value);
  // Recomputes medians and scales from everything added so far.
  void Refresh();

  std::uint64_t count(std::uint32_t hs6) const { return totals_[hs6]; }
  float median(std::uint32_t hs6) const { return median_[hs6]; }
  kernels::UnitValueReference view() const { return {median_, inverse_scale_}; }

 private:
  std::size_t num_codes_;
  std::uint64_t min_count_;
  std::vector<std::uint32_t> histogram_;  // [num_codes * kBins]
  std::vector<std::uint64_t> totals_;
  std::vector<float> median_;
  std::vector<float> inverse_scale_;
};

// Median of a histogram whose bin b covers [lowest + b w, lowest + (b+1) w), interpolating
// linearly inside the bin that holds the middle observation. Exposed for tests.
float HistogramMedian(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width);
// Median absolute deviation from `center` of the same histogram (bins taken at their midpoints).
float HistogramMad(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width,
                   float center);

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
