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
// Learning: after each day's inspections, every fraud of a fraud-prone trader moves the beliefs of
// its office and HS code toward what happened to it (1 inspected, 0 not) by learning_rate, and an
// inspected one moves d toward 1 (detected) or 0. This is the trader's own information (it knows
// which of its declarations were fraudulent and which were inspected or caught), never the risk
// engine's. The update runs sequentially in row order, so beliefs are the same for any thread count.
//
// Memory: one float per (fraud-prone trader, office it may choose) and per (fraud-prone
// trader, portfolio slot): it depends on the traders, not on the length of the run.
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
  AdaptiveFraudsters(const World& world, const AdaptationSpec& spec);

  // What a fraud attempt of `trader` does, given where the consignment would go (office, slot)
  // and two uniform words. The trader must be fraud-prone.
  struct Choice {
    std::uint16_t office;
    std::uint32_t slot;
    bool deterred;
  };
  Choice Choose(std::uint32_t trader, std::uint16_t usual_office, std::uint32_t usual_slot,
                std::uint32_t office_word, std::uint32_t slot_word) const;

  // Updates beliefs from one day's batch and its inspection outcomes (sequential, row order).
  void Learn(const data::DeclaredView& declared, const data::TruthView& truth, const InspectionOutcomes& outcomes);

  bool IsAdaptive(std::uint32_t trader) const { return trader_slot_[trader] >= 0; }

  // The trader's beliefs (for tests and reports).
  float OfficeBelief(std::uint32_t trader, std::uint16_t office) const;
  float HsBelief(std::uint32_t trader, std::uint32_t slot) const;

 private:
  const World& world_;
  // The offices a fraud of `trader` may be lodged at: [first, first + count), global indices.
  std::pair<std::uint32_t, std::uint32_t> OfficeRange(std::uint32_t trader) const;

  AdaptationSpec spec_;
  std::vector<std::int32_t> trader_slot_;    // index among fraud-prone traders, -1 for honest ones
  std::vector<std::uint32_t> office_offset_; // beliefs of slot k: office_belief_[office_offset_[k] ..]
  std::vector<float> office_belief_;
  std::vector<float> hs_belief_;             // [k * portfolio_hs6_width + j]
  std::vector<float> detection_belief_;      // [k]
};

}  // namespace crsim::sim
