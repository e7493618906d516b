#include "crsim/sim/strategy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "crsim/kernels/top_k.h"

namespace crsim::sim {

namespace {

class RandomStrategy final : public Strategy {
 public:
  bool uses_risk_score() const override { return false; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    kernels::SelectTopKPerGroup(inputs.random_priority, inputs.declared.office, inputs.office_capacity, selected);
  }
};

class TopKStrategy final : public Strategy {
 public:
  bool uses_risk_score() const override { return true; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, inputs.office_capacity, selected);
  }
};

class HybridStrategy final : public Strategy {
 public:
  explicit HybridStrategy(double random_share) : random_share_(random_share) {}
  bool uses_risk_score() const override { return true; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    std::vector<std::uint32_t> random_capacity(inputs.office_capacity.size());
    std::vector<std::uint32_t> scored_capacity(inputs.office_capacity.size());
    for (std::size_t office = 0; office < inputs.office_capacity.size(); ++office) {
      const std::uint32_t capacity = inputs.office_capacity[office];
      random_capacity[office] = static_cast<std::uint32_t>(std::llround(random_share_ * capacity));
      scored_capacity[office] = capacity - random_capacity[office];
    }
    kernels::SelectTopKPerGroup(inputs.random_priority, inputs.declared.office, random_capacity, selected);
    kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, scored_capacity, selected);
  }

 private:
  double random_share_;
};

struct RegisteredStrategy {
  std::string name;
  StrategyFactory make;
};

// The registry, in the order strategies are listed to users.
const std::vector<RegisteredStrategy>& Registry() {
  static const std::vector<RegisteredStrategy> registry = {
      {"random", [](const StrategyInstanceSpec&, const ScenarioSpec&) { return std::make_unique<RandomStrategy>(); }},
      {"topk", [](const StrategyInstanceSpec&, const ScenarioSpec&) { return std::make_unique<TopKStrategy>(); }},
      {"hybrid",
       [](const StrategyInstanceSpec& instance, const ScenarioSpec&) {
         return std::make_unique<HybridStrategy>(instance.hybrid.random_share);
       }},
  };
  return registry;
}

}  // namespace

std::unique_ptr<Strategy> MakeStrategy(const StrategyInstanceSpec& instance, const ScenarioSpec& spec) {
  for (const RegisteredStrategy& strategy : Registry()) {
    if (strategy.name == instance.kind) return strategy.make(instance, spec);
  }
  throw std::invalid_argument("unknown strategy \"" + instance.kind + "\"");
}

std::unique_ptr<Strategy> MakeStrategy(std::string_view name, const ScenarioSpec& spec) {
  return MakeStrategy(FindStrategyInstance(spec, std::string(name)), spec);
}

const std::vector<std::string>& RegisteredStrategyNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (const RegisteredStrategy& strategy : Registry()) result.push_back(strategy.name);
    return result;
  }();
  return names;
}

void FillRandomPriority(const CounterRandom& random, std::int64_t day, std::span<float> priority) {
  const auto day_word = static_cast<std::uint32_t>(day);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, priority.size(), 16384),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t row = range.begin(); row != range.end(); ++row) {
                        const RandomBlock words =
                            random.Block(Stream::kStrategyRandom, day_word, static_cast<std::uint32_t>(row), 0);
                        priority[row] = UniformFloat(words[0]);
                      }
                    });
}

}  // namespace crsim::sim
