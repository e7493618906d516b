// Micro-benchmarks of the risk kernels: scalar reference, Highway SIMD (best target of this CPU) on
// one thread, and the TBB driver over chunks on two threads (tbb::task_arena(2), wall time):
//   BM_RuleKernel/<scalar|simd|simd_tbb>/rows:N       32 rule profiles (the full path)
//   BM_RuleKernel64/<scalar|simd|simd_tbb>/rows:N     64 rule profiles (both mask words in use)
//   BM_UnitValueKernel/<scalar|simd|simd_tbb>/rows:N  robust unit-value z against 2000 HS6 references
//   BM_UnitValueKernelByOrigin/<...>/rows:N           the same against 2000 x 40 HS6 x origin references
//                                                     (RobustUnitValueZByOrigin, 640 KB of tables)
//   BM_TopK/<scalar|simd|simd_tbb>/rows:N             top 1% per office (20 offices) of a risk-score mixture
//   BM_TraderPosterior/<scalar|simd|simd_tbb>/rows:N  gather of 100 000 traders' posterior mean and bonus
//   BM_FeatureMatrix/<scalar|simd|simd_tbb>/rows:N    the 9 model features, column-major
//   BM_LogisticScore/<scalar|simd|simd_tbb>/rows:N    dot product + logistic over the feature matrix
//   BM_LogisticScoreOfInputs/<...>/rows:N             features + logistic fused, no matrix stored
//   BM_ScoringPath/<simd|simd_tbb>/rows:N             rules (32 profiles) + unit-value z + trader
//                                                     posterior (per-day update of 100 000 traders,
//                                                     gathered inside the feature kernel) + feature
//                                                     matrix + logistic score, chunk by chunk
// N = 1K .. 16M rows in powers of 4; items/s = declarations per second (bytes/s counts the columns
// read and written, to compare with the ~37 GB/s one-core, ~68 GB/s two-core memory bandwidth of
// the target machine). Inputs are built once per size, outside the timing loop; only the latest
// size is kept so that the 16M-row runs do not hold every smaller size in memory too.
#include <benchmark/benchmark.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <tbb/task_arena.h>

#include "crsim/kernels/entity_posterior.h"
#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/logistic.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/kernels/top_k.h"
#include "crsim/kernels/unit_value.h"

namespace crsim::kernels {
namespace {

constexpr std::size_t kNumOrigins = 40;
constexpr std::size_t kNumOffices = 20;
constexpr std::size_t kNumHs6 = 2000;
constexpr std::int64_t kMinRows = std::int64_t{1} << 10;
constexpr std::int64_t kMaxRows = std::int64_t{1} << 24;
constexpr std::int64_t kBenchmarkDay = 10;  // the day passed to the rule kernel
constexpr int kTbbThreads = 2;
constexpr std::size_t kNumTraders = 100000;

// The 96 HS chapters in use: 01..97 without 77 (reserved).
std::vector<std::uint8_t> HsChapters() {
  std::vector<std::uint8_t> chapters;
  for (int chapter = 1; chapter <= 97; ++chapter) {
    if (chapter != 77) chapters.push_back(static_cast<std::uint8_t>(chapter));
  }
  return chapters;
}

// Ten rules of the kinds a risk profile holds: commodity x origin x price band, new traders,
// sensitive offices.
std::vector<RuleDefinition> RealisticRules() {
  std::vector<RuleDefinition> rules;
  const auto add = [&rules](const char* name, float weight) -> RuleDefinition& {
    RuleDefinition& rule = rules.emplace_back();
    rule.name = name;
    rule.weight = weight;
    return rule;
  };
  RuleDefinition* rule = &add("cheap_textiles_asia", 2.0f);
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
  rule = &add("new_trader_sensitive_origin", 1.2f);
  rule->origins = {5, 9, 21, 33};
  rule->max_trader_age_days = 180.0f;
  rule = &add("tobacco_alcohol", 2.5f);
  rule->hs_chapters = {22, 24};
  rule = &add("border_offices_vehicles", 0.7f);
  rule->hs_chapters = {87};
  rule->offices = {0, 1, 2, 3};
  rule = &add("steel_dumping", 1.1f);
  rule->hs_chapters = {72, 73};
  rule->origins = {2, 4, 6, 8, 10};
  rule->unit_value_max = 0.6f;
  rule = &add("luxury_undervalued", 1.8f);
  rule->hs_chapters = {71, 91};
  rule->unit_value_max = 50.0f;
  rule->max_trader_age_days = 365.0f;
  rule = &add("airport_small_parcels", 0.4f);
  rule->offices = {5, 6};
  rule->unit_value_max = 2.0f;
  return rules;
}

// `count` rule profiles: the ten realistic ones, then generated ones of the same kinds (a few
// chapters x a few origins x a price band, new traders at some offices, time-limited campaigns)
// so that every rule has one to three conditions. The time-limited ones are active on
// kBenchmarkDay except every fourth, which is inactive (scored as a real day would be).
std::vector<RuleDefinition> RuleProfiles(std::size_t count) {
  std::vector<RuleDefinition> rules = RealisticRules();
  const std::vector<std::uint8_t> chapters = HsChapters();
  for (std::size_t k = 0; rules.size() < count; ++k) {
    RuleDefinition& rule = rules.emplace_back();
    rule.name = "profile_" + std::to_string(rules.size() - 1);
    rule.weight = 0.25f + 0.125f * static_cast<float>(k % 13);
    const std::size_t first_chapter = (k * 7) % chapters.size();
    for (std::size_t c = 0; c < 1 + k % 3; ++c) {
      rule.hs_chapters.push_back(chapters[(first_chapter + 11 * c) % chapters.size()]);
    }
    switch (k % 4) {
      case 0:  // commodity x origins x price band
        for (std::size_t o = 0; o < 2 + k % 4; ++o) {
          rule.origins.push_back(static_cast<std::uint16_t>((k + 5 * o) % kNumOrigins));
        }
        rule.unit_value_max = 2.0f + static_cast<float>(k % 9);
        break;
      case 1:  // commodity above a price: luxury or dual-use goods
        rule.unit_value_min = 50.0f + 10.0f * static_cast<float>(k % 5);
        break;
      case 2:  // new traders at some offices
        rule.offices = {static_cast<std::uint16_t>(k % kNumOffices),
                        static_cast<std::uint16_t>((k + 3) % kNumOffices)};
        rule.max_trader_age_days = 60.0f + 30.0f * static_cast<float>(k % 6);
        break;
      default:  // time-limited campaign on a commodity and an origin
        rule.origins = {static_cast<std::uint16_t>(k % kNumOrigins)};
        rule.active_from_day = k % 8 == 3 ? kBenchmarkDay + 1 : kBenchmarkDay - 5;
        rule.active_until_day = kBenchmarkDay + 9;
        break;
    }
  }
  return rules;
}

struct KernelInputs {
  std::size_t rows = 0;
  // Rule kernel columns.
  std::vector<std::uint8_t> hs_chapter;
  std::vector<std::uint16_t> origin;
  std::vector<std::uint16_t> office;
  std::vector<float> unit_value;
  std::vector<float> trader_age_days;
  // Unit-value kernel columns and references.
  std::vector<float> declared_value;
  std::vector<float> declared_quantity;
  std::vector<std::uint32_t> hs6;
  std::vector<float> median_log_unit_value;
  std::vector<float> inverse_scale;
  // Outputs.
  std::vector<float> score;
  std::vector<std::uint64_t> hit_mask;
  std::vector<float> z;
};

std::unique_ptr<KernelInputs> BuildInputs(std::size_t rows) {
  auto inputs = std::make_unique<KernelInputs>();
  inputs->rows = rows;
  std::mt19937 rng(20240611u);
  const std::vector<std::uint8_t> chapters = HsChapters();

  // Per-HS6 references: median log unit value, MAD scale; ~3% of codes have no reference yet.
  std::vector<std::uint8_t> chapter_of_code(kNumHs6);
  std::uniform_real_distribution<float> median(-1.0f, 7.0f);
  std::uniform_real_distribution<float> mad(0.2f, 1.2f);
  std::uniform_int_distribution<int> percent(0, 99);
  for (std::size_t code = 0; code < kNumHs6; ++code) {
    chapter_of_code[code] = chapters[code % chapters.size()];
    inputs->median_log_unit_value.push_back(percent(rng) < 3 ? NAN : median(rng));
    inputs->inverse_scale.push_back(1.0f / (kMadToStandardDeviation * mad(rng)));
  }

  std::uniform_int_distribution<std::uint32_t> code(0, kNumHs6 - 1);
  std::uniform_int_distribution<int> origin(0, static_cast<int>(kNumOrigins) - 1);
  std::uniform_int_distribution<int> office(0, static_cast<int>(kNumOffices) - 1);
  std::normal_distribution<float> log_deviation(0.0f, 1.0f);
  std::uniform_real_distribution<float> log_quantity(0.0f, 8.0f);
  std::exponential_distribution<float> age(1.0f / 900.0f);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint32_t hs6 = code(rng);
    const float reference = inputs->median_log_unit_value[hs6];
    const float log_unit_value = (std::isnan(reference) ? 2.0f : reference) + log_deviation(rng);
    const float quantity = std::exp(log_quantity(rng));
    const float unit_value = std::exp(log_unit_value);
    const bool missing = percent(rng) == 0;  // 1% of declarations lack a usable value
    inputs->hs6.push_back(hs6);
    inputs->declared_quantity.push_back(quantity);
    inputs->declared_value.push_back(missing ? 0.0f : unit_value * quantity);
    inputs->hs_chapter.push_back(chapter_of_code[hs6]);
    inputs->origin.push_back(static_cast<std::uint16_t>(origin(rng)));
    inputs->office.push_back(static_cast<std::uint16_t>(office(rng)));
    inputs->unit_value.push_back(missing ? NAN : unit_value);
    inputs->trader_age_days.push_back(percent(rng) == 0 ? NAN : std::floor(age(rng)));
  }
  inputs->score.resize(rows);
  inputs->hit_mask.resize(rows);
  inputs->z.resize(rows);
  return inputs;
}

// Inputs for `rows`, built on first use; the previous size is released.
KernelInputs& InputsFor(std::size_t rows) {
  static std::unique_ptr<KernelInputs> cached;
  if (!cached || cached->rows != rows) {
    cached.reset();
    cached = BuildInputs(rows);
  }
  return *cached;
}

// The variants, as the benchmarks call them.
enum class Variant { kScalar, kSimd, kSimdTbb };

// The arena of the simd_tbb variants: kTbbThreads worker slots, made once.
tbb::task_arena& TbbArena() {
  static tbb::task_arena arena(kTbbThreads);
  return arena;
}

void RunRuleKernel(benchmark::State& state, std::size_t num_rules, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  KernelInputs& inputs = InputsFor(rows);
  const std::vector<RuleDefinition> rules = RuleProfiles(num_rules);
  const RuleTable table = CompileRules(rules, kNumOrigins, kNumOffices);
  const RuleInputs columns{inputs.hs_chapter, inputs.origin, inputs.office, inputs.unit_value,
                           inputs.trader_age_days};
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar:
        ScoreRulesReference(table, columns, kBenchmarkDay, inputs.score, inputs.hit_mask);
        break;
      case Variant::kSimd:
        ScoreRules(table, columns, kBenchmarkDay, inputs.score, inputs.hit_mask);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] {
          ScoreRulesParallel(table, columns, kBenchmarkDay, inputs.score, inputs.hit_mask);
        });
        break;
    }
    benchmark::DoNotOptimize(inputs.score.data());
    benchmark::DoNotOptimize(inputs.hit_mask.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: u8 + 2 x u16 + 2 x f32; written: f32 + u64.
  state.SetBytesProcessed(processed * (1 + 2 + 2 + 4 + 4 + 4 + 8));
  state.counters["rules"] = static_cast<double>(num_rules);
}

void RunUnitValueKernel(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  KernelInputs& inputs = InputsFor(rows);
  const UnitValueReference reference{inputs.median_log_unit_value, inputs.inverse_scale};
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar:
        RobustUnitValueZReference(inputs.declared_value, inputs.declared_quantity, inputs.hs6,
                                  reference, inputs.z);
        break;
      case Variant::kSimd:
        RobustUnitValueZ(inputs.declared_value, inputs.declared_quantity, inputs.hs6, reference,
                         inputs.z);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] {
          RobustUnitValueZParallel(inputs.declared_value, inputs.declared_quantity, inputs.hs6,
                                   reference, inputs.z);
        });
        break;
    }
    benchmark::DoNotOptimize(inputs.z.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: 2 x f32 + u32; written: f32.
  state.SetBytesProcessed(processed * (4 + 4 + 4 + 4));
}

// Inputs of the risk-model kernels, built on first use from a kernel input set (their own random
// stream, so the rule and unit-value inputs stay what they were): trader ids (Zipf-like, a few
// large traders), departure (80% = origin), the per-entity tables, the rule score and z of the
// existing kernels, the feature matrix and a logistic model of plausible coefficients.
struct ModelInputs {
  std::size_t rows = 0;
  std::vector<std::uint32_t> trader;
  std::vector<std::uint16_t> departure;
  std::vector<std::uint32_t> trader_inspections, trader_hits;
  std::vector<float> trader_mean_table, trader_bonus_table;
  std::vector<float> tariff_rate, chapter_rate, origin_rate;
  std::vector<float> trader_mean, trader_bonus;  // gather outputs
  std::size_t stride = 0;                        // FeatureMatrixStride(rows)
  std::vector<float> features;                   // kNumFeatures x stride
  std::vector<float> probability;
  LogisticModel model;
};

std::unique_ptr<ModelInputs> BuildModelInputs(KernelInputs& inputs) {
  const std::size_t rows = inputs.rows;
  auto model = std::make_unique<ModelInputs>();
  model->rows = rows;
  std::mt19937 rng(20261128u);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (std::size_t t = 0; t < kNumTraders; ++t) {
    const auto inspections = static_cast<std::uint32_t>(rng() % 200);
    model->trader_inspections.push_back(inspections);
    model->trader_hits.push_back(inspections == 0 ? 0 : static_cast<std::uint32_t>(rng() % (inspections / 4 + 1)));
  }
  model->trader_mean_table.resize(kNumTraders);
  model->trader_bonus_table.resize(kNumTraders);
  UpdateBetaBinomialPosterior(model->trader_inspections, model->trader_hits, {0.1, 10.0}, 1.0,
                              model->trader_mean_table, model->trader_bonus_table);
  for (std::size_t h = 0; h < kNumHs6; ++h) model->tariff_rate.push_back(0.2f * unit(rng));
  for (std::size_t c = 0; c < kChapterRateTableSize; ++c) model->chapter_rate.push_back(0.2f * unit(rng));
  for (std::size_t o = 0; o < kNumOrigins; ++o) model->origin_rate.push_back(0.2f * unit(rng));
  for (std::size_t i = 0; i < rows; ++i) {
    // Squaring a uniform concentrates declarations on low ids: a few traders file most of them.
    const float u = unit(rng);
    model->trader.push_back(std::min(static_cast<std::uint32_t>(u * u * kNumTraders),
                                     static_cast<std::uint32_t>(kNumTraders - 1)));
    model->departure.push_back(unit(rng) < 0.8f ? inputs.origin[i]
                                                 : static_cast<std::uint16_t>(rng() % kNumOrigins));
  }
  model->trader_mean.resize(rows);
  model->trader_bonus.resize(rows);
  model->probability.resize(rows);
  model->stride = FeatureMatrixStride(rows);
  model->features.resize(kNumFeatures * model->stride);
  // The feature kernel's inputs from the other kernels.
  ScoreRules(CompileRules(RuleProfiles(32), kNumOrigins, kNumOffices),
             {inputs.hs_chapter, inputs.origin, inputs.office, inputs.unit_value, inputs.trader_age_days},
             kBenchmarkDay, inputs.score, inputs.hit_mask);
  RobustUnitValueZ(inputs.declared_value, inputs.declared_quantity, inputs.hs6,
                   {inputs.median_log_unit_value, inputs.inverse_scale}, inputs.z);
  model->model.bias = -3.0f;
  model->model.weight = {0.4f, 2.0f, -0.15f, 3.0f, 1.0f, 0.5f, 0.8f, 2.0f, 2.0f};
  return model;
}

ModelInputs& ModelInputsFor(std::size_t rows) {
  static std::unique_ptr<ModelInputs> cached;
  KernelInputs& inputs = InputsFor(rows);
  if (!cached || cached->rows != rows) {
    cached.reset();
    cached = BuildModelInputs(inputs);
  }
  return *cached;
}

FeatureInputs FeatureInputsOf(const KernelInputs& inputs, const ModelInputs& model) {
  return {inputs.z,      inputs.hs6,             inputs.hs_chapter, inputs.origin, model.departure,
          inputs.trader_age_days, model.trader, inputs.score};
}

FeatureTables FeatureTablesOf(const ModelInputs& model) {
  return {model.tariff_rate, model.trader_mean_table, model.trader_bonus_table, model.chapter_rate,
          model.origin_rate};
}

void RunTraderPosterior(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  ModelInputs& model = ModelInputsFor(rows);
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar:
        GatherEntityPosteriorReference(model.trader, model.trader_mean_table, model.trader_bonus_table,
                                       model.trader_mean, model.trader_bonus);
        break;
      case Variant::kSimd:
        GatherEntityPosterior(model.trader, model.trader_mean_table, model.trader_bonus_table,
                              model.trader_mean, model.trader_bonus);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] {
          GatherEntityPosteriorParallel(model.trader, model.trader_mean_table, model.trader_bonus_table,
                                        model.trader_mean, model.trader_bonus);
        });
        break;
    }
    benchmark::DoNotOptimize(model.trader_mean.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: u32 id; written: 2 x f32 (the 800 KB tables stay in L2).
  state.SetBytesProcessed(processed * (4 + 4 + 4));
}

void RunFeatureMatrix(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  ModelInputs& model = ModelInputsFor(rows);
  const KernelInputs& inputs = InputsFor(rows);
  const FeatureInputs feature_inputs = FeatureInputsOf(inputs, model);
  const FeatureTables tables = FeatureTablesOf(model);
  const FeatureMatrix matrix{model.features.data(), rows, model.stride};
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar:
        BuildFeatureMatrixReference(feature_inputs, tables, matrix);
        break;
      case Variant::kSimd:
        BuildFeatureMatrix(feature_inputs, tables, matrix);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] { BuildFeatureMatrixParallel(feature_inputs, tables, matrix); });
        break;
    }
    benchmark::DoNotOptimize(model.features.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: z, age, rule f32 + hs6, trader u32 + chapter u8 + origin, departure u16; written: 9 x f32.
  state.SetBytesProcessed(processed * (5 * 4 + 1 + 2 * 2 + kNumFeatures * 4));
}

void RunLogisticScore(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  ModelInputs& model = ModelInputsFor(rows);
  const KernelInputs& inputs = InputsFor(rows);
  const FeatureMatrix matrix{model.features.data(), rows, model.stride};
  BuildFeatureMatrix(FeatureInputsOf(inputs, model), FeatureTablesOf(model), matrix);
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar:
        LogisticScoreReference(matrix.view(), model.model, model.probability);
        break;
      case Variant::kSimd:
        LogisticScore(matrix.view(), model.model, model.probability);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] { LogisticScoreParallel(matrix.view(), model.model, model.probability); });
        break;
    }
    benchmark::DoNotOptimize(model.probability.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: 9 x f32; written: f32.
  state.SetBytesProcessed(processed * (kNumFeatures * 4 + 4));
}

// The fused scorer: the features of BM_FeatureMatrix scored in registers, no matrix (scalar: the
// two reference kernels through a matrix, as the fused kernel's definition).
void RunLogisticScoreOfInputs(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  ModelInputs& model = ModelInputsFor(rows);
  const KernelInputs& inputs = InputsFor(rows);
  const FeatureInputs features = FeatureInputsOf(inputs, model);
  const FeatureTables tables = FeatureTablesOf(model);
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar: {
        const FeatureMatrix matrix{model.features.data(), rows, model.stride};
        BuildFeatureMatrixReference(features, tables, matrix);
        LogisticScoreReference(matrix.view(), model.model, model.probability);
        break;
      }
      case Variant::kSimd:
        LogisticScoreOfInputs(features, tables, model.model, model.probability);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] { LogisticScoreOfInputsParallel(features, tables, model.model, model.probability); });
        break;
    }
    benchmark::DoNotOptimize(model.probability.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
}

// The full scoring path, chunk by chunk: each chunk of kScoringChunk rows goes through the four
// kernels (single-threaded SIMD) with its intermediates (z and the 9 features: 40 B per row,
// 160 KB per chunk) in a per-thread buffer that stays in the core's L2, so only the input columns
// and the outputs (rule score and hit mask, probability) cross the memory bus. simd: the chunks in
// order on the calling thread; simd_tbb: tbb::parallel_for over the chunks in the 2-thread arena.
// The per-day trader update (UpdateBetaBinomialPosterior over 100 000 traders) runs once per call,
// before the chunks.
constexpr std::size_t kScoringChunk = 4096;

struct ChunkBuffers {
  std::vector<float> z = std::vector<float>(kScoringChunk);
  std::vector<float> features = std::vector<float>(kNumFeatures * FeatureMatrixStride(kScoringChunk));
};

void RunScoringPath(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  ModelInputs& model = ModelInputsFor(rows);
  KernelInputs& inputs = InputsFor(rows);
  const RuleTable table = CompileRules(RuleProfiles(32), kNumOrigins, kNumOffices);
  const UnitValueReference reference{inputs.median_log_unit_value, inputs.inverse_scale};
  const FeatureTables tables = FeatureTablesOf(model);
  const std::size_t chunks = (rows + kScoringChunk - 1) / kScoringChunk;
  auto score_chunk = [&](std::size_t chunk) {
    thread_local ChunkBuffers buffers;
    const std::size_t begin = chunk * kScoringChunk;
    const std::size_t count = std::min(rows, begin + kScoringChunk) - begin;
    auto rows_of = [&](auto& column) { return std::span(column).subspan(begin, count); };
    const std::span<float> z = std::span(buffers.z).first(count);
    ScoreRules(table,
               {rows_of(inputs.hs_chapter), rows_of(inputs.origin), rows_of(inputs.office),
                rows_of(inputs.unit_value), rows_of(inputs.trader_age_days)},
               kBenchmarkDay, rows_of(inputs.score), rows_of(inputs.hit_mask));
    RobustUnitValueZ(rows_of(inputs.declared_value), rows_of(inputs.declared_quantity), rows_of(inputs.hs6),
                     reference, z);
    const FeatureMatrix matrix{buffers.features.data(), count, FeatureMatrixStride(kScoringChunk)};
    BuildFeatureMatrix({z, rows_of(inputs.hs6), rows_of(inputs.hs_chapter), rows_of(inputs.origin),
                        rows_of(model.departure), rows_of(inputs.trader_age_days), rows_of(model.trader),
                        rows_of(inputs.score)},
                       tables, matrix);
    LogisticScore(matrix.view(), model.model, rows_of(model.probability));
  };
  for (auto _ : state) {
    UpdateBetaBinomialPosterior(model.trader_inspections, model.trader_hits, {0.1, 10.0}, 1.0,
                                model.trader_mean_table, model.trader_bonus_table);
    if (variant == Variant::kSimdTbb) {
      TbbArena().execute([&] {
        tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t chunk) { score_chunk(chunk); });
      });
    } else {
      for (std::size_t chunk = 0; chunk < chunks; ++chunk) score_chunk(chunk);
    }
    benchmark::DoNotOptimize(model.probability.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
}

// HS6 x origin tables as the simulator resolves them: 70% of the (code, origin) entries hold their
// own reference (the code's median shifted by up to +-0.3), the rest fall back to the code's.
UnitValueReference ByOriginReference(const KernelInputs& inputs) {
  static std::vector<float> median, inverse_scale;
  if (median.empty()) {
    std::mt19937 rng(7u);
    std::uniform_real_distribution<float> shift(-0.3f, 0.3f);
    std::uniform_int_distribution<int> percent(0, 99);
    for (std::size_t code = 0; code < kNumHs6; ++code) {
      for (std::size_t origin = 0; origin < kNumOrigins; ++origin) {
        const bool own = percent(rng) < 70;
        median.push_back(inputs.median_log_unit_value[code] + (own ? shift(rng) : 0.0f));
        inverse_scale.push_back(inputs.inverse_scale[code] * (own ? 1.0f + shift(rng) : 1.0f));
      }
    }
  }
  return {median, inverse_scale};
}

void RunUnitValueKernelByOrigin(benchmark::State& state, Variant variant) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  KernelInputs& inputs = InputsFor(rows);
  const UnitValueReference reference = ByOriginReference(inputs);
  constexpr auto kOrigins = static_cast<std::uint32_t>(kNumOrigins);
  for (auto _ : state) {
    switch (variant) {
      case Variant::kScalar:
        RobustUnitValueZByOriginReference(inputs.declared_value, inputs.declared_quantity, inputs.hs6,
                                          inputs.origin, kOrigins, reference, inputs.z);
        break;
      case Variant::kSimd:
        RobustUnitValueZByOrigin(inputs.declared_value, inputs.declared_quantity, inputs.hs6, inputs.origin,
                                 kOrigins, reference, inputs.z);
        break;
      case Variant::kSimdTbb:
        TbbArena().execute([&] {
          RobustUnitValueZByOriginParallel(inputs.declared_value, inputs.declared_quantity, inputs.hs6,
                                           inputs.origin, kOrigins, reference, inputs.z);
        });
        break;
    }
    benchmark::DoNotOptimize(inputs.z.data());
    benchmark::ClobberMemory();
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: 2 x f32 + u32 + u16; written: f32.
  state.SetBytesProcessed(processed * (4 + 4 + 4 + 2 + 4));
}

// Registers one family's three variants over the row sizes; the TBB variant is timed on the wall
// clock (CPU time of the calling thread would leave out the other thread's work).
template <class Run>
void RegisterFamily(const std::string& family, const Run& run) {
  const std::pair<const char*, Variant> variants[] = {
      {"scalar", Variant::kScalar}, {"simd", Variant::kSimd}, {"simd_tbb", Variant::kSimdTbb}};
  for (const auto& [name, variant] : variants) {
    auto* benchmark = benchmark::RegisterBenchmark(
        (family + "/" + name).c_str(),
        [run, variant = variant](benchmark::State& state) { run(state, variant); });
    benchmark->ArgName("rows")->RangeMultiplier(4)->Range(kMinRows, kMaxRows);
    if (variant == Variant::kSimdTbb) benchmark->UseRealTime();
  }
}

// Top-k selection inputs: a risk-score mixture like the simulator's (30% exact zeros - nothing
// fired -, 10% on a few rule-weight sums - exact ties -, 60% continuous, a logistic of a normal),
// 20 offices of unequal size (weights 1..20), capacity 1% of each office's rows.
struct TopKInputs {
  std::size_t rows = 0;
  std::vector<float> priority;
  std::vector<std::uint16_t> office;
  std::vector<std::uint32_t> capacity;
  std::vector<std::uint8_t> selected;
};

std::unique_ptr<TopKInputs> BuildTopKInputs(std::size_t rows) {
  auto inputs = std::make_unique<TopKInputs>();
  inputs->rows = rows;
  std::mt19937 rng(20261201u);
  std::vector<double> office_weight;
  for (std::size_t office = 0; office < kNumOffices; ++office) office_weight.push_back(static_cast<double>(office + 1));
  std::discrete_distribution<int> office(office_weight.begin(), office_weight.end());
  std::uniform_int_distribution<int> percent(0, 99);
  std::normal_distribution<float> logit(-2.0f, 1.5f);
  constexpr float kRuleSums[] = {0.4f, 0.7f, 0.8f, 1.0f, 1.2f, 1.5f, 2.0f, 2.5f};
  std::uniform_int_distribution<int> rule_sum(0, 7);
  std::vector<std::uint32_t> office_rows(kNumOffices, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    const int roll = percent(rng);
    const float score = roll < 30   ? 0.0f
                        : roll < 40 ? kRuleSums[rule_sum(rng)]
                                    : 3.0f / (1.0f + std::exp(-logit(rng)));
    const auto office_index = static_cast<std::uint16_t>(office(rng));
    inputs->priority.push_back(score);
    inputs->office.push_back(office_index);
    ++office_rows[office_index];
  }
  for (const std::uint32_t office_size : office_rows) inputs->capacity.push_back(office_size / 100);
  inputs->selected.assign(rows, 0);
  return inputs;
}

TopKInputs& TopKInputsFor(std::size_t rows) {
  static std::unique_ptr<TopKInputs> cached;
  if (!cached || cached->rows != rows) {
    cached.reset();
    cached = BuildTopKInputs(rows);
  }
  return *cached;
}

using TopKKernel = std::uint64_t (*)(std::span<const float>, std::span<const std::uint16_t>,
                                     std::span<const std::uint32_t>, std::span<std::uint8_t>);

// Manual time: only the selection call is timed, not the reset of the selected column between
// iterations (the kernel reads and writes it, so every iteration must start from zeros).
// `threads` = 0 runs the kernel on the calling thread without an arena (the scalar reference).
void RunTopK(benchmark::State& state, TopKKernel kernel, int threads) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  TopKInputs& inputs = TopKInputsFor(rows);
  std::optional<tbb::task_arena> arena;
  if (threads > 0) arena.emplace(threads);
  std::uint64_t taken = 0;
  for (auto _ : state) {
    std::fill(inputs.selected.begin(), inputs.selected.end(), std::uint8_t{0});
    benchmark::ClobberMemory();
    const auto start = std::chrono::steady_clock::now();
    if (arena) {
      arena->execute([&] { taken = kernel(inputs.priority, inputs.office, inputs.capacity, inputs.selected); });
    } else {
      taken = kernel(inputs.priority, inputs.office, inputs.capacity, inputs.selected);
    }
    benchmark::DoNotOptimize(taken);
    benchmark::ClobberMemory();
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
  const auto processed = state.iterations() * static_cast<std::int64_t>(rows);
  state.SetItemsProcessed(processed);
  // Read: f32 priority + u16 office + u8 selected (the selected rows are also written: 1%).
  state.SetBytesProcessed(processed * (4 + 2 + 1));
  state.counters["selected"] = static_cast<double>(taken);
}

void BM_TopKScalar(benchmark::State& state) { RunTopK(state, SelectTopKPerGroupReference, 0); }
void BM_TopKSimd(benchmark::State& state) { RunTopK(state, SelectTopKPerGroup, 1); }
void BM_TopKSimdTbb(benchmark::State& state) { RunTopK(state, SelectTopKPerGroup, 2); }

BENCHMARK(BM_TopKScalar)
    ->Name("BM_TopK/scalar")
    ->ArgName("rows")
    ->RangeMultiplier(4)
    ->Range(kMinRows, kMaxRows)
    ->UseManualTime();
BENCHMARK(BM_TopKSimd)
    ->Name("BM_TopK/simd")
    ->ArgName("rows")
    ->RangeMultiplier(4)
    ->Range(kMinRows, kMaxRows)
    ->UseManualTime();
BENCHMARK(BM_TopKSimdTbb)
    ->Name("BM_TopK/simd_tbb")
    ->ArgName("rows")
    ->RangeMultiplier(4)
    ->Range(kMinRows, kMaxRows)
    ->UseManualTime();

const bool kRegistered = [] {
  RegisterFamily("BM_RuleKernel",
                 [](benchmark::State& state, Variant variant) { RunRuleKernel(state, 32, variant); });
  RegisterFamily("BM_RuleKernel64",
                 [](benchmark::State& state, Variant variant) { RunRuleKernel(state, 64, variant); });
  RegisterFamily("BM_UnitValueKernel", RunUnitValueKernel);
  RegisterFamily("BM_UnitValueKernelByOrigin", RunUnitValueKernelByOrigin);
  RegisterFamily("BM_TraderPosterior", RunTraderPosterior);
  RegisterFamily("BM_FeatureMatrix", RunFeatureMatrix);
  RegisterFamily("BM_LogisticScore", RunLogisticScore);
  RegisterFamily("BM_LogisticScoreOfInputs", RunLogisticScoreOfInputs);
  for (const auto& [name, variant] : {std::pair{"simd", Variant::kSimd}, std::pair{"simd_tbb", Variant::kSimdTbb}}) {
    benchmark::RegisterBenchmark((std::string("BM_ScoringPath/") + name).c_str(),
                                 [variant = variant](benchmark::State& state) { RunScoringPath(state, variant); })
        ->ArgName("rows")
        ->RangeMultiplier(4)
        ->Range(kMinRows, kMaxRows)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
}  // namespace crsim::kernels
