// Adaptive fraudsters: what fraud-prone traders believe about the controls, and how they choose.
//
// Each fraud-prone trader holds, for every option it can choose when it cheats,
//   b_office[o]  its belief that a fraud lodged at office o (any office of its administration; with
//                across_administrations, any office of any administration: port shopping) is inspected,
//   b_hs[j]      the same for a fraud on the j-th HS6 code of its portfolio,
//   d            its belief that an inspection of its fraud finds it,
// all starting at fraud.adaptation.prior_inspection_probability (d at 1: it assumes an inspection
// finds the fraud until it sees otherwise). The perceived chance of being caught at (o, j) is
// q = d (b_office[o] + b_hs[j]) / 2. In units of the duty a fraud evades, the expected net gain is
//   U(o, j) = (1 - q) - q x penalty_per_detection - switching_cost x ([o != o0] + [j != j0]),
// where (o0, j0) is where the consignment would go anyway. A fraud attempt picks (o, j) with
// probability proportional to exp(U / temperature); because U is a sum of an office term and an
// HS term, that is an independent softmax over offices and one over HS slots. When U of the pick
// is <= 0 (the expected penalty exceeds the expected gain) the trader does not cheat: the
// declaration is lodged honestly where it would have gone (deterrence).
//
// Understatement (fraud.adaptation.understatement_levels = L > 1): an undervaluation's factor range
// [factor_min, factor_max] is split into L equal levels, and the fraudster also holds b_level[v], its
// belief that an undervaluation at level v is inspected (price-anomaly rules catch large
// understatement). Once the attempt is an undervaluation (office and code already chosen), it picks
// the level with probability proportional to exp(U_v / temperature), where
//   U_v = g_v (1 - q_v) - q_v x penalty_per_detection - switching_cost x [v != v0],
//   q_v = d (b_office[o] + b_hs[j] + b_level[v]) / 3,  g_v = (1 - f_v) / (1 - f_mid),
// f_v the mid factor of level v, f_mid that of the whole range (so the average level gains 1, the
// unit of U) and v0 the level the consignment's drawn factor falls in (its position within the
// level is kept). When U of the pick is <= 0 the trader declares honestly (deterrence).
//
// Route (fraud.adaptation.choose_route): a transshipment's declared route, direct (departure = the
// declared transit country) or via a hub, is chosen the same way with b_route[r] and g_r = 1 (the
// route does not change the duty evaded); v0 is the route the consignment drew. A route that
// reveals the true origin (route_reveal_probability) still does, whatever the choice.
//
// Learning: after each day's inspections, every fraud of a fraud-prone trader moves the beliefs of
// its office and HS code (and of its level, for an undervaluation; of its route, for a
// transshipment whose route did not reveal its origin) toward what happened to it (1
// inspected, 0 not) by learning_rate, and an inspected one moves d toward 1 (detected) or 0. This is
// the fraudster's own information (it knows which of its declarations were fraudulent and which were
// inspected or caught), never the risk engine's. The update runs sequentially in row order, so
// beliefs are the same for any thread count.
//
// Who learns together. Beliefs are held per learner: a lone fraud-prone trader, a fraud ring
// ([fraud.rings]: its members pool what they learn) or a phoenix firm ([fraud.phoenix]: a new
// identity inherits what the firm's earlier identities learnt). A ring's or firm's office beliefs
// cover every office (each member chooses among those it may use); its code beliefs cover the union
// of its members' portfolios (each member's portfolio slot maps to the code's belief), so a member
// who was never inspected moves away from an office or code where its ring mates were.
//
// Memory: one float per (learner, office it may choose), per (learner, code) and per (learner,
// level), and one index per (fraud-prone trader, portfolio slot): it depends on the traders, not
// on the length of the run.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

struct InspectionOutcomes;

class AdaptiveFraudsters {
 public:
  AdaptiveFraudsters(const World& world, const AdaptationSpec& spec, const UndervaluationSpec& undervaluation);

  // What a fraud attempt of `trader` does, given where the consignment would go (office, slot)
  // and two uniform words. The trader must be fraud-prone.
  struct Choice {
    std::uint16_t office;
    std::uint32_t slot;
    bool deterred;
  };
  Choice Choose(std::uint32_t trader, std::uint16_t usual_office, std::uint32_t usual_slot,
                std::uint32_t office_word, std::uint32_t slot_word) const;

  // The understatement level (0 .. levels() - 1; level 0 understates most) of an undervaluation of
  // `trader` lodged at (office, slot), given the level its drawn factor falls in and one uniform word.
  struct LevelChoice {
    std::uint32_t level;
    bool deterred;
  };
  LevelChoice ChooseLevel(std::uint32_t trader, std::uint16_t office, std::uint32_t slot, std::uint32_t usual_level,
                          std::uint32_t word) const;
  std::uint32_t levels() const { return levels_; }

  // The declared route of a transshipment (origin misdeclaration) of `trader` lodged at (office,
  // slot) with fraud.adaptation.choose_route: 0 direct (departure = the declared transit country),
  // 1 via a hub; given the route the consignment drew and one uniform word.
  LevelChoice ChooseRoute(std::uint32_t trader, std::uint16_t office, std::uint32_t slot, std::uint32_t usual_route,
                          std::uint32_t word) const;
  bool chooses_route() const { return spec_.choose_route; }
  // The level of an undervaluation factor (declared / true value), clamped to 0 .. levels() - 1.
  std::uint32_t LevelOf(float factor) const;

  // Updates beliefs from one day's batch and its inspection outcomes (sequential, row order).
  void Learn(const data::DeclaredView& declared, const data::TruthView& truth, const InspectionOutcomes& outcomes);

  bool IsAdaptive(std::uint32_t trader) const { return trader_slot_[trader] >= 0; }
  // The learner whose beliefs trader uses (shared by a ring's members and a phoenix firm's identities).
  std::uint32_t LearnerOf(std::uint32_t trader) const {
    return learner_[static_cast<std::size_t>(trader_slot_[trader])];
  }

  // The trader's (its learner's) beliefs (for tests and reports).
  float OfficeBelief(std::uint32_t trader, std::uint16_t office) const;
  float HsBelief(std::uint32_t trader, std::uint32_t slot) const;
  float LevelBelief(std::uint32_t trader, std::uint32_t level) const;

 private:
  // The offices a fraud of `trader` may be lodged at: [first, first + count), global indices.
  std::pair<std::uint32_t, std::uint32_t> OfficeRange(std::uint32_t trader) const;
  // Where the belief of `trader`'s learner about `office` (a global index in the trader's range) is
  // in office_belief_; the trader's other offices follow it in order.
  std::size_t OfficeIndex(std::uint32_t trader, std::uint32_t office) const;
  // Softmax over `count` options of one more dimension (understatement level, route) at (office,
  // slot): U_v = gain_v (1 - q_v) - q_v penalty - switching [v != usual], q_v = d (b_o + b_j + belief_v) / 3.
  LevelChoice ChooseVariant(std::uint32_t trader, std::uint16_t office, std::uint32_t slot, const float* belief,
                            const float* gain, std::uint32_t count, std::uint32_t usual, std::uint32_t word) const;
  // Expected gain of each level (g_v above).
  std::vector<float> level_gain_;

  const World& world_;
  AdaptationSpec spec_;
  std::uint32_t levels_ = 1;
  float factor_min_ = 0.0f, factor_span_ = 0.0f;
  std::vector<std::int32_t> trader_slot_;    // index among fraud-prone traders, -1 for honest ones
  std::vector<std::uint32_t> learner_;       // [k]: learner of fraud-prone trader k
  std::vector<std::uint32_t> hs_index_;      // [k * portfolio_hs6_width + j]: index into hs_belief_ of slot j
  std::vector<std::uint32_t> learner_first_office_;  // [l]: first office of the learner's office beliefs
  std::vector<std::uint32_t> office_offset_;  // [l]: its beliefs are office_belief_[office_offset_[l] ..]
  std::vector<float> office_belief_;
  std::vector<float> hs_belief_;
  std::vector<float> level_belief_;           // [l * levels_ + v]
  std::vector<float> route_belief_;           // [l * 2 + r], r = 0 direct, 1 via a hub
  std::vector<float> detection_belief_;       // [l]
};

}  // namespace crsim::sim
