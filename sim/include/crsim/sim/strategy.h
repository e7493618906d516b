// Control strategies: which declarations to control, under each office's daily capacity.
//
// Registered strategies (scenarios and benchmarks pick them by name; a [strategy.<name>] table runs
// one under another name, with its own settings and risk combination):
//   random        capacity[o] uniformly random declarations of each office o (random priority per
//                 declaration from the kStrategyRandom stream at (day, record)).
//   topk          the capacity[o] highest risk scores of each office, ties to the lower declaration id.
//   hybrid        round(random_share x capacity[o]) random picks first, then the highest risk scores
//                 among the rest for the remaining capacity (random_share of the instance's table).
//   threshold     every declaration whose risk score exceeds the instance's score_threshold,
//                 highest first when there are more than capacity[o]; capacity may stay unused.
//   bandit        the highest of risk score + weight x u, u the exploration term of the trader's
//                 hit-rate posterior (kernels/entity_posterior.h): "ucb" u = exploration x sd,
//                 "thompson" u = sd x z, z a standard normal from the kStrategyBandit stream at
//                 (day, record), the declaration's own draw. sd = sqrt(m (1 - m) / (n + s + 1)) for
//                 the trader's posterior mean m, inspections n and prior strength s: traders seldom
//                 inspected get a larger bonus and are explored.
//   aeo           topk, with authorised economic operators (a public trader status) inspected at
//                 selection_factor x the office's inspection rate: per office o with n eligible
//                 declarations, a of them AEO, AEOs get round(selection_factor x capacity x a / n)
//                 of the capacity (their highest scores), the others the rest.
//   intelligence  tipped declarations first (highest score first, up to capacity), then the
//                 highest risk scores among the rest. Tips are made outside the strategy
//                 (Inspector::IssueTips) and arrive as an input column, like a rule hit.
// A strategy reads only declared columns, risk scores and public or learned per-trader tables
// (SelectionInputs has no truth in it).
//
// Every strategy takes rows already marked in `selected` as taken (by a mandatory rule, a random
// minimum or another channel: crsim/sim/channels.h) and adds at most capacity[o] rows per office.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

struct SelectionInputs {
  data::DeclaredView declared;
  std::span<const float> risk_score;       // empty when the strategy does not use scores
  std::span<const float> random_priority;  // uniform [0, 1) per declaration, shared by all strategies
  std::span<const std::uint32_t> office_capacity;
  // Optional inputs (empty when the scenario or the caller does not provide them):
  std::span<const float> trader_mean{};                 // per trader: posterior hit rate (RiskEngine::trader_risk)
  std::span<const std::uint32_t> trader_inspections{};  // per trader: inspections so far (RiskEngine)
  std::span<const std::uint8_t> trader_aeo{};           // per trader: 1 = AEO (World, public status)
  std::span<const std::uint8_t> tipped{};               // per declaration: 1 = named by a tip
  const CounterRandom* random = nullptr;              // for strategies that draw (bandit "thompson")
  std::int64_t day = 0;                               // the day of the run (the draws' counter)
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual bool uses_risk_score() const = 0;
  // Sets selected[i] = 1 for the declarations to inspect; rows already set are taken and stay set.
  virtual void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const = 0;
  // The same, also setting random_pick[i] = 1 where the strategy picked at random rather than by
  // risk (the selection-bias estimate uses those; it may also mark rows taken before the call, which
  // the caller ignores). The default marks none.
  virtual void SelectMarkingRandom(const SelectionInputs& inputs, std::span<std::uint8_t> selected,
                                   std::span<std::uint8_t> random_pick) const {
    (void)random_pick;
    Select(inputs, selected);
  }
};

using StrategyFactory = std::function<std::unique_ptr<Strategy>(const StrategyInstanceSpec&, const ScenarioSpec&)>;

// Builds the strategy instance (its kind, with its settings); throws std::invalid_argument for an
// unknown kind (scenario validation rejects those earlier, with a hint).
std::unique_ptr<Strategy> MakeStrategy(const StrategyInstanceSpec& instance, const ScenarioSpec& spec);

// The same for the instance `name` of the scenario (FindStrategyInstance).
std::unique_ptr<Strategy> MakeStrategy(std::string_view name, const ScenarioSpec& spec);

// Fills priority[i] with the uniform random priority of record i of the day.
void FillRandomPriority(const CounterRandom& random, std::int64_t day, std::span<float> priority);

}  // namespace crsim::sim
