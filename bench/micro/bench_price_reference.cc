// Micro-benchmark of the price-reference update (crsim/sim/price_reference.h): observations per
// second through Add + CloseDay (radix sort of the day's keys, merge into the window, eviction of
// the day leaving it, recomputation of every group's median and MAD, fallback table).
//   BM_PriceReferenceUpdate/<level>/window:W/rows:N   N = 1K .. 1M observations per day
// Observations are real declared days of the baseline world (1920 HS6 codes x 25 origins, log of
// declared value / quantity), eight different days generated once per size outside the timing
// loop; each timed iteration is one day (the next of the eight), after W + 1 untimed days have
// filled the window, so the window is in its steady state.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/price_reference.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {
namespace {

constexpr std::int64_t kDistinctDays = 8;

struct ObservationDays {
  std::size_t rows = 0;
  std::size_t codes = 0;
  std::size_t origins = 0;
  std::vector<std::uint32_t> hs6;      // [kDistinctDays * rows]
  std::vector<std::uint16_t> origin;
  std::vector<float> log_unit_value;
};

std::unique_ptr<ObservationDays> BuildDays(std::size_t rows) {
  const ScenarioSpec spec = LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/baseline.toml");
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  auto days = std::make_unique<ObservationDays>();
  days->rows = rows;
  days->codes = world.catalogue.size();
  days->origins = world.country_iso.size();
  for (std::int64_t day = 0; day < kDistinctDays; ++day) {
    generator.GenerateRows(day, rows, batch, static_cast<std::size_t>(spec.run.chunk_size));
    const auto declared = batch.declared();
    for (std::size_t i = 0; i < rows; ++i) {
      days->hs6.push_back(declared.hs6[i]);
      days->origin.push_back(declared.origin[i]);
      days->log_unit_value.push_back(std::log(declared.declared_value[i] / declared.declared_quantity[i]));
    }
  }
  return days;
}

const ObservationDays& DaysFor(std::size_t rows) {
  static std::unique_ptr<ObservationDays> cached;
  if (!cached || cached->rows != rows) {
    cached.reset();
    cached = BuildDays(rows);
  }
  return *cached;
}

void AddDay(PriceReference& reference, const ObservationDays& days, std::int64_t day) {
  const std::size_t begin = static_cast<std::size_t>(day % kDistinctDays) * days.rows;
  for (std::size_t i = begin; i < begin + days.rows; ++i) {
    reference.Add(days.hs6[i], days.origin[i], days.log_unit_value[i]);
  }
  reference.CloseDay();
}

void BM_PriceReferenceUpdate(benchmark::State& state, PriceReferenceLevel level, std::int64_t window_days) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const ObservationDays& days = DaysFor(rows);
  PriceReference reference(days.codes, days.origins, 30, window_days, level);
  std::int64_t day = 0;
  for (; day <= window_days; ++day) AddDay(reference, days, day);
  for (auto _ : state) {
    AddDay(reference, days, day++);
    benchmark::DoNotOptimize(reference.view().median_log_unit_value.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.counters["window_pairs"] = static_cast<double>(reference.window_pairs());
  state.counters["memory_MB"] = static_cast<double>(reference.memory_bytes()) / 1e6;
}

BENCHMARK_CAPTURE(BM_PriceReferenceUpdate, hs6_all, PriceReferenceLevel::kHs6, 0)
    ->Name("BM_PriceReferenceUpdate/hs6/window:0")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PriceReferenceUpdate, hs6_window, PriceReferenceLevel::kHs6, 7)
    ->Name("BM_PriceReferenceUpdate/hs6/window:7")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PriceReferenceUpdate, hs6_origin_window, PriceReferenceLevel::kHs6Origin, 7)
    ->Name("BM_PriceReferenceUpdate/hs6_origin/window:7")->ArgName("rows")->RangeMultiplier(4)
    ->Range(1 << 10, 1 << 20)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crsim::sim
