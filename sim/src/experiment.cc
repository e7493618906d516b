#include "crsim/sim/experiment.h"

#include <chrono>
#include <memory>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/adaptation.h"
#include "crsim/sim/channels.h"
#include "crsim/sim/exchange.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/phoenix.h"
#include "crsim/sim/risk_engine.h"
#include "crsim/sim/strategy.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

namespace {

class Stopwatch {
 public:
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

struct StrategyState {
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<ExchangeEngines> engine;  // its risk engine(s): one, or one per administration
  std::unique_ptr<AdaptiveFraudsters> fraudsters;  // this strategy's fraudsters (adaptation on), else null
  std::unique_ptr<PhoenixFirms> phoenix;           // this strategy's shell firms ([fraud.phoenix] on), else null
  std::unique_ptr<ControlDesk> desk;                // its channels and queues
};

double TrainingSeconds(const ExchangeEngines& engines) {
  double seconds = 0.0;
  for (std::size_t a = 0; a < engines.engine_count(); ++a) seconds += engines.engine(a).training_seconds();
  return seconds;
}

}  // namespace

ExperimentResult RunExperiment(const ScenarioSpec& spec, std::uint32_t replication, const DayCallback& on_day) {
  Stopwatch total_clock;
  const World world = BuildWorld(spec, replication);
  Generator generator(world, spec, replication);
  const Inspector inspector(spec, replication);
  const CounterRandom random(spec.run.seed, replication);

  MandatoryRules mandatory_rules(world, spec.risk);
  const bool tips = inspector.issues_tips();

  // Adaptive fraudsters react to the strategy they face, so each strategy has its own fraudsters
  // and its own arrivals; generation then moves inside the strategy loop. Every draw that does not
  // depend on beliefs keeps its counter, so strategies still share all of the rest.
  // Phoenix firms abandon an identity when it is caught: they too react to the strategy.
  const bool adaptive = spec.fraud.adaptation.enabled || spec.fraud.phoenix.enabled;
  ExperimentResult result;
  result.replication = replication;
  std::vector<StrategyState> states;
  for (const std::string& name : spec.run.strategies) {
    // Each instance: its kind with its settings, a risk engine of its own combination, its desk.
    const StrategyInstanceSpec instance = FindStrategyInstance(spec, name);
    states.push_back({MakeStrategy(instance, spec),
                      std::make_unique<ExchangeEngines>(world, spec, instance, replication),
                      spec.fraud.adaptation.enabled ? std::make_unique<AdaptiveFraudsters>(world, spec.fraud.adaptation, spec.fraud.undervaluation)
                                                    : nullptr,
                      spec.fraud.phoenix.enabled ? std::make_unique<PhoenixFirms>(world, spec.fraud.phoenix) : nullptr,
                      std::make_unique<ControlDesk>(world, spec)});
    result.strategies.push_back(
        StrategyResult{name, {}, {}, {}, states.back().strategy->uses_risk_score(), {instance.combination, 0, 0, 0}});
  }

  data::DeclarationBatch batch;
  data::AlignedColumn<float> risk_score;
  data::AlignedColumn<float> random_priority;
  data::AlignedColumn<std::uint8_t> mandatory;  // mandatory channel per declaration (rules with a channel)
  data::AlignedColumn<std::uint8_t> tipped;     // tips ([intelligence])
  InspectionOutcomes outcomes;
  std::vector<PendingControl> completed;
  std::vector<std::uint8_t> completed_detected;
  ChannelHistograms day_release;
  for (std::int64_t day = 0; day < spec.run.days; ++day) {
    Stopwatch clock;
    const auto generate = [&](const AdaptiveFraudsters* fraudsters, PhoenixFirms* phoenix) {
      clock.Lap();
      generator.GenerateDay(day, batch, static_cast<std::size_t>(spec.run.chunk_size), fraudsters, phoenix);
      result.generate_seconds += clock.Lap();
      random_priority.resize(batch.size());
      FillRandomPriority(random, day, random_priority.span());
      risk_score.resize(batch.size());
      // Inputs shared by all strategies like a rule hit: mandatory channels and tips.
      if (!mandatory_rules.empty()) {
        mandatory.resize(batch.size());
        mandatory_rules.Apply(batch.declared(), day, mandatory.span());
      }
      if (tips) {
        tipped.resize(batch.size());
        inspector.IssueTips(day, batch.declared().office, batch.truth(), tipped.span());
      }
    };
    if (!adaptive) generate(nullptr, nullptr);
    result.declarations += generator.DeclarationCount(day);

    for (std::size_t s = 0; s < states.size(); ++s) {
      StrategyState& state = states[s];
      StrategyResult& strategy_result = result.strategies[s];
      if (adaptive) generate(state.fraudsters.get(), state.phoenix.get());
      const data::DeclaredView declared = batch.declared();
      const data::TruthView truth = batch.truth();
      clock.Lap();
      const bool scored = state.strategy->uses_risk_score();
      if (scored) state.engine->Score(declared, day, risk_score.span());
      strategy_result.seconds.score += clock.Lap();
      outcomes.Reset(batch.size());
      SelectionInputs inputs{declared, scored ? std::span<const float>(risk_score.span()) : std::span<const float>(),
                             random_priority.span(), {}};
      inputs.trader_mean = state.engine->trader_risk();
      inputs.trader_inspections = state.engine->trader_inspections();
      inputs.trader_aeo = world.traders.aeo;
      if (tips) inputs.tipped = tipped.span();
      inputs.random = &random;
      inputs.day = day;
      ChannelCounters counters{};
      for (ReleaseHistogram& histogram : day_release) histogram.Clear();
      state.desk->Route(*state.strategy, inputs,
                        mandatory_rules.empty() ? std::span<const std::uint8_t>() : mandatory.span(), outcomes, counters);
      state.desk->Serve(day, declared, truth, inspector, outcomes, completed, counters, day_release);
      strategy_result.seconds.select += clock.Lap();
      DayMetrics metrics = inspector.InspectAndMeasure(day, declared, truth, outcomes);
      completed_detected.resize(completed.size());
      inspector.CompletePending(completed, metrics, completed_detected);
      for (std::size_t c = 0; c < counters.size(); ++c) metrics.by_channel[c] += counters[c];
      metrics.frauds_deterred = static_cast<std::int64_t>(generator.last_day_deterred());
      strategy_result.seconds.inspect += clock.Lap();
      const double trained_before = TrainingSeconds(*state.engine);
      if (scored) state.engine->Learn(day, declared, outcomes, completed, completed_detected);
      // The fraudsters learn from what happened to their own frauds (sequential: deterministic).
      if (state.fraudsters) state.fraudsters->Learn(declared, truth, outcomes);
      if (state.phoenix) {
        state.phoenix->LearnFromControls(completed, completed_detected);
        state.phoenix->Learn(declared, outcomes);
        metrics.phoenix_new_identities = static_cast<std::int64_t>(state.phoenix->identities_started_today());
      }
      const double train_seconds = TrainingSeconds(*state.engine) - trained_before;
      strategy_result.seconds.train += train_seconds;
      strategy_result.seconds.learn += clock.Lap() - train_seconds;
      strategy_result.daily.push_back(metrics);
      if (day >= spec.run.warmup_days) {
        strategy_result.total += metrics;
        for (std::size_t c = 0; c < day_release.size(); ++c) strategy_result.release[c] += day_release[c];
      }
    }
    if (on_day) on_day(day, result);
  }
  for (std::size_t s = 0; s < states.size(); ++s) {
    // Per-administration engines: trainings summed, rows and trees of the first administration's.
    const ExchangeEngines& engines = *states[s].engine;
    ModelSummary& model = result.strategies[s].model;
    for (std::size_t a = 0; a < engines.engine_count(); ++a) model.trainings += engines.engine(a).trainings();
    model.last_training_rows = static_cast<std::int64_t>(engines.engine(0).last_training_rows());
    model.trees = engines.engine(0).gbdt().trees();
  }
  result.total_seconds = total_clock.Lap();
  return result;
}

}  // namespace crsim::sim
