// The experiment runner: one replication of a scenario, day by day, for every strategy.
//
// Per day: generate (once, shared: every strategy sees identical arrivals; with it the mandatory
// channels of rules and the tips), then for each strategy in scenario order: score (its own risk
// engine, or one per administration: crsim/sim/exchange.h), route to channels and serve the queues
// (crsim/sim/channels.h), inspect and measure, complete the controls of earlier days whose result is due, learn. With
// fraud.adaptation on, each strategy has its own adaptive fraudsters, so generation moves inside the
// strategy loop (same counters: only where fraud attempts go, and whether they happen, differ) and
// the fraudsters learn after the strategy's inspections. Memory holds
// the world, one day's batch and each strategy's learned state; it does not grow with the number
// of days beyond one DayMetrics per day and strategy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crsim/sim/channels.h"
#include "crsim/sim/metrics.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

// Wall-clock seconds spent in each stage (not deterministic: reported, never compared).
struct StageSeconds {
  double generate = 0.0;
  double score = 0.0;
  double select = 0.0;
  double inspect = 0.0;
  double learn = 0.0;  // feedback, without the model trainings
  double train = 0.0;  // model trainings (combinations "logistic" and "gbdt"), part of the feedback stage
};

// What a strategy's risk model learned (deterministic; zero without a trained model).
struct ModelSummary {
  std::string combination;             // the instance's risk combination
  std::int64_t trainings = 0;          // trainings over the run
  std::int64_t last_training_rows = 0; // training rows (inspected declarations) of the last one
  std::int64_t trees = 0;              // trees of the GBDT after its last training (0 for other combinations)
};

struct StrategyResult {
  std::string name;               // the instance name (run.strategies)
  std::vector<DayMetrics> daily;  // one per simulated day
  DayMetrics total;               // sum over days >= warmup_days
  StageSeconds seconds;           // generate is 0 here: generation is shared
  bool uses_risk_score = false;   // false: the score and learn stages are skipped
  ModelSummary model;
  ChannelHistograms release{};    // release times per channel (hours) over days >= warmup_days
};

struct ExperimentResult {
  std::uint32_t replication = 0;
  std::vector<StrategyResult> strategies;  // in scenario order
  std::uint64_t declarations = 0;          // generated over all days
  double generate_seconds = 0.0;
  double total_seconds = 0.0;
};

// Called after each simulated day (for progress reporting); may be empty.
using DayCallback = std::function<void(std::int64_t day, const ExperimentResult& so_far)>;

// Runs one replication (its world, arrivals, inspections and random picks all drawn from streams
// keyed by (seed, replication)) in the calling thread's TBB arena: limit threads with
// tbb::global_control or a task_arena.
ExperimentResult RunExperiment(const ScenarioSpec& spec, std::uint32_t replication = 0,
                               const DayCallback& on_day = {});

}  // namespace crsim::sim
