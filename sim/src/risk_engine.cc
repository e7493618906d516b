#include "crsim/sim/risk_engine.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::sim {

namespace {
// Rows per parallel scoring task (the kernels' default grain): large enough to amortise task
// overhead, small enough that two threads share a day evenly. Scoring is elementwise, so this
// never changes results.
constexpr std::size_t kScoreChunk = kernels::kDefaultParallelGrain;

PriceReferenceLevel PriceReferenceLevelOf(const std::string& name) {
  // Scenario validation accepts only these two names.
  return name == "hs6_origin" ? PriceReferenceLevel::kHs6Origin : PriceReferenceLevel::kHs6;
}
}  // namespace

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
      price_reference_(world.catalogue.size(), world.country_iso.size(), spec.risk.min_reference_count,
                       spec.risk.price_window_days, PriceReferenceLevelOf(spec.risk.price_reference)),
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
  price_reference_.RobustZParallel(declared.declared_value, declared.declared_quantity, declared.hs6, declared.origin,
                                   unit_value_z_.span(), kScoreChunk);

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
    price_reference_.Add(outcomes.revealed_hs6[row], declared.origin[row], log_unit_value);
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
  price_reference_.CloseDay();
  const double overall_hit_rate =
      total_inspections_ == 0 ? 0.0 : static_cast<double>(total_hits_) / static_cast<double>(total_inspections_);
  const double strength = risk_.trader_prior_strength;
  for (std::size_t trader = 0; trader < trader_risk_.size(); ++trader) {
    trader_risk_[trader] = static_cast<float>((trader_hits_[trader] + strength * overall_hit_rate) /
                                              (trader_inspections_[trader] + strength));
  }
}

}  // namespace crsim::sim
