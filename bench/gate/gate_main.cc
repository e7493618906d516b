// crsim_gate: runs one key kernel once on fixed inputs, for the instruction-count performance gate.
//
//   crsim_gate --list          the kernel names, one per line
//   crsim_gate --info          the Highway target the kernels run on, as "key=value" lines
//   crsim_gate KERNEL          builds KERNEL's inputs, then runs KERNEL exactly once
//
// scripts/perf-gate.py runs each kernel under
//   valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no
// and reads the instructions executed (Ir). Only the kernel call is counted: the driver switches
// callgrind's instrumentation and collection on just before the call and off just after it
// (CALLGRIND_START_INSTRUMENTATION + CALLGRIND_TOGGLE_COLLECT), so building the inputs, and the
// one-time costs every kernel pays on its first call (Highway's dispatch, TBB's arena, first-touch
// allocation of output columns), stay out of the count. Outside valgrind the client requests do
// nothing and the driver just runs the kernel (a quick smoke test).
//
// What makes the count repeat exactly:
//   - inputs are fixed: a SplitMix64 stream with a fixed seed (no std:: distributions, which differ
//     between standard libraries), or the simulator's own generator on a fixed scenario and seed;
//   - one thread: tbb::global_control(max_allowed_parallelism, 1), so no worker threads spin;
//   - a pinned Highway target: AVX2 on x86-64 (see PinHighwayTarget), so the count does not depend
//     on which SIMD extensions the CI machine has beyond AVX2. valgrind 3.19 cannot execute AVX-512
//     (it hides AVX-512 from CPUID, and forcing Highway's AVX3 target under it dies with SIGILL),
//     so the pinned target must be one valgrind runs: AVX2 is the best such target.
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <valgrind/callgrind.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <span>
#include <hwy/highway.h>
#include <hwy/targets.h>
#include <string>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/kernels/group_median.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/kernels/top_k.h"
#include "crsim/kernels/tree_ensemble.h"
#include "crsim/kernels/unit_value.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/risk_engine.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::gate {
namespace {

// Rows of the synthetic kernel inputs: big enough that per-call overheads are noise (well under
// 0.1% of the count), small enough that a kernel runs in seconds under callgrind (~50x slower).
constexpr std::size_t kKernelRows = std::size_t{1} << 20;
constexpr std::size_t kNumOrigins = 40;
constexpr std::size_t kNumOffices = 20;
constexpr std::size_t kNumHs6 = 2000;
constexpr std::uint64_t kSeed = 20261128;

// The small world of the generator and risk-engine kernels: the baseline scenario, shrunk.
const std::vector<std::string> kSmallWorld = {
    "traders.count=5000",
    "arrivals.declarations_per_day=100000.0",
};

// Fixed pseudo-random stream (SplitMix64): the same numbers with every compiler and library.
class FixedStream {
 public:
  explicit FixedStream(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 24 bits.
  float Uniform() { return static_cast<float>(Next() >> 40) * 0x1.0p-24f; }
  float Uniform(float low, float high) { return low + (high - low) * Uniform(); }
  std::uint32_t Index(std::uint32_t count) {
    return static_cast<std::uint32_t>(((Next() >> 32) * count) >> 32);
  }

 private:
  std::uint64_t state_;
};

// Runs `kernel` once with callgrind counting only that call.
void Measured(const std::function<void()>& kernel) {
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_TOGGLE_COLLECT;
  kernel();
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_STOP_INSTRUMENTATION;
}

// --- rule kernel ---------------------------------------------------------------------------------

// Deliberately its own copy of a rule set like bench/micro's: the gate's inputs must not move when
// someone retunes the wall-clock benchmarks, or every such edit would shift the baseline.
std::vector<kernels::RuleDefinition> GateRules() {
  std::vector<kernels::RuleDefinition> rules;
  const auto add = [&rules](const char* name, float weight) -> kernels::RuleDefinition& {
    kernels::RuleDefinition& rule = rules.emplace_back();
    rule.name = name;
    rule.weight = weight;
    return rule;
  };
  kernels::RuleDefinition* rule = &add("cheap_textiles", 2.0f);
  rule->hs_chapters = {61, 62, 63};
  rule->origins = {3, 7, 12};
  rule->unit_value_max = 5.0f;
  rule = &add("cheap_footwear", 1.5f);
  rule->hs_chapters = {64};
  rule->unit_value_max = 8.0f;
  rule = &add("electronics_band", 1.0f);
  rule->hs_chapters = {84, 85};
  rule->unit_value_min = 20.0f;
  rule->unit_value_max = 200.0f;
  rule = &add("new_trader", 0.8f);
  rule->max_trader_age_days = 90.0f;
  rule = &add("tobacco_alcohol", 2.5f);
  rule->hs_chapters = {22, 24};
  rule = &add("border_vehicles", 0.7f);
  rule->hs_chapters = {87};
  rule->offices = {0, 1, 2, 3};
  rule = &add("steel", 1.1f);
  rule->hs_chapters = {72, 73};
  rule->origins = {2, 4, 6, 8};
  rule->unit_value_max = 0.6f;
  rule = &add("luxury_new", 1.8f);
  rule->hs_chapters = {71, 91};
  rule->unit_value_max = 50.0f;
  rule->max_trader_age_days = 365.0f;
  return rules;
}

void RunRuleKernel() {
  FixedStream stream(kSeed);
  std::vector<std::uint8_t> hs_chapter(kKernelRows);
  std::vector<std::uint16_t> origin(kKernelRows), office(kKernelRows);
  std::vector<float> unit_value(kKernelRows), trader_age_days(kKernelRows);
  for (std::size_t i = 0; i < kKernelRows; ++i) {
    hs_chapter[i] = static_cast<std::uint8_t>(1 + stream.Index(97));
    origin[i] = static_cast<std::uint16_t>(stream.Index(kNumOrigins));
    office[i] = static_cast<std::uint16_t>(stream.Index(kNumOffices));
    unit_value[i] = stream.Index(100) == 0 ? NAN : std::exp(stream.Uniform(-2.0f, 7.0f));
    trader_age_days[i] = std::floor(stream.Uniform(0.0f, 3650.0f));
  }
  const std::vector<kernels::RuleDefinition> rules = GateRules();
  const kernels::RuleTable table = kernels::CompileRules(rules, kNumOrigins, kNumOffices);
  const kernels::RuleInputs inputs{hs_chapter, origin, office, unit_value, trader_age_days};
  std::vector<float> score(kKernelRows);
  std::vector<std::uint64_t> hit_mask(kKernelRows);
  Measured([&] { kernels::ScoreRules(table, inputs, /*day=*/0, score, hit_mask); });
}

// --- unit-value kernel ---------------------------------------------------------------------------

// Inputs of both unit-value kernels: declarations, per-HS6 references and, for the per-HS6 x origin
// kernel, kOriginsPerCode origins per code (the code's reference shifted, as the fallback table holds).
constexpr std::uint32_t kOriginsPerCode = 25;

struct UnitValueInputs {
  std::vector<float> median, inverse_scale;                    // [kNumHs6]
  std::vector<float> median_by_origin, inverse_scale_by_origin;  // [kNumHs6 x kOriginsPerCode]
  std::vector<float> value, quantity, z;
  std::vector<std::uint32_t> hs6;
  std::vector<std::uint16_t> origin;
};

UnitValueInputs BuildUnitValueInputs() {
  FixedStream stream(kSeed + 1);
  UnitValueInputs in;
  in.median.resize(kNumHs6);
  in.inverse_scale.resize(kNumHs6);
  for (std::size_t code = 0; code < kNumHs6; ++code) {
    in.median[code] = stream.Index(100) < 3 ? NAN : stream.Uniform(-1.0f, 7.0f);  // 3% without reference
    in.inverse_scale[code] = 1.0f / (kernels::kMadToStandardDeviation * stream.Uniform(0.2f, 1.2f));
  }
  in.value.resize(kKernelRows);
  in.quantity.resize(kKernelRows);
  in.z.resize(kKernelRows);
  in.hs6.resize(kKernelRows);
  for (std::size_t i = 0; i < kKernelRows; ++i) {
    in.hs6[i] = stream.Index(kNumHs6);
    const float center = std::isnan(in.median[in.hs6[i]]) ? 2.0f : in.median[in.hs6[i]];
    in.quantity[i] = std::exp(stream.Uniform(0.0f, 8.0f));
    const float log_unit_value = center + stream.Uniform(-2.0f, 2.0f);
    in.value[i] = stream.Index(100) == 0 ? 0.0f : std::exp(log_unit_value) * in.quantity[i];  // 1% unusable
  }
  // Drawn after the per-HS6 inputs, so those stay the numbers the unit_value baseline was taken on.
  for (std::size_t code = 0; code < kNumHs6; ++code) {
    for (std::uint32_t origin = 0; origin < kOriginsPerCode; ++origin) {
      in.median_by_origin.push_back(in.median[code] + stream.Uniform(-0.3f, 0.3f));
      in.inverse_scale_by_origin.push_back(in.inverse_scale[code]);
    }
  }
  for (std::size_t i = 0; i < kKernelRows; ++i) in.origin.push_back(static_cast<std::uint16_t>(stream.Index(kOriginsPerCode)));
  return in;
}

void RunUnitValueKernel() {
  UnitValueInputs in = BuildUnitValueInputs();
  const kernels::UnitValueReference reference{in.median, in.inverse_scale};
  Measured([&] { kernels::RobustUnitValueZ(in.value, in.quantity, in.hs6, reference, in.z); });
}

void RunUnitValueKernelByOrigin() {
  UnitValueInputs in = BuildUnitValueInputs();
  const kernels::UnitValueReference reference{in.median_by_origin, in.inverse_scale_by_origin};
  Measured([&] {
    kernels::RobustUnitValueZByOrigin(in.value, in.quantity, in.hs6, in.origin, kOriginsPerCode, reference, in.z);
  });
}

// --- top-k selection -----------------------------------------------------------------------------

void RunTopK() {
  FixedStream stream(kSeed + 2);
  std::vector<float> priority(kKernelRows);
  std::vector<std::uint16_t> group(kKernelRows);
  for (std::size_t i = 0; i < kKernelRows; ++i) {
    priority[i] = stream.Index(1000) == 0 ? NAN : stream.Uniform(0.0f, 10.0f);
    group[i] = static_cast<std::uint16_t>(stream.Index(kNumOffices));
  }
  // About 1% capacity, as in the baseline scenario.
  const std::vector<std::uint32_t> capacity(kNumOffices, static_cast<std::uint32_t>(kKernelRows / kNumOffices / 100));
  std::vector<std::uint8_t> selected(kKernelRows, 0);
  Measured([&] { kernels::SelectTopKPerGroup(priority, group, capacity, selected); });
}

// --- per-group median and MAD ---------------------------------------------------------------------

void RunGroupMedian() {
  constexpr std::size_t kGroups = 1000;
  FixedStream stream(kSeed + 4);
  std::vector<float> centre(kGroups), spread(kGroups);
  for (std::size_t g = 0; g < kGroups; ++g) {
    centre[g] = stream.Uniform(-1.0f, 7.0f);
    spread[g] = stream.Uniform(0.2f, 1.0f);
  }
  std::vector<float> log_unit_value(kKernelRows);
  std::vector<std::uint32_t> group(kKernelRows);
  for (std::size_t i = 0; i < kKernelRows; ++i) {
    group[i] = stream.Index(kGroups);
    // A sum of three uniforms: bell-shaped around the group's centre, as log unit values are.
    const float bell = stream.Uniform(-1.0f, 1.0f) + stream.Uniform(-1.0f, 1.0f) + stream.Uniform(-1.0f, 1.0f);
    log_unit_value[i] = stream.Index(1000) == 0 ? NAN : centre[group[i]] + spread[group[i]] * bell;
  }
  std::vector<float> median(kGroups), mad(kGroups);
  Measured([&] { kernels::GroupMedianMad(log_unit_value, group, kGroups, median, mad); });
}

// --- generator and risk engine (one day of a small world) ----------------------------------------

struct SmallWorld {
  sim::ScenarioSpec spec =
      sim::LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/baseline.toml", kSmallWorld);
  sim::World world = sim::BuildWorld(spec);
  std::size_t chunk() const { return static_cast<std::size_t>(spec.run.chunk_size); }
};

void RunGenerator() {
  const SmallWorld small;
  sim::Generator generator(small.world, small.spec);
  data::DeclarationBatch batch;
  // A first, unmeasured day allocates the batch and the trader table, as the first day of a run
  // does; the measured pass is the steady state of every later day (as BM_Generate measures it).
  generator.GenerateDay(0, batch, small.chunk());
  Measured([&] { generator.GenerateDay(0, batch, small.chunk()); });
}

void RunRiskEngineScore() {
  const SmallWorld small;
  sim::Generator generator(small.world, small.spec);
  const sim::Inspector inspector(small.spec);
  sim::RiskEngine engine(small.world, small.spec);
  data::DeclarationBatch batch;
  // Day 0: nothing inspected, but the engine learns price references from the declared values.
  generator.GenerateDay(0, batch, small.chunk());
  sim::InspectionOutcomes outcomes;
  outcomes.Reset(batch.size());
  inspector.InspectAndMeasure(0, batch.declared(), batch.truth(), outcomes);
  engine.Learn(batch.declared(), outcomes);
  // Day 1 is scored. A first, unmeasured Score allocates the engine's work columns.
  generator.GenerateDay(1, batch, small.chunk());
  std::vector<float> risk_score(batch.size());
  engine.Score(batch.declared(), 1, risk_score);
  Measured([&] { engine.Score(batch.declared(), 1, risk_score); });
}

// --- tree ensemble -------------------------------------------------------------------------------

// 200 complete trees of depth 6 over 16 features (thresholds on a 250-level grid, so u8 bins; random
// default directions), scored on 64K row-major rows with 5% NaN: the shape of the issue's
// 200 x depth-6 model, on fewer rows so that callgrind takes about a second. Its own generator
// (complete trees, node k's children at 2k + 1 and 2k + 2), for the reason given at GateRules.
void RunTreeEnsemble() {
  constexpr std::size_t kTrees = 200, kDepth = 6, kFeatures = 16, kRows = std::size_t{1} << 16;
  FixedStream stream(kSeed + 7);
  kernels::TreeEnsemble model;
  model.num_features = kFeatures;
  model.base_margin = -0.25f;
  const std::size_t internal = (std::size_t{1} << kDepth) - 1;
  for (std::size_t t = 0; t < kTrees; ++t) {
    kernels::Tree& tree = model.trees.emplace_back();
    tree.nodes.resize(2 * internal + 1);
    for (std::size_t k = 0; k < tree.nodes.size(); ++k) {
      kernels::TreeNode& node = tree.nodes[k];
      if (k < internal) {
        node.left = static_cast<std::int32_t>(2 * k + 1);
        node.right = static_cast<std::int32_t>(2 * k + 2);
        node.feature = stream.Index(kFeatures);
        node.value = static_cast<float>(stream.Index(250)) / 250.0f * 4.0f - 2.0f;
        node.default_left = stream.Index(2) == 0;
      } else {
        node.value = static_cast<float>(stream.Index(2001)) / 1000.0f - 1.0f;
      }
    }
  }
  kernels::PrepareTreeEnsemble(model);
  std::vector<float> rows(kRows * kFeatures);
  for (float& value : rows) {
    value = stream.Index(20) == 0 ? std::nanf("") : static_cast<float>(stream.Index(1 << 20)) / (1 << 18) - 2.0f;
  }
  std::vector<float> margin(kRows);
  const kernels::TreeInputView view = kernels::RowMajorView(rows.data(), kRows, kFeatures);
  // Unmeasured first call on a few rows: allocates this thread's scratch (mask tables) for the model.
  kernels::PredictMargin(model, kernels::RowMajorView(rows.data(), 64, kFeatures), std::span<float>(margin).first(64));
  Measured([&] { kernels::PredictMargin(model, view, margin); });
}

struct GateKernel {
  const char* name;
  const char* what;
  void (*run)();
};

constexpr GateKernel kKernels[] = {
    {"rules", "kernels::ScoreRules, 8 rules, 1M rows (SIMD)", RunRuleKernel},
    {"unit_value", "kernels::RobustUnitValueZ, 2000 references, 1M rows (SIMD)", RunUnitValueKernel},
    {"unit_value_by_origin", "kernels::RobustUnitValueZByOrigin, 2000 x 25 references, 1M rows (SIMD)",
     RunUnitValueKernelByOrigin},
    {"top_k", "kernels::SelectTopKPerGroup, 20 groups, 1% capacity, 1M rows", RunTopK},
    {"group_median", "kernels::GroupMedianMad, 1000 groups, 1M rows", RunGroupMedian},
    {"generate", "sim::Generator::GenerateDay, one day of a small baseline world (~100k rows)", RunGenerator},
    {"risk_score", "sim::RiskEngine::Score, one day of a small baseline world (~100k rows)", RunRiskEngineScore},
    {"tree_ensemble", "kernels::PredictMargin, 200 complete trees of depth 6, 16 features, 64K rows (SIMD)",
     RunTreeEnsemble},
};

// Pins the Highway target every SIMD kernel dispatches to. Returns its name, or nullptr (with a
// message) when this CPU cannot run it.
const char* PinHighwayTarget() {
#if HWY_ARCH_X86
  constexpr std::int64_t kPinned = HWY_AVX2;
  static_assert((HWY_TARGETS & kPinned) != 0, "Highway was built without its AVX2 target");
  if ((hwy::SupportedTargets() & kPinned) == 0) {
    std::fprintf(stderr,
                 "crsim_gate: this CPU (or valgrind's view of it) lacks AVX2, the Highway target the gate pins;"
                 " instruction counts would not be comparable with the baseline\n");
    return nullptr;
  }
#else
  // Other architectures: the best target they support (record it; the gate compares it).
  const std::int64_t supported = hwy::SupportedTargets() & HWY_TARGETS;
  const std::int64_t kPinned = supported & -supported;
#endif
  hwy::SetSupportedTargetsForTest(kPinned);
  return hwy::TargetName(kPinned);
}

// The one-time costs of the first kernel call (Highway's dispatch table, TBB's arena), paid before
// anything is measured.
void WarmUp() {
  tbb::parallel_for(0, 4, [](int) {});
  std::vector<float> value(16, 1.0f), z(16), median(1, 0.0f), inverse_scale(1, 1.0f), score(16);
  std::vector<std::uint32_t> hs6(16, 0);
  std::vector<std::uint64_t> hit_mask(16);
  kernels::RobustUnitValueZ(value, value, hs6, {median, inverse_scale}, z);
  std::vector<std::uint8_t> chapter(16, 1);
  std::vector<std::uint16_t> index(16, 0);
  const kernels::RuleTable table = kernels::CompileRules(GateRules(), kNumOrigins, kNumOffices);
  kernels::ScoreRules(table, {chapter, index, index, value, value}, /*day=*/0, score, hit_mask);
}

int Main(int argc, char** argv) {
  const char* usage = "usage: crsim_gate --list | --info | KERNEL\n";
  if (argc != 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  const std::string argument = argv[1];
  if (argument == "--list") {
    for (const GateKernel& kernel : kKernels) std::printf("%s\t%s\n", kernel.name, kernel.what);
    return 0;
  }
  const char* target = PinHighwayTarget();
  if (target == nullptr) return 1;
  if (argument == "--info") {
    std::printf("highway_target=%s\n", target);
    std::printf("running_on_valgrind=%d\n", static_cast<int>(RUNNING_ON_VALGRIND));
    return 0;
  }
  for (const GateKernel& kernel : kKernels) {
    if (argument == kernel.name) {
      tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
      WarmUp();
      kernel.run();
      return 0;
    }
  }
  std::fprintf(stderr, "crsim_gate: unknown kernel '%s' (crsim_gate --list names them)\n%s", argv[1], usage);
  return 2;
}

}  // namespace
}  // namespace crsim::gate

int main(int argc, char** argv) {
  try {
    return crsim::gate::Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "crsim_gate: %s\n", error.what());
    return 1;
  }
}
