#include "crsim/sim/strategy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "crsim/kernels/top_k.h"

namespace crsim::sim {

namespace {

// Rows per parallel task of the elementwise priority passes (never changes results).
constexpr std::size_t kPriorityChunk = 16384;

// A missing optional input is a caller bug (the experiment always provides them).
void Require(bool present, const char* what) {
  if (present) return;
  std::fprintf(stderr, "%s:%d: strategy input missing: %s\n", __FILE__, __LINE__, what);
  std::abort();
}

void MarkSelected(std::span<const std::uint8_t> selected, std::span<std::uint8_t> random_pick) {
  for (std::size_t i = 0; i < selected.size(); ++i) random_pick[i] = static_cast<std::uint8_t>(random_pick[i] | selected[i]);
}

// Per office: capacity[o] capped at the number of rows not yet selected with eligible[i] true.
template <typename Eligible>
std::vector<std::uint32_t> CapToEligible(const SelectionInputs& inputs, std::span<const std::uint8_t> selected,
                                         Eligible eligible) {
  std::vector<std::uint32_t> count(inputs.office_capacity.size(), 0);
  for (std::size_t i = 0; i < selected.size(); ++i) {
    if (!selected[i] && eligible(i)) ++count[inputs.declared.office[i]];
  }
  for (std::size_t o = 0; o < count.size(); ++o) count[o] = std::min(count[o], inputs.office_capacity[o]);
  return count;
}

class RandomStrategy final : public Strategy {
 public:
  bool uses_risk_score() const override { return false; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    kernels::SelectTopKPerGroup(inputs.random_priority, inputs.declared.office, inputs.office_capacity, selected);
  }
  void SelectMarkingRandom(const SelectionInputs& inputs, std::span<std::uint8_t> selected,
                           std::span<std::uint8_t> random_pick) const override {
    Select(inputs, selected);
    MarkSelected(selected, random_pick);
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
    SelectMarkingRandom(inputs, selected, {});
  }
  void SelectMarkingRandom(const SelectionInputs& inputs, std::span<std::uint8_t> selected,
                           std::span<std::uint8_t> random_pick) const override {
    std::vector<std::uint32_t> random_capacity(inputs.office_capacity.size());
    std::vector<std::uint32_t> scored_capacity(inputs.office_capacity.size());
    for (std::size_t office = 0; office < inputs.office_capacity.size(); ++office) {
      const std::uint32_t capacity = inputs.office_capacity[office];
      random_capacity[office] = static_cast<std::uint32_t>(std::llround(random_share_ * capacity));
      scored_capacity[office] = capacity - random_capacity[office];
    }
    kernels::SelectTopKPerGroup(inputs.random_priority, inputs.declared.office, random_capacity, selected);
    if (!random_pick.empty()) MarkSelected(selected, random_pick);
    kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, scored_capacity, selected);
  }

 private:
  double random_share_;
};

class ThresholdStrategy final : public Strategy {
 public:
  explicit ThresholdStrategy(double threshold) : threshold_(static_cast<float>(threshold)) {}
  bool uses_risk_score() const override { return true; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    // The top min(capacity, #above) rows by score are exactly rows above the threshold.
    const std::vector<std::uint32_t> capacity =
        CapToEligible(inputs, selected, [&](std::size_t i) { return inputs.risk_score[i] > threshold_; });
    kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, capacity, selected);
  }

 private:
  float threshold_;
};

class BanditStrategy final : public Strategy {
 public:
  BanditStrategy(const BanditSpec& bandit, double prior_strength)
      : thompson_(bandit.method == "thompson"),
        exploration_(bandit.exploration),
        weight_(bandit.weight),
        prior_strength_(prior_strength) {}
  bool uses_risk_score() const override { return true; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    Require(!inputs.trader_mean.empty() && !inputs.trader_inspections.empty(), "trader posterior");
    Require(!thompson_ || inputs.random != nullptr, "random streams");
    const std::size_t size = selected.size();
    std::vector<float> priority(size);
    const auto day_word = static_cast<std::uint32_t>(inputs.day);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, kPriorityChunk), [&](const tbb::blocked_range<std::size_t>& range) {
      for (std::size_t i = range.begin(); i != range.end(); ++i) {
        const std::uint32_t trader = inputs.declared.trader[i];
        const double mean = inputs.trader_mean[trader];
        const double n = inputs.trader_inspections[trader];
        const double sd = std::sqrt(std::max(0.0, mean * (1.0 - mean)) / (n + prior_strength_ + 1.0));
        double bonus = exploration_ * sd;
        if (thompson_) {
          const RandomBlock words = inputs.random->Block(Stream::kStrategyBandit, day_word, static_cast<std::uint32_t>(i), 0);
          bonus = sd * StandardNormalPair(words[0], words[1])[0];
        }
        priority[i] = inputs.risk_score[i] + static_cast<float>(weight_ * bonus);
      }
    });
    kernels::SelectTopKPerGroup(priority, inputs.declared.office, inputs.office_capacity, selected);
  }

 private:
  bool thompson_;
  double exploration_, weight_, prior_strength_;
};

class AeoStrategy final : public Strategy {
 public:
  explicit AeoStrategy(double selection_factor) : selection_factor_(selection_factor) {}
  bool uses_risk_score() const override { return true; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    Require(!inputs.trader_aeo.empty(), "trader AEO status");
    const std::size_t offices = inputs.office_capacity.size();
    // Two selections per office, AEO and others, each with its own share of the capacity.
    std::vector<std::uint32_t> eligible(offices, 0), eligible_aeo(offices, 0);
    const auto is_aeo = [&](std::size_t i) { return inputs.trader_aeo[inputs.declared.trader[i]] != 0; };
    for (std::size_t i = 0; i < selected.size(); ++i) {
      if (selected[i]) continue;
      ++eligible[inputs.declared.office[i]];
      eligible_aeo[inputs.declared.office[i]] += is_aeo(i) ? 1 : 0;
    }
    std::vector<std::uint32_t> aeo_capacity(offices, 0), other_capacity(offices, 0);
    for (std::size_t o = 0; o < offices; ++o) {
      const std::uint32_t capacity = inputs.office_capacity[o];
      const double share = eligible[o] == 0 ? 0.0 : static_cast<double>(eligible_aeo[o]) / eligible[o];
      aeo_capacity[o] = std::min(eligible_aeo[o],
                                 static_cast<std::uint32_t>(std::llround(selection_factor_ * capacity * share)));
      other_capacity[o] = capacity - aeo_capacity[o];
    }
    // Each call sees the other group's rows as taken (marked in a copy); its picks are copied back.
    SelectAmong(inputs, selected, aeo_capacity, [&](std::size_t i) { return is_aeo(i); });
    SelectAmong(inputs, selected, other_capacity, [&](std::size_t i) { return !is_aeo(i); });
  }

 private:
  template <typename InGroup>
  static void SelectAmong(const SelectionInputs& inputs, std::span<std::uint8_t> selected,
                          const std::vector<std::uint32_t>& capacity, InGroup in_group) {
    std::vector<std::uint8_t> taken(selected.size());
    for (std::size_t i = 0; i < selected.size(); ++i) taken[i] = (selected[i] || !in_group(i)) ? 1 : 0;
    kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, capacity, taken);
    for (std::size_t i = 0; i < selected.size(); ++i) if (taken[i] && in_group(i)) selected[i] = 1;
  }

  double selection_factor_;
};

class IntelligenceStrategy final : public Strategy {
 public:
  bool uses_risk_score() const override { return true; }
  void Select(const SelectionInputs& inputs, std::span<std::uint8_t> selected) const override {
    if (!inputs.tipped.empty()) {
      // Tipped rows first: among them by score; untipped rows rank below every tipped one and the
      // capacity is capped at the tipped count, so none of them is taken here.
      const std::vector<std::uint32_t> tip_capacity =
          CapToEligible(inputs, selected, [&](std::size_t i) { return inputs.tipped[i] != 0; });
      std::vector<float> priority(selected.size());
      for (std::size_t i = 0; i < priority.size(); ++i) {
        priority[i] = inputs.tipped[i] ? inputs.risk_score[i] : -std::numeric_limits<float>::infinity();
      }
      kernels::SelectTopKPerGroup(priority, inputs.declared.office, tip_capacity, selected);
      std::vector<std::uint32_t> rest(tip_capacity.size());
      for (std::size_t o = 0; o < rest.size(); ++o) rest[o] = inputs.office_capacity[o] - tip_capacity[o];
      kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, rest, selected);
      return;
    }
    kernels::SelectTopKPerGroup(inputs.risk_score, inputs.declared.office, inputs.office_capacity, selected);
  }
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
      {"threshold",
       [](const StrategyInstanceSpec& instance, const ScenarioSpec&) {
         return std::make_unique<ThresholdStrategy>(instance.threshold.score_threshold);
       }},
      {"bandit",
       [](const StrategyInstanceSpec& instance, const ScenarioSpec& spec) {
         return std::make_unique<BanditStrategy>(instance.bandit, spec.risk.trader_prior_strength);
       }},
      {"aeo",
       [](const StrategyInstanceSpec& instance, const ScenarioSpec&) {
         return std::make_unique<AeoStrategy>(instance.aeo.selection_factor);
       }},
      {"intelligence",
       [](const StrategyInstanceSpec&, const ScenarioSpec&) { return std::make_unique<IntelligenceStrategy>(); }},
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
