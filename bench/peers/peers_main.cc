// crsim_peers: the crsim side of the peer comparison (bench/peers/README.md, bench/peers/run.sh).
//
//   crsim_peers export --rows N --out data.h5
//       writes deterministic synthetic declarations (value, quantity, HS6 group 0..999, chapter,
//       origin, departure, office, trader, trader age), the ten rule definitions and the logistic
//       model (bias, weights, lookup tables) to one HDF5 file, so that crsim and every peer run the
//       same rules with the same weights on the same rows.
//   crsim_peers time --in data.h5 [--threads 1] [--reps 5] [--results out.h5]
//       loads the file and times each step of the scoring pipeline (median of --reps runs), prints
//       one JSON object {"rows":..,"threads":..,"steps":{"<step>":{"seconds":..,"rows_per_s":..}}}
//       and, with --results, writes z, rule score, probability and the selected rows for the
//       agreement check.
//
// Steps (the order of the pandas peer, bench/peers/pandas_peer.py):
//   unit_price   unit value v / q (float) and its natural log: kernels::LogUnitValue (SIMD, Highway's Log)
//   median_mad   per-HS6 median and MAD of the log unit value: kernels::GroupMedianMad (counting
//                sort by group, then an exact bucket selection per group; exact medians, the
//                even-count median is the mean of the two middle values, as pandas; BM_GroupMedianMad
//                compares it with the nth_element reference). Not sim::PriceReference: that one bins values to
//                0.02 and keeps a sliding window of days, so it would not give the exact medians the
//                peer computes.
//   robust_z     kernels::RobustZOfLogUnitValue on unit_price's log column, as the peer computes z
//                from its log_unit_price column (equal bit for bit to kernels::RobustUnitValueZ on
//                value and quantity, which would take the log again)
//   rules        kernels::ScoreRules, the ten rules of the file
//   logistic     kernels::LogisticScoreOfInputs with the file's model: the nine features (as
//                kernels::BuildFeatureMatrix builds them) scored in registers by the logistic model
//                (as kernels::LogisticScore), bit-identical to the two kernels, no matrix stored
//   top1pct      kernels::SelectTopKPerGroup, one group, capacity rows / 100 (fill of the selected
//                column included)
// With --threads T > 1 the elementwise kernels use their TBB drivers in a task_arena(T); the
// unit-price and median steps stay single-threaded. The comparison runs T = 1.
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "crsim/data/results_file.h"
#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/group_median.h"
#include "crsim/kernels/logistic.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/kernels/top_k.h"
#include "crsim/kernels/unit_value.h"

namespace {

using namespace crsim::kernels;
using crsim::data::ResultsFile;
using crsim::data::ResultsReader;

constexpr std::uint32_t kGroups = 1000;
constexpr std::uint32_t kOrigins = 40;
constexpr std::uint32_t kOffices = 12;
constexpr std::uint32_t kTraders = 60000;
constexpr std::size_t kRules = 10;

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "crsim_peers: %s\nusage: crsim_peers export --rows N --out FILE.h5\n"
               "       crsim_peers time --in FILE.h5 [--threads T] [--reps R] [--results OUT.h5]\n",
               message);
  std::exit(2);
}

// ---------------------------------------------------------------------------------------------
// export

void Export(std::size_t rows, const std::string& out) {
  std::mt19937_64 rng(20261128u);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);

  // Per group: median log unit value and spread; per trader: a fraud propensity.
  std::vector<double> group_log_price(kGroups), group_spread(kGroups);
  for (std::uint32_t g = 0; g < kGroups; ++g) {
    group_log_price[g] = -1.0 + 8.0 * uniform(rng);
    group_spread[g] = 0.2 + 0.8 * uniform(rng);
  }
  std::vector<double> value(rows), quantity(rows), age(rows);
  std::vector<std::int32_t> hs6(rows), trader(rows);
  std::vector<std::int8_t> chapter(rows), origin(rows), departure(rows), office(rows);
  std::exponential_distribution<double> age_draw(1.0 / 900.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const auto g = static_cast<std::uint32_t>(uniform(rng) * kGroups) % kGroups;
    const bool undervalued = uniform(rng) < 0.02;
    const double log_price = group_log_price[g] + group_spread[g] * normal(rng) - (undervalued ? 1.5 : 0.0);
    const double q = std::floor(std::exp(7.0 * uniform(rng))) + 1.0;
    hs6[i] = static_cast<std::int32_t>(g);
    chapter[i] = static_cast<std::int8_t>(1 + g % 97);
    quantity[i] = q;
    value[i] = std::exp(log_price) * q;
    origin[i] = static_cast<std::int8_t>(static_cast<std::uint32_t>(uniform(rng) * kOrigins) % kOrigins);
    departure[i] = uniform(rng) < 0.9 ? origin[i]
                                      : static_cast<std::int8_t>(static_cast<std::uint32_t>(uniform(rng) * kOrigins) % kOrigins);
    office[i] = static_cast<std::int8_t>(static_cast<std::uint32_t>(uniform(rng) * kOffices) % kOffices);
    trader[i] = static_cast<std::int32_t>(static_cast<std::uint32_t>(uniform(rng) * kTraders) % kTraders);
    age[i] = uniform(rng) < 0.01 ? NAN : std::floor(age_draw(rng));
  }

  // Ten rules: membership masks (1 = the rule accepts that value; all ones = no condition), unit
  // value bounds and a maximum trader age (NaN = no condition), weights.
  std::vector<std::int8_t> chapter_mask(kRules * kChapterTableSize, 1), origin_mask(kRules * kOrigins, 1),
      office_mask(kRules * kOffices, 1);
  std::vector<double> weight(kRules), uv_min(kRules, NAN), uv_max(kRules, NAN), max_age(kRules, NAN);
  for (std::size_t r = 0; r < kRules; ++r) {
    weight[r] = 0.5 + 0.25 * static_cast<double>(r);
    if (r % 2 == 0) {  // a chapter set of 12 chapters
      std::fill_n(chapter_mask.begin() + static_cast<std::ptrdiff_t>(r * kChapterTableSize), kChapterTableSize, 0);
      for (std::size_t c = 0; c < 12; ++c) chapter_mask[r * kChapterTableSize + 1 + (r * 7 + c * 8) % 97] = 1;
    }
    if (r % 3 == 0) {  // an origin set of 6 countries
      std::fill_n(origin_mask.begin() + static_cast<std::ptrdiff_t>(r * kOrigins), kOrigins, 0);
      for (std::size_t o = 0; o < 6; ++o) origin_mask[r * kOrigins + (r + o * 5) % kOrigins] = 1;
    }
    if (r % 4 == 1) {  // three offices
      std::fill_n(office_mask.begin() + static_cast<std::ptrdiff_t>(r * kOffices), kOffices, 0);
      for (std::size_t o = 0; o < 3; ++o) office_mask[r * kOffices + (r + o * 4) % kOffices] = 1;
    }
    if (r % 3 == 1) uv_max[r] = 0.5 + static_cast<double>(r);           // cheap goods
    if (r == 5) { uv_min[r] = 200.0; uv_max[r] = 5000.0; }              // a price band
    if (r % 5 == 2) max_age[r] = 90.0 + 30.0 * static_cast<double>(r);  // new traders
  }

  // Logistic model and its lookup tables.
  const std::vector<double> model_weight = {0.45, 3.0, -0.25, 4.0, 1.5, 0.6, 0.8, 2.5, 2.0};
  const std::vector<double> bias = {-7.0};
  std::vector<double> tariff(kGroups), trader_mean(kTraders), trader_bonus(kTraders), chapter_rate(256, 0.0),
      origin_rate(kOrigins);
  for (auto& t : tariff) t = 0.2 * uniform(rng);
  for (std::uint32_t t = 0; t < kTraders; ++t) {
    trader_mean[t] = 0.02 + 0.3 * std::pow(uniform(rng), 4.0);
    trader_bonus[t] = 0.1 * uniform(rng);
  }
  for (std::size_t c = 1; c < 98; ++c) chapter_rate[c] = 0.01 + 0.2 * uniform(rng);
  for (auto& o : origin_rate) o = 0.01 + 0.2 * uniform(rng);

  ResultsFile file = ResultsFile::Create(out);
  file.WriteSeries("/declarations/value", std::span<const double>(value));
  file.WriteSeries("/declarations/quantity", std::span<const double>(quantity));
  file.WriteSeries("/declarations/hs6", std::span<const std::int32_t>(hs6));
  file.WriteSeries("/declarations/chapter", std::span<const std::int8_t>(chapter));
  file.WriteSeries("/declarations/origin", std::span<const std::int8_t>(origin));
  file.WriteSeries("/declarations/departure", std::span<const std::int8_t>(departure));
  file.WriteSeries("/declarations/office", std::span<const std::int8_t>(office));
  file.WriteSeries("/declarations/trader", std::span<const std::int32_t>(trader));
  file.WriteSeries("/declarations/trader_age_days", std::span<const double>(age));
  file.WriteSeries("/rules/weight", std::span<const double>(weight));
  file.WriteSeries("/rules/chapter_mask", std::span<const std::int8_t>(chapter_mask));
  file.WriteSeries("/rules/origin_mask", std::span<const std::int8_t>(origin_mask));
  file.WriteSeries("/rules/office_mask", std::span<const std::int8_t>(office_mask));
  file.WriteSeries("/rules/unit_value_min", std::span<const double>(uv_min));
  file.WriteSeries("/rules/unit_value_max", std::span<const double>(uv_max));
  file.WriteSeries("/rules/max_trader_age_days", std::span<const double>(max_age));
  file.WriteSeries("/model/bias", std::span<const double>(bias));
  file.WriteSeries("/model/weight", std::span<const double>(model_weight));
  file.WriteSeries("/model/tariff_rate", std::span<const double>(tariff));
  file.WriteSeries("/model/trader_mean", std::span<const double>(trader_mean));
  file.WriteSeries("/model/trader_bonus", std::span<const double>(trader_bonus));
  file.WriteSeries("/model/chapter_rate", std::span<const double>(chapter_rate));
  file.WriteSeries("/model/origin_rate", std::span<const double>(origin_rate));
  file.SetAttribute("/", "rows", static_cast<std::int64_t>(rows));
  file.SetAttribute("/", "groups", static_cast<std::int64_t>(kGroups));
  file.SetAttribute("/", "origins", static_cast<std::int64_t>(kOrigins));
  file.SetAttribute("/", "offices", static_cast<std::int64_t>(kOffices));
  file.SetAttribute("/", "top_k", static_cast<std::int64_t>(std::max<std::size_t>(1, rows / 100)));
  file.Commit();
}

// ---------------------------------------------------------------------------------------------
// time

template <typename T>
std::vector<T> Narrow(const std::vector<std::int64_t>& v) {
  return std::vector<T>(v.begin(), v.end());
}
std::vector<float> ToFloat(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

struct Loaded {
  std::size_t rows = 0;
  std::size_t top_k = 0;
  std::vector<float> value, quantity, age;
  std::vector<std::uint32_t> hs6, trader;
  std::vector<std::uint8_t> chapter;
  std::vector<std::uint16_t> origin, departure, office;
  std::vector<RuleDefinition> rules;
  LogisticModel model;
  std::vector<float> tariff, trader_mean, trader_bonus, chapter_rate, origin_rate;
};

Loaded Load(const std::string& path) {
  ResultsReader in(path);
  Loaded d;
  d.rows = static_cast<std::size_t>(in.ReadIntegerAttribute("/", "rows"));
  d.top_k = static_cast<std::size_t>(in.ReadIntegerAttribute("/", "top_k"));
  d.value = ToFloat(in.ReadDoubles("/declarations/value"));
  d.quantity = ToFloat(in.ReadDoubles("/declarations/quantity"));
  d.age = ToFloat(in.ReadDoubles("/declarations/trader_age_days"));
  d.hs6 = Narrow<std::uint32_t>(in.ReadIntegers("/declarations/hs6"));
  d.trader = Narrow<std::uint32_t>(in.ReadIntegers("/declarations/trader"));
  d.chapter = Narrow<std::uint8_t>(in.ReadIntegers("/declarations/chapter"));
  d.origin = Narrow<std::uint16_t>(in.ReadIntegers("/declarations/origin"));
  d.departure = Narrow<std::uint16_t>(in.ReadIntegers("/declarations/departure"));
  d.office = Narrow<std::uint16_t>(in.ReadIntegers("/declarations/office"));
  if (d.value.size() != d.rows || d.hs6.size() != d.rows) throw std::runtime_error("inconsistent row counts");

  const auto weight = in.ReadDoubles("/rules/weight");
  const auto chapter_mask = in.ReadIntegers("/rules/chapter_mask");
  const auto origin_mask = in.ReadIntegers("/rules/origin_mask");
  const auto office_mask = in.ReadIntegers("/rules/office_mask");
  const auto uv_min = in.ReadDoubles("/rules/unit_value_min");
  const auto uv_max = in.ReadDoubles("/rules/unit_value_max");
  const auto max_age = in.ReadDoubles("/rules/max_trader_age_days");
  const std::size_t rules = weight.size();
  for (std::size_t r = 0; r < rules; ++r) {
    RuleDefinition rule;
    rule.name = "rule" + std::to_string(r);
    rule.weight = static_cast<float>(weight[r]);
    // A mask of all ones is "no condition" (an empty set).
    auto set_of = [&](const std::vector<std::int64_t>& mask, std::size_t width, auto& out) {
      const auto begin = mask.begin() + static_cast<std::ptrdiff_t>(r * width);
      if (std::all_of(begin, begin + static_cast<std::ptrdiff_t>(width), [](auto m) { return m != 0; })) return;
      for (std::size_t k = 0; k < width; ++k)
        if (begin[static_cast<std::ptrdiff_t>(k)] != 0) out.push_back(static_cast<typename std::decay_t<decltype(out)>::value_type>(k));
    };
    set_of(chapter_mask, kChapterTableSize, rule.hs_chapters);
    set_of(origin_mask, kOrigins, rule.origins);
    set_of(office_mask, kOffices, rule.offices);
    if (!std::isnan(uv_min[r])) rule.unit_value_min = static_cast<float>(uv_min[r]);
    if (!std::isnan(uv_max[r])) rule.unit_value_max = static_cast<float>(uv_max[r]);
    if (!std::isnan(max_age[r])) rule.max_trader_age_days = static_cast<float>(max_age[r]);
    d.rules.push_back(std::move(rule));
  }
  const auto bias = in.ReadDoubles("/model/bias");
  const auto model_weight = in.ReadDoubles("/model/weight");
  if (bias.size() != 1 || model_weight.size() != kNumFeatures) throw std::runtime_error("bad model");
  d.model.bias = static_cast<float>(bias[0]);
  for (std::size_t f = 0; f < kNumFeatures; ++f) d.model.weight[f] = static_cast<float>(model_weight[f]);
  d.tariff = ToFloat(in.ReadDoubles("/model/tariff_rate"));
  d.trader_mean = ToFloat(in.ReadDoubles("/model/trader_mean"));
  d.trader_bonus = ToFloat(in.ReadDoubles("/model/trader_bonus"));
  d.chapter_rate = ToFloat(in.ReadDoubles("/model/chapter_rate"));
  d.origin_rate = ToFloat(in.ReadDoubles("/model/origin_rate"));
  return d;
}

struct Pipeline {
  const Loaded& d;
  int threads;
  std::vector<float> unit_value, log_unit_value, median, inverse_scale, z, score, probability;
  std::vector<std::uint64_t> hit_mask;
  std::vector<std::uint16_t> one_group;
  std::vector<std::uint8_t> selected;
  RuleTable table;

  Pipeline(const Loaded& loaded, int t) : d(loaded), threads(t) {
    const std::size_t n = d.rows;
    unit_value.resize(n); log_unit_value.resize(n); z.resize(n); score.resize(n);
    probability.resize(n); hit_mask.resize(n); one_group.assign(n, 0); selected.resize(n);
    median.resize(kGroups); inverse_scale.resize(kGroups);
    table = CompileRules(d.rules, kOrigins, kOffices);
  }

  void UnitPrice() { LogUnitValue(d.value, d.quantity, unit_value, log_unit_value); }

  void MedianMad() {
    GroupMedianMad(log_unit_value, d.hs6, kGroups, median, inverse_scale);
    for (float& scale : inverse_scale) scale = 1.0f / (kMadToStandardDeviation * scale);  // the MAD, until here
  }

  void RobustZ() {
    const UnitValueReference reference{median, inverse_scale};
    if (threads > 1) RobustZOfLogUnitValueParallel(log_unit_value, d.hs6, reference, z);
    else RobustZOfLogUnitValue(log_unit_value, d.hs6, reference, z);
  }

  void Rules() {
    const RuleInputs inputs{d.chapter, d.origin, d.office, unit_value, d.age};
    if (threads > 1) ScoreRulesParallel(table, inputs, 0, score, hit_mask);
    else ScoreRules(table, inputs, 0, score, hit_mask);
  }

  // The nine features of each vector of rows go from registers straight into the dot product
  // (kernels::LogisticScoreOfInputs, bit-identical to BuildFeatureMatrix + LogisticScore): the
  // peer's step builds its matrix and multiplies it; crsim need not store one to score.
  void Logistic() {
    const FeatureInputs inputs{z, d.hs6, d.chapter, d.origin, d.departure, d.age, d.trader, score};
    const FeatureTables tables{d.tariff, d.trader_mean, d.trader_bonus, d.chapter_rate, d.origin_rate};
    if (threads > 1) LogisticScoreOfInputsParallel(inputs, tables, d.model, probability);
    else LogisticScoreOfInputs(inputs, tables, d.model, probability);
  }

  std::uint64_t TopOnePercent() {
    std::fill(selected.begin(), selected.end(), std::uint8_t{0});
    const std::uint32_t capacity[1] = {static_cast<std::uint32_t>(d.top_k)};
    return SelectTopKPerGroup(probability, one_group, capacity, selected);
  }
};

double Seconds(auto&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Time(const std::string& in, int threads, int reps, const std::string& results) {
  const Loaded d = Load(in);
  tbb::task_arena arena(threads);
  Pipeline p(d, threads);
  const char* names[] = {"unit_price", "median_mad", "robust_z", "rules", "logistic", "top1pct"};
  std::vector<std::vector<double>> times(6);
  std::uint64_t taken = 0;
  arena.execute([&] {
    for (int rep = 0; rep < reps; ++rep) {
      times[0].push_back(Seconds([&] { p.UnitPrice(); }));
      times[1].push_back(Seconds([&] { p.MedianMad(); }));
      times[2].push_back(Seconds([&] { p.RobustZ(); }));
      times[3].push_back(Seconds([&] { p.Rules(); }));
      times[4].push_back(Seconds([&] { p.Logistic(); }));
      times[5].push_back(Seconds([&] { taken = p.TopOnePercent(); }));
    }
  });
  std::printf("{\"rows\": %zu, \"threads\": %d, \"reps\": %d, \"selected\": %llu, \"steps\": {", d.rows, threads,
              reps, static_cast<unsigned long long>(taken));
  for (std::size_t s = 0; s < 6; ++s) {
    auto& t = times[s];
    std::sort(t.begin(), t.end());
    const double median = t[t.size() / 2];  // reps is odd in practice; upper median otherwise
    std::printf("%s\"%s\": {\"seconds\": %.9g, \"rows_per_s\": %.9g}", s ? ", " : "", names[s], median,
                static_cast<double>(d.rows) / median);
  }
  std::printf("}}\n");

  if (!results.empty()) {
    ResultsFile out = ResultsFile::Create(results);
    const std::vector<double> z(p.z.begin(), p.z.end()), score(p.score.begin(), p.score.end()),
        probability(p.probability.begin(), p.probability.end()), median(p.median.begin(), p.median.end()),
        unit_value(p.unit_value.begin(), p.unit_value.end());
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i < d.rows; ++i)
      if (p.selected[i] != 0) rows.push_back(static_cast<std::int64_t>(i));
    out.WriteSeries("/unit_value", std::span<const double>(unit_value));
    out.WriteSeries("/median", std::span<const double>(median));
    out.WriteSeries("/z", std::span<const double>(z));
    out.WriteSeries("/rule_score", std::span<const double>(score));
    out.WriteSeries("/probability", std::span<const double>(probability));
    out.WriteSeries("/selected_rows", std::span<const std::int64_t>(rows));
    out.Commit();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Usage("missing mode");
  const std::string mode = argv[1];
  std::size_t rows = 0;
  int threads = 1, reps = 5;
  std::string out, in, results;
  for (int a = 2; a < argc; ++a) {
    const std::string arg = argv[a];
    if (a + 1 >= argc) Usage(("missing value after " + arg).c_str());
    const char* value = argv[++a];
    if (arg == "--rows") rows = std::strtoull(value, nullptr, 10);
    else if (arg == "--out") out = value;
    else if (arg == "--in") in = value;
    else if (arg == "--threads") threads = std::atoi(value);
    else if (arg == "--reps") reps = std::atoi(value);
    else if (arg == "--results") results = value;
    else Usage(("unknown option " + arg).c_str());
  }
  try {
    if (mode == "export") {
      if (rows < 100 || out.empty()) Usage("export needs --rows N (>= 100) and --out FILE");
      Export(rows, out);
      return 0;
    }
    if (mode == "time") {
      if (in.empty() || threads < 1 || reps < 1) Usage("time needs --in FILE, --threads >= 1, --reps >= 1");
      return Time(in, threads, reps, results);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crsim_peers: %s\n", e.what());
    return 1;
  }
  Usage(("unknown mode " + mode).c_str());
}
