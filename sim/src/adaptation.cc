#include "crsim/sim/adaptation.h"

#include <algorithm>
#include <cmath>
#include <tuple>

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
constexpr std::uint32_t kMaxLevels = 16;     // understatement levels (<= 16 by validation) and routes (2)

}  // namespace

std::pair<std::uint32_t, std::uint32_t> AdaptiveFraudsters::OfficeRange(std::uint32_t trader) const {
  if (spec_.across_administrations) return {0, static_cast<std::uint32_t>(world_.offices.size())};
  const std::uint32_t administration = world_.traders.administration[trader];
  const std::uint32_t first = world_.administration_first_office[administration];
  return {first, world_.administration_first_office[administration + 1] - first};
}

AdaptiveFraudsters::AdaptiveFraudsters(const World& world, const AdaptationSpec& spec,
                                       const UndervaluationSpec& undervaluation)
    : world_(world), spec_(spec), levels_(static_cast<std::uint32_t>(spec.understatement_levels)) {
  const Traders& traders = world.traders;
  const std::uint32_t width = traders.portfolio_hs6_width;
  const auto prior = static_cast<float>(spec.prior_inspection_probability);
  factor_min_ = static_cast<float>(undervaluation.factor_min);
  factor_span_ = static_cast<float>(undervaluation.factor_max - undervaluation.factor_min);
  const double middle = undervaluation.factor_min + (undervaluation.factor_max - undervaluation.factor_min) / 2.0;
  for (std::uint32_t v = 0; v < levels_; ++v) {
    const double factor = undervaluation.factor_min +
                          (undervaluation.factor_max - undervaluation.factor_min) * (v + 0.5) / static_cast<double>(levels_);
    level_gain_.push_back(static_cast<float>((1.0 - factor) / (1.0 - middle)));
  }
  // Pass 1: learners. A ring's members, or a phoenix firm's identities, share one learner, whose
  // code beliefs cover the union of their portfolios; every other fraud-prone trader is its own.
  const std::size_t rings = world.rings.rings();
  std::vector<std::int64_t> group_learner(rings + world.phoenix.firms, -1);
  std::vector<std::vector<std::uint32_t>> group_codes;  // [l], empty for a lone learner
  trader_slot_.assign(traders.size(), -1);
  std::int32_t slots = 0;
  for (std::uint32_t t = 0; t < traders.size(); ++t) {
    if (!traders.fraud_prone[t]) continue;
    trader_slot_[t] = slots++;
    std::int64_t group = -1;
    if (!traders.ring.empty() && traders.ring[t] >= 0) {
      group = traders.ring[t];
    } else if (!traders.phoenix_firm.empty() && traders.phoenix_firm[t] >= 0) {
      group = static_cast<std::int64_t>(rings) + traders.phoenix_firm[t];
    }
    std::uint32_t first_office = 0, offices = static_cast<std::uint32_t>(world.offices.size());
    if (group < 0) std::tie(first_office, offices) = OfficeRange(t);
    std::int64_t learner = group < 0 ? -1 : group_learner[static_cast<std::size_t>(group)];
    if (learner < 0) {
      learner = static_cast<std::int64_t>(learner_first_office_.size());
      if (group >= 0) group_learner[static_cast<std::size_t>(group)] = learner;
      learner_first_office_.push_back(first_office);
      office_offset_.push_back(static_cast<std::uint32_t>(office_belief_.size()));
      office_belief_.insert(office_belief_.end(), offices, prior);
      group_codes.emplace_back();
    }
    learner_.push_back(static_cast<std::uint32_t>(learner));
    if (group >= 0) {
      const std::uint32_t* portfolio = &traders.portfolio_hs6[static_cast<std::size_t>(t) * width];
      std::vector<std::uint32_t>& codes = group_codes[static_cast<std::size_t>(learner)];
      codes.insert(codes.end(), portfolio, portfolio + width);
    }
  }
  // Pass 2: code beliefs per learner (one per portfolio slot for a lone trader, one per distinct
  // code for a group) and the index of each trader's slots among them.
  const std::size_t learners = learner_first_office_.size();
  std::vector<std::uint32_t> hs_offset(learners);
  for (std::size_t l = 0; l < learners; ++l) {
    std::vector<std::uint32_t>& codes = group_codes[l];
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    hs_offset[l] = static_cast<std::uint32_t>(hs_belief_.size());
    hs_belief_.insert(hs_belief_.end(), codes.empty() ? width : codes.size(), prior);
  }
  hs_index_.resize(static_cast<std::size_t>(slots) * width);
  for (std::uint32_t t = 0; t < traders.size(); ++t) {
    if (trader_slot_[t] < 0) continue;
    const auto k = static_cast<std::size_t>(trader_slot_[t]);
    const std::uint32_t l = learner_[k];
    const std::vector<std::uint32_t>& codes = group_codes[l];
    for (std::uint32_t j = 0; j < width; ++j) {
      const std::uint32_t code = traders.portfolio_hs6[static_cast<std::size_t>(t) * width + j];
      const auto index = codes.empty() ? j : static_cast<std::uint32_t>(std::lower_bound(codes.begin(), codes.end(), code) - codes.begin());
      hs_index_[k * width + j] = hs_offset[l] + index;
    }
  }
  level_belief_.assign(learners * levels_, prior);
  route_belief_.assign(learners * 2, prior);
  detection_belief_.assign(learners, 1.0f);
}

std::size_t AdaptiveFraudsters::OfficeIndex(std::uint32_t trader, std::uint32_t office) const {
  const std::uint32_t l = LearnerOf(trader);
  return office_offset_[l] + (office - learner_first_office_[l]);
}

AdaptiveFraudsters::Choice AdaptiveFraudsters::Choose(std::uint32_t trader, std::uint16_t usual_office,
                                                      std::uint32_t usual_slot, std::uint32_t office_word,
                                                      std::uint32_t slot_word) const {
  const auto k = static_cast<std::size_t>(trader_slot_[trader]);
  const std::uint32_t l = learner_[k];
  const auto [first_office, offices] = OfficeRange(trader);
  const std::uint32_t width = world_.traders.portfolio_hs6_width;
  const float* office_belief = &office_belief_[OfficeIndex(trader, first_office)];
  const std::uint32_t* hs_index = &hs_index_[k * width];
  // Expected loss per unit of belief: a caught fraud loses its gain and pays the penalty.
  const auto loss = static_cast<float>(detection_belief_[l] * (1.0 + spec_.penalty_per_detection) / 2.0);
  const auto switching = static_cast<float>(spec_.switching_cost);
  float utility[kMaxOptions];
  for (std::uint32_t o = 0; o < offices; ++o) {
    utility[o] = -loss * office_belief[o] - (first_office + o == usual_office ? 0.0f : switching);
  }
  const std::uint32_t office = SoftmaxPick(utility, offices, spec_.temperature, office_word);
  const float office_utility = utility[office];
  for (std::uint32_t j = 0; j < width; ++j) {
    utility[j] = -loss * hs_belief_[hs_index[j]] - (j == usual_slot ? 0.0f : switching);
  }
  const std::uint32_t slot = SoftmaxPick(utility, width, spec_.temperature, slot_word);
  const float net_gain = 1.0f + office_utility + utility[slot];
  if (net_gain <= 0.0f) return {usual_office, usual_slot, true};
  return {static_cast<std::uint16_t>(first_office + office), slot, false};
}

AdaptiveFraudsters::LevelChoice AdaptiveFraudsters::ChooseVariant(std::uint32_t trader, std::uint16_t office,
                                                                  std::uint32_t slot, const float* belief,
                                                                  const float* gain, std::uint32_t count,
                                                                  std::uint32_t usual, std::uint32_t word) const {
  const auto k = static_cast<std::size_t>(trader_slot_[trader]);
  const std::uint32_t l = learner_[k];
  const float where = office_belief_[OfficeIndex(trader, office)] + hs_belief_[hs_index_[k * world_.traders.portfolio_hs6_width + slot]];
  const float detection = detection_belief_[l];
  const auto penalty = static_cast<float>(spec_.penalty_per_detection);
  const auto switching = static_cast<float>(spec_.switching_cost);
  float utility[kMaxLevels];
  for (std::uint32_t v = 0; v < count; ++v) {
    const float caught = detection * (where + belief[v]) / 3.0f;
    const float option_gain = gain == nullptr ? 1.0f : gain[v];
    utility[v] = option_gain * (1.0f - caught) - caught * penalty - (v == usual ? 0.0f : switching);
  }
  const std::uint32_t pick = SoftmaxPick(utility, count, spec_.temperature, word);
  return {pick, utility[pick] <= 0.0f};
}

AdaptiveFraudsters::LevelChoice AdaptiveFraudsters::ChooseLevel(std::uint32_t trader, std::uint16_t office,
                                                                std::uint32_t slot, std::uint32_t usual_level,
                                                                std::uint32_t word) const {
  return ChooseVariant(trader, office, slot, &level_belief_[LearnerOf(trader) * levels_], level_gain_.data(), levels_,
                       usual_level, word);
}

AdaptiveFraudsters::LevelChoice AdaptiveFraudsters::ChooseRoute(std::uint32_t trader, std::uint16_t office,
                                                                std::uint32_t slot, std::uint32_t usual_route,
                                                                std::uint32_t word) const {
  return ChooseVariant(trader, office, slot, &route_belief_[LearnerOf(trader) * 2], nullptr, 2, usual_route, word);
}

std::uint32_t AdaptiveFraudsters::LevelOf(float factor) const {
  if (!(factor_span_ > 0.0f)) return 0;
  const float position = (factor - factor_min_) / factor_span_ * static_cast<float>(levels_);
  if (!(position > 0.0f)) return 0;
  return std::min(levels_ - 1, static_cast<std::uint32_t>(position));
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
    const std::uint32_t l = learner_[static_cast<std::size_t>(k)];
    const float inspected = outcomes.inspected[row] != 0 ? 1.0f : 0.0f;
    float& office = office_belief_[OfficeIndex(trader, declared.office[row])];
    office += rate * (inspected - office);
    const std::uint32_t* portfolio = &traders.portfolio_hs6[static_cast<std::size_t>(trader) * width];
    const std::uint32_t slot = static_cast<std::uint32_t>(std::find(portfolio, portfolio + width, truth.true_hs6[row]) - portfolio);
    if (slot < width) {
      float& hs = hs_belief_[hs_index_[static_cast<std::size_t>(k) * width + slot]];
      hs += rate * (inspected - hs);
    }
    if (levels_ > 1 && (truth.fraud_type[row] & data::kFraudUndervaluation) != 0) {
      float& level = level_belief_[l * levels_ + LevelOf(declared.declared_value[row] / truth.true_value[row])];
      level += rate * (inspected - level);
    }
    if (spec_.choose_route && (truth.fraud_type[row] & data::kFraudOriginMisdeclaration) != 0 &&
        declared.departure[row] != truth.true_origin[row]) {  // a revealing route was not chosen: not learnt
      float& route = route_belief_[l * 2 + (declared.departure[row] != declared.origin[row] ? 1u : 0u)];
      route += rate * (inspected - route);
    }
    if (inspected > 0.0f) {
      float& detection = detection_belief_[l];
      detection += rate * ((outcomes.detected[row] != 0 ? 1.0f : 0.0f) - detection);
    }
  }
}

float AdaptiveFraudsters::OfficeBelief(std::uint32_t trader, std::uint16_t office) const {
  return office_belief_[OfficeIndex(trader, office)];
}

float AdaptiveFraudsters::HsBelief(std::uint32_t trader, std::uint32_t slot) const {
  const std::uint32_t width = world_.traders.portfolio_hs6_width;
  return hs_belief_[hs_index_[static_cast<std::size_t>(trader_slot_[trader]) * width + slot]];
}

float AdaptiveFraudsters::LevelBelief(std::uint32_t trader, std::uint32_t level) const {
  return level_belief_[LearnerOf(trader) * levels_ + level];
}

}  // namespace crsim::sim
