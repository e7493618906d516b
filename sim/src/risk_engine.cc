#include "crsim/sim/risk_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::sim {

namespace {
// Rows per parallel scoring task (the kernels' default grain): large enough to amortise task
// overhead, small enough that two threads share a day evenly. Scoring is elementwise, so this
// never changes results.
constexpr std::size_t kScoreChunk = kernels::kDefaultParallelGrain;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

float HistogramMedian(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width) {
  if (total == 0) return kNaN;
  const double half = static_cast<double>(total) / 2.0;
  double cumulative = 0.0;
  for (std::size_t b = 0; b < histogram.size(); ++b) {
    const double in_bin = histogram[b];
    if (cumulative + in_bin >= half && in_bin > 0) {
      const double fraction = (half - cumulative) / in_bin;
      return static_cast<float>(lowest + width * (static_cast<double>(b) + fraction));
    }
    cumulative += in_bin;
  }
  return static_cast<float>(lowest + width * static_cast<double>(histogram.size()));
}

float HistogramMad(std::span<const std::uint32_t> histogram, std::uint64_t total, float lowest, float width,
                   float center) {
  if (total == 0) return kNaN;
  // Walk outward from the center, always taking the nearer of the next bin below and above, until
  // half the observations are within the distance reached.
  const double half = static_cast<double>(total) / 2.0;
  const double position = (center - lowest) / width - 0.5;  // center in units of bin midpoints
  auto below = static_cast<std::ptrdiff_t>(std::floor(position));
  std::ptrdiff_t above = below + 1;
  const auto bins = static_cast<std::ptrdiff_t>(histogram.size());
  double cumulative = 0.0;
  for (;;) {
    const double below_distance = below >= 0 ? position - static_cast<double>(below) : HUGE_VAL;
    const double above_distance = above < bins ? static_cast<double>(above) - position : HUGE_VAL;
    if (below_distance == HUGE_VAL && above_distance == HUGE_VAL) break;
    const bool take_below = below_distance <= above_distance;
    const std::ptrdiff_t bin = take_below ? below-- : above++;
    cumulative += histogram[static_cast<std::size_t>(bin)];
    if (cumulative >= half) return static_cast<float>(width * (take_below ? below_distance : above_distance));
  }
  return static_cast<float>(width * static_cast<double>(bins));
}

PriceReference::PriceReference(std::size_t num_codes, std::int64_t min_count)
    : num_codes_(num_codes),
      min_count_(static_cast<std::uint64_t>(min_count)),
      histogram_(num_codes * kBins, 0),
      totals_(num_codes, 0),
      median_(num_codes, kNaN),
      inverse_scale_(num_codes, kNaN) {}

void PriceReference::Add(std::uint32_t hs6, float log_unit_value) {
  if (std::isnan(log_unit_value)) return;
  const float position = (log_unit_value - kLowestLogPrice) / kBinWidth;
  const auto bin = static_cast<std::size_t>(std::clamp(position, 0.0f, static_cast<float>(kBins - 1)));
  ++histogram_[hs6 * kBins + bin];
  ++totals_[hs6];
}

void PriceReference::Refresh() {
  for (std::size_t code = 0; code < num_codes_; ++code) {
    if (totals_[code] < min_count_) {
      median_[code] = kNaN;
      inverse_scale_[code] = kNaN;
      continue;
    }
    const std::span<const std::uint32_t> histogram(histogram_.data() + code * kBins, kBins);
    const float median = HistogramMedian(histogram, totals_[code], kLowestLogPrice, kBinWidth);
    const float mad = std::max(HistogramMad(histogram, totals_[code], kLowestLogPrice, kBinWidth, median),
                               kBinWidth / 2.0f);
    median_[code] = median;
    inverse_scale_[code] = 1.0f / (kernels::kMadToStandardDeviation * mad);
  }
}

kernels::RuleTable CompileScenarioRules(const World& world, const RiskSpec& risk) {
  std::vector<kernels::RuleDefinition> definitions;
  for (const RuleSpec& rule : risk.rules) {
    kernels::RuleDefinition definition;
    definition.name = rule.name;
    definition.weight = static_cast<float>(rule.weight);
    for (const std::int64_t chapter : rule.hs_chapters) definition.hs_chapters.push_back(static_cast<std::uint8_t>(chapter));
    for (const std::string& iso : rule.origins) {
      const auto it = std::find(world.country_iso.begin(), world.country_iso.end(), iso);
      definition.origins.push_back(static_cast<std::uint16_t>(it - world.country_iso.begin()));
    }
    for (const std::string& name : rule.offices) {
      const auto it = std::find_if(world.offices.begin(), world.offices.end(),
                                   [&](const Office& office) { return office.name == name; });
      definition.offices.push_back(static_cast<std::uint16_t>(it - world.offices.begin()));
    }
    if (rule.unit_value_min) definition.unit_value_min = static_cast<float>(*rule.unit_value_min);
    if (rule.unit_value_max) definition.unit_value_max = static_cast<float>(*rule.unit_value_max);
    if (rule.max_trader_age_days) definition.max_trader_age_days = static_cast<float>(*rule.max_trader_age_days);
    definition.active_from_day = rule.active_from_day;
    definition.active_until_day = rule.active_until_day;
    definitions.push_back(std::move(definition));
  }
  // Scenario validation has checked every name, so an unknown one here is a bug: CompileRules throws.
  return kernels::CompileRules(definitions, world.country_iso.size(), world.offices.size());
}

RiskEngine::RiskEngine(const World& world, const ScenarioSpec& spec)
    : risk_(spec.risk),
      rule_table_(CompileScenarioRules(world, spec.risk)),
      price_reference_(world.catalogue.size(), spec.risk.min_reference_count),
      trader_inspections_(world.traders.size(), 0),
      trader_hits_(world.traders.size(), 0),
      trader_risk_(world.traders.size(), 0.0f) {}

void RiskEngine::Score(const data::DeclaredView& declared, std::int64_t day, std::span<float> risk_score) {
  const std::size_t size = declared.size();
  rule_score_.resize(size);
  rule_hits_.resize(size);
  unit_value_z_.resize(size);
  const auto rule_weight = static_cast<float>(risk_.rule_weight);
  const auto unit_value_weight = static_cast<float>(risk_.unit_value_weight);
  const auto trader_weight = static_cast<float>(risk_.trader_history_weight);
  const std::span<const float> rule_score = rule_score_.span();
  const std::span<const float> z = unit_value_z_.span();

  // The two kernels, each over parallel chunks (crsim/kernels/parallel.h).
  const kernels::RuleInputs inputs{declared.hs_chapter, declared.origin, declared.office, declared.unit_value,
                                   declared.trader_age_days};
  kernels::ScoreRulesParallel(rule_table_, inputs, day, rule_score_.span(), rule_hits_.span(), kScoreChunk);
  kernels::RobustUnitValueZParallel(declared.declared_value, declared.declared_quantity, declared.hs6,
                                    price_reference_.view(), unit_value_z_.span(), kScoreChunk);

  // Their combination, elementwise.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, kScoreChunk), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      const float low_price = std::isnan(z[i]) ? 0.0f : std::max(0.0f, -z[i]);
      risk_score[i] = rule_weight * rule_score[i] + unit_value_weight * low_price +
                      trader_weight * trader_risk_[declared.trader[i]];
    }
  });
}

void RiskEngine::Learn(const data::DeclaredView& declared, const InspectionOutcomes& outcomes) {
  for (std::size_t row = 0; row < declared.size(); ++row) {
    const float log_unit_value = std::log(outcomes.revealed_value[row] / declared.declared_quantity[row]);
    price_reference_.Add(outcomes.revealed_hs6[row], log_unit_value);
    if (outcomes.inspected[row]) {
      const std::uint32_t trader = declared.trader[row];
      ++trader_inspections_[trader];
      ++total_inspections_;
      if (outcomes.detected[row]) {
        ++trader_hits_[trader];
        ++total_hits_;
      }
    }
  }
  price_reference_.Refresh();
  const double overall_hit_rate =
      total_inspections_ == 0 ? 0.0 : static_cast<double>(total_hits_) / static_cast<double>(total_inspections_);
  const double strength = risk_.trader_prior_strength;
  for (std::size_t trader = 0; trader < trader_risk_.size(); ++trader) {
    trader_risk_[trader] = static_cast<float>((trader_hits_[trader] + strength * overall_hit_rate) /
                                              (trader_inspections_[trader] + strength));
  }
}

}  // namespace crsim::sim
