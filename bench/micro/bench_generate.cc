// Micro-benchmark of the generator: declarations generated per second, with fraud and truth.
//   BM_Generate/threads:T/rows:N             N = 1K .. 16M rows of one day of the baseline world
//                                            (all six typologies on, modest weights), T threads
//   BM_Generate/full_fraud/threads:T/rows:N  the same world with every typology on, fraud rates
//                                            raised (fraud-prone 0.6, honest 0.02: ~7% of records
//                                            take the fraud branch instead of ~3%) and 20 fraud
//                                            rings of 3-10 members (their records draw a declarant)
// The world (60 000 traders, 1920 HS6 codes) is built once, outside the timing loop. The batch is
// allocated by an untimed first pass and reused across iterations, as in a simulation, so timed
// iterations allocate nothing.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <memory>
#include <string>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {
namespace {

struct BaselineWorld {
  explicit BaselineWorld(const std::vector<std::string>& overrides = {})
      : spec(LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/baseline.toml", overrides)),
        world(BuildWorld(spec)) {}
  ScenarioSpec spec;
  World world;
};

const BaselineWorld& Baseline(bool full_fraud) {
  static const BaselineWorld baseline;
  static const BaselineWorld full({"fraud.fraud_prone_rate=0.6", "fraud.honest_rate=0.02", "fraud.rings.enabled=true",
                                   "fraud.rings.rings=20", "fraud.rings.members_max=10", "fraud.rings.fraud_rate=0.6"});
  return full_fraud ? full : baseline;
}

void BM_Generate(benchmark::State& state, int threads, bool full_fraud) {
  const BaselineWorld& baseline = Baseline(full_fraud);
  Generator generator(baseline.world, baseline.spec);
  data::DeclarationBatch batch;
  const auto rows = static_cast<std::size_t>(state.range(0));
  const auto chunk = static_cast<std::size_t>(baseline.spec.run.chunk_size);
  tbb::task_arena arena(threads);
  // One untimed pass allocates the batch, as the first day of a simulation does.
  arena.execute([&] { generator.GenerateRows(0, rows, batch, chunk); });
  std::int64_t day = 0;
  for (auto _ : state) {
    arena.execute([&] { generator.GenerateRows(day % baseline.spec.run.days, rows, batch, chunk); });
    benchmark::DoNotOptimize(batch.declared().declared_value.data());
    benchmark::ClobberMemory();
    ++day;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rows) * state.iterations());
}

BENCHMARK_CAPTURE(BM_Generate, threads1, 1, false)
    ->Name("BM_Generate/threads:1")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 24)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Generate, threads2, 2, false)
    ->Name("BM_Generate/threads:2")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 24)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Generate, full_fraud_threads1, 1, true)
    ->Name("BM_Generate/full_fraud/threads:1")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 24)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Generate, full_fraud_threads2, 2, true)
    ->Name("BM_Generate/full_fraud/threads:2")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 24)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace crsim::sim
