#include "crsim/sim/adaptation.h"

#include <algorithm>
#include <cmath>

#include "crsim/sim/inspection.h"
#include "crsim/sim/random.h"

namespace crsim::sim {

namespace {

// Index drawn with probability proportional to exp(utility[i] / temperature), by inversion with
// one word. Utilities are shifted by their maximum, so exp never overflows.
std::uint32_t SoftmaxPick(const float* utility, std::uint32_t count, double temperature, std::uint32_t word) {
  if (count <= 1) return 0;
  float best = utility[0];
  for (std::uint32_t i = 1; i < count; ++i) best = std::max(best, utility[i]);
  double total = 0.0;
  for (std::uint32_t i = 0; i < count; ++i) total += std::exp((utility[i] - best) / temperature);
  const double target = UniformDouble(word) * total;
  double cumulative = 0.0;
  for (std::uint32_t i = 0; i < count; ++i) {
    cumulative += std::exp((utility[i] - best) / temperature);
    if (target < cumulative) return i;
  }
  return count - 1;
}

constexpr std::uint32_t kMaxOptions = 1024;  // offices per administration (<= 1000) and portfolio slots (<= 100)

}  // namespace

std::pair<std::uint32_t, std::uint32_t> AdaptiveFraudsters::OfficeRange(std::uint32_t trader) const {
  if (spec_.across_administrations) return {0, static_cast<std::uint32_t>(world_.offices.size())};
  const std::uint32_t administration = world_.traders.administration[trader];
  const std::uint32_t first = world_.administration_first_office[administration];
  return {first, world_.administration_first_office[administration + 1] - first};
}

AdaptiveFraudsters::AdaptiveFraudsters(const World& world, const AdaptationSpec& spec) : world_(world), spec_(spec) {
  const Traders& traders = world.traders;
  trader_slot_.assign(traders.size(), -1);
  const auto prior = static_cast<float>(spec.prior_inspection_probability);
  std::int32_t slots = 0;
  for (std::size_t t = 0; t < traders.size(); ++t) {
    if (!traders.fraud_prone[t]) continue;
    trader_slot_[t] = slots++;
    const std::uint32_t offices = OfficeRange(static_cast<std::uint32_t>(t)).second;
    office_offset_.push_back(static_cast<std::uint32_t>(office_belief_.size()));
    office_belief_.insert(office_belief_.end(), offices, prior);
  }
  hs_belief_.assign(static_cast<std::size_t>(slots) * traders.portfolio_hs6_width, prior);
  detection_belief_.assign(static_cast<std::size_t>(slots), 1.0f);
}

AdaptiveFraudsters::Choice AdaptiveFraudsters::Choose(std::uint32_t trader, std::uint16_t usual_office,
                                                      std::uint32_t usual_slot, std::uint32_t office_word,
                                                      std::uint32_t slot_word) const {
  const Traders& traders = world_.traders;
  const auto k = static_cast<std::size_t>(trader_slot_[trader]);
  const auto [first_office, offices] = OfficeRange(trader);
  const std::uint32_t width = traders.portfolio_hs6_width;
  const float* office_belief = &office_belief_[office_offset_[k]];
  const float* hs_belief = &hs_belief_[k * width];
  // Expected loss per unit of belief: a caught fraud loses its gain and pays the penalty.
  const auto loss = static_cast<float>(detection_belief_[k] * (1.0 + spec_.penalty_per_detection) / 2.0);
  const auto switching = static_cast<float>(spec_.switching_cost);
  float utility[kMaxOptions];
  for (std::uint32_t o = 0; o < offices; ++o) {
    utility[o] = -loss * office_belief[o] - (first_office + o == usual_office ? 0.0f : switching);
  }
  const std::uint32_t office = SoftmaxPick(utility, offices, spec_.temperature, office_word);
  const float office_utility = utility[office];
  for (std::uint32_t j = 0; j < width; ++j) utility[j] = -loss * hs_belief[j] - (j == usual_slot ? 0.0f : switching);
  const std::uint32_t slot = SoftmaxPick(utility, width, spec_.temperature, slot_word);
  const float net_gain = 1.0f + office_utility + utility[slot];
  if (net_gain <= 0.0f) return {usual_office, usual_slot, true};
  return {static_cast<std::uint16_t>(first_office + office), slot, false};
}

void AdaptiveFraudsters::Learn(const data::DeclaredView& declared, const data::TruthView& truth,
                               const InspectionOutcomes& outcomes) {
  const Traders& traders = world_.traders;
  const auto rate = static_cast<float>(spec_.learning_rate);
  const std::uint32_t width = traders.portfolio_hs6_width;
  for (std::size_t row = 0; row < declared.size(); ++row) {
    if (truth.fraud_type[row] == 0) continue;
    const std::uint32_t trader = declared.trader[row];
    const std::int32_t k = trader_slot_[trader];
    if (k < 0) continue;  // an honest trader's opportunistic fraud: not adaptive
    const float inspected = outcomes.inspected[row] != 0 ? 1.0f : 0.0f;
    const std::uint32_t first_office = OfficeRange(trader).first;
    float& office = office_belief_[office_offset_[static_cast<std::size_t>(k)] + (declared.office[row] - first_office)];
    office += rate * (inspected - office);
    const std::uint32_t* portfolio = &traders.portfolio_hs6[static_cast<std::size_t>(trader) * width];
    const std::uint32_t slot = static_cast<std::uint32_t>(std::find(portfolio, portfolio + width, truth.true_hs6[row]) - portfolio);
    if (slot < width) {
      float& hs = hs_belief_[static_cast<std::size_t>(k) * width + slot];
      hs += rate * (inspected - hs);
    }
    if (inspected > 0.0f) {
      float& detection = detection_belief_[static_cast<std::size_t>(k)];
      detection += rate * ((outcomes.detected[row] != 0 ? 1.0f : 0.0f) - detection);
    }
  }
}

float AdaptiveFraudsters::OfficeBelief(std::uint32_t trader, std::uint16_t office) const {
  const std::uint32_t first_office = OfficeRange(trader).first;
  return office_belief_[office_offset_[static_cast<std::size_t>(trader_slot_[trader])] + (office - first_office)];
}

float AdaptiveFraudsters::HsBelief(std::uint32_t trader, std::uint32_t slot) const {
  return hs_belief_[static_cast<std::size_t>(trader_slot_[trader]) * world_.traders.portfolio_hs6_width + slot];
}

}  // namespace crsim::sim
