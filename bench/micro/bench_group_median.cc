// Micro-benchmark of the exact per-group median and MAD (crsim/kernels/group_median.h):
//   BM_GroupMedianMad/<reference|buckets>/rows:N   1 000 groups (the peer comparison's HS6 codes),
//                                                  log unit values normal around a per-group centre
// reference = counting sort + std::nth_element per group; buckets = counting sort + exact bucket
// selection. One thread (the kernel is sequential). N = 1K .. 16M rows in powers of 4.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "crsim/kernels/group_median.h"

namespace crsim::kernels {
namespace {

constexpr std::size_t kGroups = 1000;

struct MedianInputs {
  std::vector<float> values;
  std::vector<std::uint32_t> group;
  std::vector<float> median = std::vector<float>(kGroups), mad = std::vector<float>(kGroups);
};

MedianInputs& InputsFor(std::size_t rows) {
  static std::unique_ptr<MedianInputs> inputs;
  if (!inputs || inputs->values.size() != rows) {
    inputs = std::make_unique<MedianInputs>();
    std::mt19937 rng(20261128u);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> centre(kGroups), spread(kGroups);
    for (std::size_t g = 0; g < kGroups; ++g) {
      centre[g] = -1.0f + 8.0f * uniform(rng);
      spread[g] = 0.1f + 0.5f * uniform(rng);
    }
    for (std::size_t i = 0; i < rows; ++i) {
      const auto g = static_cast<std::uint32_t>(rng() % kGroups);
      inputs->group.push_back(g);
      inputs->values.push_back(centre[g] + spread[g] * normal(rng));
    }
  }
  return *inputs;
}

template <auto kKernel>
void RunGroupMedian(benchmark::State& state) {
  MedianInputs& inputs = InputsFor(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    kKernel(inputs.values, inputs.group, kGroups, inputs.median, inputs.mad);
    benchmark::DoNotOptimize(inputs.median.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(RunGroupMedian<GroupMedianMadReference>)
    ->Name("BM_GroupMedianMad/reference")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 24);
BENCHMARK(RunGroupMedian<GroupMedianMad>)
    ->Name("BM_GroupMedianMad/buckets")->ArgName("rows")->RangeMultiplier(4)->Range(1 << 10, 1 << 24);

}  // namespace
}  // namespace crsim::kernels
