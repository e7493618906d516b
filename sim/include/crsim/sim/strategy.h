// Control strategies: which declarations to inspect, under each office's daily capacity.
//
// Registered strategies (scenarios and benchmarks pick them by name; a [strategy.<name>] table runs
// one under another name, with its own settings and risk combination):
//   random  capacity[o] uniformly random declarations of each office o (random priority per
//           declaration from the kStrategyRandom stream at (day, record)).
//   topk    the capacity[o] highest risk scores of each office, ties to the lower declaration id.
//   hybrid  round(random_share x capacity[o]) random picks first, then the highest risk scores
//           among the rest for the remaining capacity (random_share of the instance's table).
// A strategy reads only declared columns and risk scores (SelectionInputs has no truth in it).
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
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual bool uses_risk_score() const = 0;
  // Sets selected[i] = 1 for the declarations to inspect (selected arrives all zero).
  virtual void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const = 0;
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
