// crsim evaluate: train every risk model on an earlier period, score a later one, measure the
// rankings (see crsim/sim/evaluation.h and docs/evaluate.md).
#include "crsim/sim/evaluation.h"

#include "crsim/data/xgboost_model.h"
#include "crsim/kernels/tree_ensemble.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

#include "crsim/data/input_error.h"
#include "crsim/kernels/entity_posterior.h"
#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/logistic.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/sim/price_reference.h"

namespace crsim::sim {

// ---------------------------------------------------------------------------------------------
// Metrics

std::size_t InspectedCount(std::size_t rows, double rate) {
  if (rows == 0) return 0;
  const auto k = static_cast<std::size_t>(std::ceil(rate * static_cast<double>(rows) - 1e-9));
  return std::clamp<std::size_t>(k, 1, rows);
}

namespace {
// Strict weak order "a ranks before b": higher score first, NaN after every number.
bool ScoreBefore(float a, float b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a > b;
}
bool ScoreEqual(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
}  // namespace

std::vector<std::uint32_t> RankRows(std::span<const float> score) {
  std::vector<std::uint32_t> order(score.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return ScoreBefore(score[a], score[b]); });
  return order;
}

double RocAuc(std::span<const float> score, std::span<const std::int8_t> label) {
  const std::vector<std::uint32_t> order = RankRows(score);
  // Walk from the lowest score up, giving each tie group its average rank (1-based, ascending).
  double positive_rank_sum = 0.0;
  double positives = 0.0;
  const std::size_t n = order.size();
  std::size_t end = n;  // groups are [begin, end) in `order`, processed from the back
  while (end > 0) {
    std::size_t begin = end - 1;
    while (begin > 0 && ScoreEqual(score[order[begin - 1]], score[order[end - 1]])) --begin;
    // Ascending ranks of positions [begin, end): n - end + 1 .. n - begin.
    const double average_rank = (static_cast<double>(n - end + 1) + static_cast<double>(n - begin)) / 2.0;
    for (std::size_t i = begin; i < end; ++i) {
      if (label[order[i]] != 0) {
        positive_rank_sum += average_rank;
        positives += 1.0;
      }
    }
    end = begin;
  }
  const double negatives = static_cast<double>(n) - positives;
  return (positive_rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

RankingMetrics ComputeRankingMetrics(std::span<const float> score, std::span<const std::int8_t> label,
                                     std::span<const double> revenue) {
  const std::vector<std::uint32_t> order = RankRows(score);
  double total_frauds = 0.0;
  double total_revenue = 0.0;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] != 0) {
      total_frauds += 1.0;
      total_revenue += revenue[i];
    }
  }
  RankingMetrics metrics;
  for (std::size_t r = 0; r < kInspectionRates.size(); ++r) {
    const std::size_t k = InspectedCount(order.size(), kInspectionRates[r]);
    double frauds = 0.0;
    double fraud_revenue = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      if (label[order[i]] != 0) {
        frauds += 1.0;
        fraud_revenue += revenue[order[i]];
      }
    }
    metrics.precision[r] = k > 0 ? frauds / static_cast<double>(k) : std::numeric_limits<double>::quiet_NaN();
    metrics.recall[r] = frauds / total_frauds;
    metrics.revenue_recall[r] =
        total_revenue > 0.0 ? fraud_revenue / total_revenue : std::numeric_limits<double>::quiet_NaN();
  }
  metrics.auc = RocAuc(score, label);
  return metrics;
}

// ---------------------------------------------------------------------------------------------
// Input checks and encoding

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Columns the models need beyond the import's required date, hs6 and value.
constexpr std::array<const char*, 5> kNeededFields = {"office", "importer", "origin", "mass_kg",
                                                      "tariff_rate_percent"};

const data::ImportedColumn& Column(const data::ImportedDeclarations& file, const std::string& name) {
  const data::ImportedColumn* column = file.Find(name);
  if (column == nullptr) throw std::logic_error("evaluation: column " + name + " missing after checks");
  return *column;
}

InputError FileError(const data::ImportedDeclarations& file, const std::string& message) {
  return InputError({{file.source_path, 0, 0, "", message}});
}

std::string DateText(std::int32_t days) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()));
}

// One file as the models see it: identifiers re-encoded to the TRAINING file's ids (0 = unseen in
// training), numbers as imported.
struct Category {
  std::string name;
  std::vector<std::uint32_t> id;
  std::size_t cardinality = 0;  // training dictionary size (ids 0 .. cardinality - 1)
  const std::vector<std::string>* dictionary = nullptr;  // training texts
};

struct EncodedFile {
  std::size_t rows = 0;
  std::vector<std::int32_t> date;
  std::vector<std::int32_t> hs6_code;
  std::vector<std::uint32_t> hs6_index;  // dense training index of the code, 0 = unseen
  std::vector<std::uint8_t> hs_chapter;
  std::vector<double> value, mass, tariff_percent;
  std::vector<std::uint8_t> route_mismatch;  // departure text != origin text
  std::vector<std::int8_t> label;
  std::vector<Category> categories;  // every identifier column but declaration_id

  const Category& category(const std::string& name) const {
    for (const Category& c : categories) {
      if (c.name == name) return c;
    }
    throw std::logic_error("evaluation: category " + name + " missing");
  }
};

struct Encoding {
  std::map<std::string, std::unordered_map<std::string, std::uint32_t>> ids;  // column -> text -> id
  std::unordered_map<std::int32_t, std::uint32_t> hs6_index;
  std::size_t hs6_cardinality = 1;
};

Encoding LearnEncoding(const data::ImportedDeclarations& train) {
  Encoding encoding;
  for (const data::ImportedColumn& column : train.columns) {
    if (column.dictionary.empty() || column.name == "declaration_id") continue;
    auto& ids = encoding.ids[column.name];
    for (std::size_t id = 1; id < column.dictionary.size(); ++id) ids.emplace(column.dictionary[id], id);
  }
  for (const std::int32_t code : Column(train, "hs6").integers) {
    if (encoding.hs6_index.emplace(code, static_cast<std::uint32_t>(encoding.hs6_cardinality)).second) {
      ++encoding.hs6_cardinality;
    }
  }
  return encoding;
}

EncodedFile Encode(const data::ImportedDeclarations& file, const data::ImportedDeclarations& train,
                   const Encoding& encoding, const std::string& label) {
  EncodedFile out;
  out.rows = static_cast<std::size_t>(file.rows);
  out.date = Column(file, "date").integers;
  out.hs6_code = Column(file, "hs6").integers;
  out.hs6_index.resize(out.rows);
  out.hs_chapter.resize(out.rows);
  for (std::size_t i = 0; i < out.rows; ++i) {
    const auto it = encoding.hs6_index.find(out.hs6_code[i]);
    out.hs6_index[i] = it == encoding.hs6_index.end() ? 0 : it->second;
    out.hs_chapter[i] = static_cast<std::uint8_t>(out.hs6_code[i] / 10000);
  }
  out.value = Column(file, "value").numbers;
  out.mass = Column(file, "mass_kg").numbers;
  out.tariff_percent = Column(file, "tariff_rate_percent").numbers;
  const auto& labels = Column(file, label).labels;
  out.label.assign(labels.begin(), labels.end());

  for (const auto& [name, ids] : encoding.ids) {
    const data::ImportedColumn& column = Column(file, name);
    const data::ImportedColumn& train_column = Column(train, name);
    Category category{name, {}, train_column.dictionary.size(), &train_column.dictionary};
    // The file's own id -> training id, through the text.
    std::vector<std::uint32_t> to_train(column.dictionary.size(), 0);
    for (std::size_t id = 1; id < column.dictionary.size(); ++id) {
      const auto it = ids.find(column.dictionary[id]);
      if (it != ids.end()) to_train[id] = it->second;
    }
    category.id.resize(out.rows);
    for (std::size_t i = 0; i < out.rows; ++i) {
      category.id[i] = to_train[static_cast<std::size_t>(column.integers[i])];
    }
    out.categories.push_back(std::move(category));
  }

  out.route_mismatch.assign(out.rows, 0);
  const data::ImportedColumn* departure = file.Find("departure");
  if (departure != nullptr) {
    const data::ImportedColumn& origin = Column(file, "origin");
    for (std::size_t i = 0; i < out.rows; ++i) {
      out.route_mismatch[i] = departure->dictionary[static_cast<std::size_t>(departure->integers[i])] !=
                              origin.dictionary[static_cast<std::size_t>(origin.integers[i])];
    }
  }
  return out;
}

// Training rows grouped by day, days ascending, rows of a day in file order.
struct DayGroups {
  std::vector<std::uint32_t> order;
  std::vector<std::size_t> day_begin;  // group g = order[day_begin[g], day_begin[g + 1])
};

DayGroups GroupByDay(std::span<const std::int32_t> date) {
  DayGroups groups;
  groups.order.resize(date.size());
  std::iota(groups.order.begin(), groups.order.end(), 0u);
  std::stable_sort(groups.order.begin(), groups.order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return date[a] < date[b]; });
  for (std::size_t i = 0; i < groups.order.size(); ++i) {
    if (i == 0 || date[groups.order[i]] != date[groups.order[i - 1]]) groups.day_begin.push_back(i);
  }
  groups.day_begin.push_back(groups.order.size());
  return groups;
}

// Beta-Binomial target encoding of a category (kernels::UpdateBetaBinomialPosterior).
// train_mean/bonus: time-ordered, each training row sees the training days strictly before its
// own; table_mean/bonus: after every training day (what a test row sees).
struct PosteriorEncoding {
  std::vector<float> train_mean, train_bonus;
  std::vector<float> table_mean, table_bonus;
};

PosteriorEncoding TimeOrderedPosterior(std::span<const std::uint32_t> id, std::size_t cardinality,
                                       std::span<const std::int8_t> label, const DayGroups& days,
                                       const kernels::BetaBinomialPrior& prior, double bonus_multiplier) {
  PosteriorEncoding out;
  out.train_mean.resize(id.size());
  out.train_bonus.resize(id.size());
  out.table_mean.resize(cardinality);
  out.table_bonus.resize(cardinality);
  std::vector<std::uint32_t> inspections(cardinality, 0), hits(cardinality, 0);
  for (std::size_t g = 0; g + 1 < days.day_begin.size(); ++g) {
    kernels::UpdateBetaBinomialPosterior(inspections, hits, prior, bonus_multiplier, out.table_mean,
                                         out.table_bonus);
    for (std::size_t k = days.day_begin[g]; k < days.day_begin[g + 1]; ++k) {
      const std::uint32_t row = days.order[k];
      out.train_mean[row] = out.table_mean[id[row]];
      out.train_bonus[row] = out.table_bonus[id[row]];
    }
    for (std::size_t k = days.day_begin[g]; k < days.day_begin[g + 1]; ++k) {
      const std::uint32_t row = days.order[k];
      ++inspections[id[row]];
      hits[id[row]] += label[row] != 0 ? 1u : 0u;
    }
  }
  kernels::UpdateBetaBinomialPosterior(inspections, hits, prior, bonus_multiplier, out.table_mean,
                                       out.table_bonus);
  return out;
}

std::vector<std::uint32_t> ChapterIds(const EncodedFile& file) {
  return {file.hs_chapter.begin(), file.hs_chapter.end()};
}

std::vector<std::uint16_t> NarrowIds(const Category& category) {
  return {category.id.begin(), category.id.end()};
}

// ---------------------------------------------------------------------------------------------
// Rules learned from the training data

struct LearnedRules {
  kernels::RuleTable table;
  std::vector<std::string> names;
};

LearnedRules LearnRules(const EncodedFile& train, double population_rate, const EvaluationOptions& options) {
  const Category& origin = train.category("origin");
  const Category& office = train.category("office");
  // A segment: (kind, chapter, origin, office), 0 meaning "any" for the chapter/origin/office.
  enum Kind : int { kChapterOrigin, kOfficeChapter, kOfficeOrigin, kChapter, kOrigin, kOffice };
  using Key = std::tuple<int, std::uint32_t, std::uint32_t, std::uint32_t>;
  std::map<Key, std::pair<std::int64_t, std::int64_t>> counts;  // rows, frauds
  for (std::size_t i = 0; i < train.rows; ++i) {
    const std::uint32_t c = train.hs_chapter[i], o = origin.id[i], f = office.id[i];
    const std::int64_t fraud = train.label[i] != 0 ? 1 : 0;
    for (const Key& key : {Key{kChapterOrigin, c, o, 0}, Key{kOfficeChapter, c, 0, f}, Key{kOfficeOrigin, 0, o, f},
                           Key{kChapter, c, 0, 0}, Key{kOrigin, 0, o, 0}, Key{kOffice, 0, 0, f}}) {
      auto& [rows, frauds] = counts[key];
      ++rows;
      frauds += fraud;
    }
  }
  struct Candidate {
    double rate;
    Key key;
  };
  std::vector<Candidate> candidates;
  const double s = options.rule_smoothing;
  for (const auto& [key, count] : counts) {
    const auto [kind, c, o, f] = key;
    if (count.first < options.rule_min_support) continue;
    if ((kind == kChapterOrigin || kind == kOfficeChapter || kind == kChapter) && (c == 0 || c >= 100)) continue;
    const double rate = (static_cast<double>(count.second) + s * population_rate) / (static_cast<double>(count.first) + s);
    if (rate > population_rate) candidates.push_back({rate, key});
  }
  // Highest rate first; ties by key (a fixed order).
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.rate != b.rate ? a.rate > b.rate : a.key < b.key;
  });
  if (candidates.size() > kernels::kMaxRules) candidates.resize(kernels::kMaxRules);

  LearnedRules learned;
  std::vector<kernels::RuleDefinition> rules;
  for (const Candidate& candidate : candidates) {
    const auto [kind, c, o, f] = candidate.key;
    kernels::RuleDefinition rule;
    std::string name;
    if (c != 0) {
      rule.hs_chapters = {static_cast<std::uint8_t>(c)};
      name += fmt::format("chapter {:02}", c);
    }
    if (o != 0) {
      rule.origins = {static_cast<std::uint16_t>(o)};
      name += fmt::format("{}origin {}", name.empty() ? "" : " x ", (*origin.dictionary)[o]);
    }
    if (f != 0) {
      rule.offices = {static_cast<std::uint16_t>(f)};
      name = fmt::format("office {}{}{}", (*office.dictionary)[f], name.empty() ? "" : " x ", name);
    }
    rule.weight = static_cast<float>(candidate.rate - population_rate);
    rule.name = name;
    learned.names.push_back(fmt::format("{} (rate {:.3f})", name, candidate.rate));
    rules.push_back(std::move(rule));
  }
  learned.table = kernels::CompileRules(rules, origin.cardinality, office.cardinality);
  return learned;
}

std::vector<float> ScoreLearnedRules(const LearnedRules& rules, const EncodedFile& file) {
  const std::vector<std::uint16_t> origin = NarrowIds(file.category("origin"));
  const std::vector<std::uint16_t> office = NarrowIds(file.category("office"));
  const std::vector<float> no_value(file.rows, kNaN);
  std::vector<float> score(file.rows);
  std::vector<std::uint64_t> hits(file.rows);
  kernels::ScoreRulesParallel(rules.table, {file.hs_chapter, origin, office, no_value, no_value}, 0, score, hits);
  return score;
}

// ---------------------------------------------------------------------------------------------
// Unit-value anomaly

std::vector<float> AsFloat(std::span<const double> values) { return {values.begin(), values.end()}; }

double LogUnitValue(double value, double mass) {
  return value > 0.0 && mass > 0.0 ? std::log(value / mass) : std::numeric_limits<double>::quiet_NaN();
}

// ---------------------------------------------------------------------------------------------
// Features shared by the logistic and tree models

// Per-row inputs of the nine kernels::Feature columns, for the training rows (time-ordered
// encodings) or the test rows (encodings after the whole training period).
struct RowFeatures {
  std::vector<float> low_price_z, tariff_rate, log_trader_age, trader_mean, trader_bonus, rule_score,
      route_mismatch, chapter_rate, origin_rate;
  std::span<const float> column(std::size_t feature) const {
    const std::array<const std::vector<float>*, kernels::kNumFeatures> columns = {
        &low_price_z, &tariff_rate, &log_trader_age, &trader_mean, &trader_bonus,
        &rule_score,  &route_mismatch, &chapter_rate, &origin_rate};
    return *columns[feature];
  }
};

float LowPriceFeature(float z) {
  return std::isnan(z) ? 0.0f : std::min(std::max(0.0f, -z), kernels::kLowPriceZCap);
}

void FillCommonFeatures(const EncodedFile& file, std::span<const float> z, std::span<const float> rule_score,
                        RowFeatures& features) {
  features.low_price_z.resize(file.rows);
  features.tariff_rate.resize(file.rows);
  features.route_mismatch.resize(file.rows);
  for (std::size_t i = 0; i < file.rows; ++i) {
    features.low_price_z[i] = LowPriceFeature(z[i]);
    const double tariff = file.tariff_percent[i];
    features.tariff_rate[i] = std::isnan(tariff) ? 0.0f : static_cast<float>(tariff / 100.0);
    features.route_mismatch[i] = file.route_mismatch[i];
  }
  features.rule_score.assign(rule_score.begin(), rule_score.end());
}

std::vector<float> LogTraderAge(const EncodedFile& file, std::span<const std::int32_t> first_day) {
  const Category& importer = file.category("importer");
  std::vector<float> age(file.rows, 0.0f);
  for (std::size_t i = 0; i < file.rows; ++i) {
    const std::int32_t first = first_day[importer.id[i]];
    if (importer.id[i] != 0 && first != std::numeric_limits<std::int32_t>::max() && file.date[i] >= first) {
      age[i] = static_cast<float>(std::log1p(static_cast<double>(file.date[i] - first)));
    }
  }
  return age;
}

std::vector<float> Gather(std::span<const float> table, std::span<const std::uint32_t> id) {
  std::vector<float> out(id.size());
  std::vector<float> unused(id.size());
  kernels::GatherEntityPosteriorParallel(id, table, table, out, unused);
  return out;
}

std::vector<float> ToFeatureMatrix(const RowFeatures& features, std::size_t rows, kernels::FeatureMatrix& matrix) {
  const std::size_t stride = kernels::FeatureMatrixStride(rows);
  std::vector<float> data(kernels::kNumFeatures * stride, 0.0f);
  matrix = {data.data(), rows, stride};
  for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) {
    std::copy(features.column(f).begin(), features.column(f).end(), data.begin() + static_cast<std::ptrdiff_t>(f * stride));
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Gradient-boosted trees (XGBoost C API)

void CheckXgb(int status, const char* what) {
  if (status != 0) throw std::runtime_error(std::string("XGBoost ") + what + ": " + XGBGetLastError());
}

constexpr const char* kXgboostThreads = "1";

struct DMatrix {
  DMatrixHandle handle = nullptr;
  DMatrix(std::span<const float> data, std::size_t rows, std::size_t cols) {
    CheckXgb(XGDMatrixCreateFromMat(data.data(), rows, cols, kNaN, &handle), "DMatrix");
  }
  ~DMatrix() { XGDMatrixFree(handle); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
};

struct Booster {
  BoosterHandle handle = nullptr;
  explicit Booster(DMatrixHandle* cache, bst_ulong count) { CheckXgb(XGBoosterCreate(cache, count, &handle), "booster"); }
  ~Booster() { XGBoosterFree(handle); }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  void Set(const char* name, const std::string& value) const {
    CheckXgb(XGBoosterSetParam(handle, name, value.c_str()), name);
  }
};

// The trained ensemble in XGBoost's JSON model format (what data::ParseXgboostJsonModel reads).
struct TrainedTreeModel {
  std::string json;
};

TrainedTreeModel TrainTreeModel(const TreeFeatures& features, const EvaluationOptions& options) {
  DMatrix train(features.train, features.train_rows, features.names.size());
  const std::vector<float> label(features.train_label.begin(), features.train_label.end());
  CheckXgb(XGDMatrixSetFloatInfo(train.handle, "label", label.data(), label.size()), "labels");
  Booster booster(&train.handle, 1);
  // A FIXED thread count: XGBoost's histogram sums may depend on its thread count, so it does not
  // follow --threads; the model is identical whatever --threads is. One thread: with two, XGBoost's
  // OpenMP workers spin-wait, and on this shared 2-core machine under load (load average 13) the
  // evaluation took 106 s of wall time and 35 s of CPU instead of about 5 s (bench/RESULTS.md).
  booster.Set("nthread", kXgboostThreads);
  booster.Set("objective", "binary:logistic");
  booster.Set("tree_method", "hist");
  booster.Set("max_depth", std::to_string(options.xgboost_max_depth));
  booster.Set("eta", fmt::format("{}", options.xgboost_eta));
  booster.Set("base_score", "0.5");
  booster.Set("seed", std::to_string(options.seed));
  booster.Set("verbosity", "0");
  for (int round = 0; round < options.xgboost_rounds; ++round) {
    CheckXgb(XGBoosterUpdateOneIter(booster.handle, round, train.handle), "training");
  }
  bst_ulong length = 0;
  const char* buffer = nullptr;
  CheckXgb(XGBoosterSaveModelToBuffer(booster.handle, R"({"format": "json"})", &length, &buffer), "save model");
  return {std::string(buffer, length)};
}

// =============================================================================================
// Tree-model inference: crsim's own engine (kernels/tree_ensemble.h) on the model XGBoost trained,
// loaded from its JSON as a user's model file would be; the margins (sum of leaf values plus the
// base margin, before the sigmoid) equal XGBoost's own predict bit for bit
// (tests/data/xgboost_model_test.cc). Row-major features, NaN = missing.
// =============================================================================================
void PredictTreeMargin(const TrainedTreeModel& model, std::span<const float> features, std::size_t rows,
                       std::size_t cols, std::span<float> margin) {
  const kernels::TreeEnsemble ensemble = data::ParseXgboostJsonModel(model.json, "the evaluated tree model");
  kernels::PredictMarginParallel(ensemble, {features.data(), rows, cols, cols, 1}, margin);
}

// ---------------------------------------------------------------------------------------------

// A category column whose every training value has only frauds or only non-frauds and that has few
// values is the label in disguise (the KCS "Critical Fraud" 0/1/2): it must not be a feature.
bool DeterminesLabel(const Category& category, std::span<const std::int8_t> label) {
  constexpr std::size_t kMaxLeakyCategories = 16;
  if (category.cardinality > kMaxLeakyCategories + 1) return false;
  std::vector<std::array<std::int64_t, 2>> counts(category.cardinality, {0, 0});
  for (std::size_t i = 0; i < label.size(); ++i) ++counts[category.id[i]][label[i] != 0 ? 1 : 0];
  std::size_t used = 0;
  for (const auto& count : counts) {
    if (count[0] > 0 && count[1] > 0) return false;
    used += (count[0] + count[1]) > 0 ? 1 : 0;
  }
  return used >= 2;
}

struct TreeColumnSource {
  std::string name;
  std::vector<float> train, test;
};

void AppendRowMajor(const std::vector<TreeColumnSource>& columns, std::size_t rows, bool test,
                    std::vector<float>& out) {
  const std::size_t cols = columns.size();
  out.assign(rows * cols, 0.0f);
  for (std::size_t c = 0; c < cols; ++c) {
    const std::vector<float>& values = test ? columns[c].test : columns[c].train;
    for (std::size_t i = 0; i < rows; ++i) out[i * cols + c] = values[i];
  }
}

}  // namespace

std::string ResolveLabel(const data::ImportedDeclarations& train, const std::string& requested) {
  std::vector<std::string> labels;
  for (const data::ImportedColumn& column : train.columns) {
    if (column.kind == data::ImportFieldKind::kLabel) labels.push_back(column.name);
  }
  if (const auto equals = requested.find('='); equals != std::string::npos) {
    // "category=value": the label is 1 where the category column has that text (KCS:
    // critical_fraud=2 for the critical frauds).
    const data::ImportedColumn* column = train.Find(requested.substr(0, equals));
    if (column == nullptr || column->dictionary.empty()) {
      throw InputError({{"--label", 0, 0, "", "\"" + requested.substr(0, equals) +
                                                  "\" is not a categorical column of the schema ([categories] or an identifier field)"}});
    }
    return requested;
  }
  if (!requested.empty()) {
    if (std::find(labels.begin(), labels.end(), requested) == labels.end()) {
      throw InputError({{"--label", 0, 0, "", "the schema has no label \"" + requested + "\" in [labels] (has: " +
                                                     fmt::format("{}", fmt::join(labels, ", ")) + ")"}});
    }
    return requested;
  }
  if (labels.empty()) {
    throw FileError(train, "the schema has no [labels] column: evaluate needs the true outcome (e.g. fraud = \"Fraud\")");
  }
  if (std::find(labels.begin(), labels.end(), "fraud") != labels.end()) return "fraud";
  if (labels.size() > 1) {
    throw FileError(train, "the schema has several labels (" + fmt::format("{}", fmt::join(labels, ", ")) +
                               "): choose one with --label");
  }
  return labels.front();
}

void CheckEvaluationInput(const data::ImportedDeclarations& train, const data::ImportedDeclarations& test,
                          const std::string& label) {
  std::vector<InputProblem> problems;
  for (const char* field : kNeededFields) {
    if (train.Find(field) == nullptr) {
      problems.push_back({train.source_path, 0, 0, field,
                          "the schema maps no column to this field in [columns]; the risk models need it"});
    }
  }
  for (const data::ImportedDeclarations* file : {&train, &test}) {
    const data::ImportedColumn* column = file->Find(label);
    if (column == nullptr) {
      problems.push_back({file->source_path, 0, 0, label, "no label column: evaluate needs the true outcome"});
      continue;
    }
    const auto frauds = std::count_if(column->labels.begin(), column->labels.end(), [](std::int8_t v) { return v != 0; });
    if (frauds == 0 || frauds == file->rows) {
      problems.push_back({file->source_path, 0, 0, label,
                          fmt::format("all {} rows have label {}: the metrics need both frauds and non-frauds",
                                      file->rows, frauds == 0 ? 0 : 1)});
    }
  }
  if (problems.empty()) {
    const auto& train_dates = Column(train, "date").integers;
    const auto& test_dates = Column(test, "date").integers;
    const std::int32_t train_end = *std::max_element(train_dates.begin(), train_dates.end());
    const std::int32_t test_begin = *std::min_element(test_dates.begin(), test_dates.end());
    if (test_begin <= train_end) {
      problems.push_back({test.source_path, 0, 0, "date",
                          "the test period starts on " + DateText(test_begin) + ", not after the training period (which ends on " +
                              DateText(train_end) + "): the models must see only earlier declarations"});
    }
  }
  for (const std::string& name : {std::string("office"), std::string("origin")}) {
    const data::ImportedColumn* column = train.Find(name);
    if (column != nullptr && column->dictionary.size() > std::numeric_limits<std::uint16_t>::max()) {
      problems.push_back({train.source_path, 0, 0, name,
                          fmt::format("{} distinct values; the rule kernel takes at most 65535", column->dictionary.size() - 1)});
    }
  }
  if (!problems.empty()) throw InputError(std::move(problems));
}

namespace {
// For a label "category=value", a copy of the file with that 0/1 label column appended.
std::optional<data::ImportedDeclarations> WithDerivedLabel(const data::ImportedDeclarations& file,
                                                           const std::string& label) {
  const auto equals = label.find('=');
  if (equals == std::string::npos) return std::nullopt;
  const data::ImportedColumn& category = Column(file, label.substr(0, equals));
  const std::string value = label.substr(equals + 1);
  data::ImportedDeclarations copy = file;
  data::ImportedColumn derived{label, data::ImportFieldKind::kLabel, {}, {}, {}, {}};
  derived.labels.resize(category.integers.size());
  for (std::size_t i = 0; i < derived.labels.size(); ++i) {
    derived.labels[i] = category.dictionary[static_cast<std::size_t>(category.integers[i])] == value ? 1 : 0;
  }
  copy.columns.push_back(std::move(derived));
  return copy;
}
}  // namespace

EvaluationReport Evaluate(const data::ImportedDeclarations& original_train, const data::ImportedDeclarations& original_test,
                          const EvaluationOptions& options, TreeFeatures* features_out) {
  EvaluationReport report;
  report.label = ResolveLabel(original_train, options.label);
  const std::optional<data::ImportedDeclarations> derived_train = WithDerivedLabel(original_train, report.label);
  const std::optional<data::ImportedDeclarations> derived_test =
      original_test.Find(report.label.substr(0, report.label.find('='))) != nullptr
          ? WithDerivedLabel(original_test, report.label)
          : std::nullopt;
  const data::ImportedDeclarations& train_file = derived_train ? *derived_train : original_train;
  const data::ImportedDeclarations& test_file = derived_test ? *derived_test : original_test;
  CheckEvaluationInput(train_file, test_file, report.label);
  const Encoding encoding = LearnEncoding(train_file);
  const EncodedFile train = Encode(train_file, train_file, encoding, report.label);
  const EncodedFile test = Encode(test_file, train_file, encoding, report.label);
  report.train_rows = static_cast<std::int64_t>(train.rows);
  report.test_rows = static_cast<std::int64_t>(test.rows);
  report.revenue_source = "tariff_rate_percent / 100 x value";

  const double population_rate =
      static_cast<double>(std::count_if(train.label.begin(), train.label.end(), [](std::int8_t v) { return v != 0; })) /
      static_cast<double>(train.rows);
  report.test_fraud_share =
      static_cast<double>(std::count_if(test.label.begin(), test.label.end(), [](std::int8_t v) { return v != 0; })) /
      static_cast<double>(test.rows);
  const DayGroups days = GroupByDay(train.date);

  // (a) rules
  const LearnedRules rules = LearnRules(train, population_rate, options);
  report.rule_names = rules.names;
  const std::vector<float> train_rule_score = ScoreLearnedRules(rules, train);
  const std::vector<float> test_rule_score = ScoreLearnedRules(rules, test);

  // (b) unit value: references per HS6 x origin from the training rows, fallback to the HS6 code.
  const Category& train_origin = train.category("origin");
  PriceReference prices(encoding.hs6_cardinality, train_origin.cardinality, options.price_min_count, 0,
                        PriceReferenceLevel::kHs6Origin);
  for (std::size_t i = 0; i < train.rows; ++i) {
    const double log_unit_value = LogUnitValue(train.value[i], train.mass[i]);
    if (!std::isnan(log_unit_value)) {
      prices.Add(train.hs6_index[i], static_cast<std::uint16_t>(train_origin.id[i]), static_cast<float>(log_unit_value));
    }
  }
  prices.CloseDay();
  const auto unit_value_z = [&](const EncodedFile& file) {
    std::vector<float> z(file.rows);
    prices.RobustZParallel(AsFloat(file.value), AsFloat(file.mass), file.hs6_index, NarrowIds(file.category("origin")), z);
    return z;
  };
  const std::vector<float> train_z = unit_value_z(train);
  const std::vector<float> test_z = unit_value_z(test);

  // (c) trader posterior (importer), and the time-ordered target encodings.
  const kernels::BetaBinomialPrior trader_prior{population_rate, options.trader_prior_strength};
  const Category& train_importer = train.category("importer");
  const PosteriorEncoding trader = TimeOrderedPosterior(train_importer.id, train_importer.cardinality, train.label,
                                                        days, trader_prior, 1.0);
  const auto encode = [&](const std::vector<std::uint32_t>& train_ids, std::size_t cardinality) {
    return TimeOrderedPosterior(train_ids, cardinality, train.label, days, trader_prior, 0.0);
  };
  const PosteriorEncoding chapter_rate = encode(ChapterIds(train), kernels::kChapterRateTableSize);
  const PosteriorEncoding origin_rate = encode(train_origin.id, train_origin.cardinality);

  // Trader age: days since the importer's first training declaration.
  std::vector<std::int32_t> first_day(train_importer.cardinality, std::numeric_limits<std::int32_t>::max());
  for (std::size_t i = 0; i < train.rows; ++i) {
    first_day[train_importer.id[i]] = std::min(first_day[train_importer.id[i]], train.date[i]);
  }

  RowFeatures train_features;
  FillCommonFeatures(train, train_z, train_rule_score, train_features);
  train_features.log_trader_age = LogTraderAge(train, first_day);
  train_features.trader_mean = trader.train_mean;
  train_features.trader_bonus = trader.train_bonus;
  train_features.chapter_rate = chapter_rate.train_mean;
  train_features.origin_rate = origin_rate.train_mean;

  RowFeatures test_features;
  FillCommonFeatures(test, test_z, test_rule_score, test_features);
  test_features.log_trader_age = LogTraderAge(test, first_day);
  const Category& test_importer = test.category("importer");
  test_features.trader_mean = Gather(trader.table_mean, test_importer.id);
  test_features.trader_bonus = Gather(trader.table_bonus, test_importer.id);
  test_features.chapter_rate = Gather(chapter_rate.table_mean, ChapterIds(test));
  test_features.origin_rate = Gather(origin_rate.table_mean, test.category("origin").id);

  // (d) logistic
  kernels::FeatureMatrix train_matrix, test_matrix;
  const std::vector<float> train_matrix_data = ToFeatureMatrix(train_features, train.rows, train_matrix);
  const std::vector<float> test_matrix_data = ToFeatureMatrix(test_features, test.rows, test_matrix);
  const std::vector<std::uint8_t> train_label01(train.label.begin(), train.label.end());
  const kernels::LogisticModel logistic =
      kernels::TrainLogisticModel(train_matrix.view(), train_label01, {.l2 = options.logistic_l2}).model;
  std::vector<float> logistic_score(test.rows);
  kernels::LogisticScoreParallel(test_matrix.view(), logistic, logistic_score);

  // (e) trees: the nine features, numbers, label-encoded categories and more target encodings.
  std::vector<TreeColumnSource> columns;
  for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) {
    const auto a = train_features.column(f), b = test_features.column(f);
    columns.push_back({kernels::FeatureName(f), {a.begin(), a.end()}, {b.begin(), b.end()}});
  }
  const auto numeric = [&](const std::string& name, auto&& function) {
    TreeColumnSource column{name, std::vector<float>(train.rows), std::vector<float>(test.rows)};
    for (std::size_t i = 0; i < train.rows; ++i) column.train[i] = static_cast<float>(function(train, i));
    for (std::size_t i = 0; i < test.rows; ++i) column.test[i] = static_cast<float>(function(test, i));
    columns.push_back(std::move(column));
  };
  numeric("log_value", [](const EncodedFile& f, std::size_t i) { return std::log1p(f.value[i]); });
  numeric("log_mass", [](const EncodedFile& f, std::size_t i) { return std::log1p(f.mass[i]); });
  numeric("log_unit_value", [](const EncodedFile& f, std::size_t i) { return LogUnitValue(f.value[i], f.mass[i]); });
  numeric("tariff_rate_percent", [](const EncodedFile& f, std::size_t i) { return f.tariff_percent[i]; });
  numeric("hs6", [](const EncodedFile& f, std::size_t i) { return static_cast<double>(f.hs6_code[i]); });
  numeric("hs_chapter", [](const EncodedFile& f, std::size_t i) { return static_cast<double>(f.hs_chapter[i]); });
  numeric("unit_value_z", [&](const EncodedFile& f, std::size_t i) { return (&f == &train ? train_z : test_z)[i]; });
  for (std::size_t c = 0; c < train.categories.size(); ++c) {
    const Category& category = train.categories[c];
    if (DeterminesLabel(category, train.label)) {
      report.notes.push_back("column " + category.name +
                             " is left out of the features: its values determine the training label (the label in disguise)");
      continue;
    }
    numeric(category.name, [c](const EncodedFile& f, std::size_t i) { return static_cast<double>(f.categories[c].id[i]); });
  }
  for (const std::string& name : {std::string("declarant"), std::string("office")}) {
    if (train_file.Find(name) == nullptr) continue;
    const PosteriorEncoding rate = encode(train.category(name).id, train.category(name).cardinality);
    const std::vector<float> test_rate = Gather(rate.table_mean, test.category(name).id);
    columns.push_back({name + "_rate", rate.train_mean, test_rate});
  }
  {
    const PosteriorEncoding rate = encode(train.hs6_index, encoding.hs6_cardinality);
    columns.push_back({"hs6_rate", rate.train_mean, Gather(rate.table_mean, test.hs6_index)});
  }
  TreeFeatures tree;
  for (const TreeColumnSource& column : columns) tree.names.push_back(column.name);
  tree.train_rows = train.rows;
  tree.test_rows = test.rows;
  AppendRowMajor(columns, train.rows, false, tree.train);
  AppendRowMajor(columns, test.rows, true, tree.test);
  tree.train_label = train.label;
  tree.test_label = test.label;
  const TrainedTreeModel tree_model = TrainTreeModel(tree, options);
  std::vector<float> tree_score(test.rows);
  PredictTreeMargin(tree_model, tree.test, test.rows, tree.names.size(), tree_score);

  // Scores of the simple models on the test rows.
  std::vector<float> unit_value_score(test.rows);
  for (std::size_t i = 0; i < test.rows; ++i) unit_value_score[i] = -test_z[i];  // NaN stays NaN: ranked last
  std::vector<double> revenue(test.rows);
  for (std::size_t i = 0; i < test.rows; ++i) {
    const double tariff = test.tariff_percent[i];
    revenue[i] = std::isnan(tariff) ? 0.0 : tariff / 100.0 * test.value[i];
  }
  const auto add = [&](const std::string& name, std::vector<float> score) {
    ModelResult result{name, std::move(score), {}};
    result.metrics = ComputeRankingMetrics(result.test_score, test.label, revenue);
    report.models.push_back(std::move(result));
  };
  add("rules", test_rule_score);
  add("unit_value", std::move(unit_value_score));
  add("trader", test_features.trader_mean);
  add("logistic", std::move(logistic_score));
  add("xgboost", std::move(tree_score));
  if (features_out != nullptr) *features_out = std::move(tree);
  return report;
}

// ---------------------------------------------------------------------------------------------
// Output

namespace {
template <typename Function>
void ForEachMetric(const RankingMetrics& metrics, Function&& function) {
  for (std::size_t r = 0; r < kInspectionRates.size(); ++r) {
    function(fmt::format("precision@{}", kInspectionRateNames[r]), metrics.precision[r]);
  }
  for (std::size_t r = 0; r < kInspectionRates.size(); ++r) {
    function(fmt::format("recall@{}", kInspectionRateNames[r]), metrics.recall[r]);
  }
  for (std::size_t r = 0; r < kInspectionRates.size(); ++r) {
    function(fmt::format("revenue_recall@{}", kInspectionRateNames[r]), metrics.revenue_recall[r]);
  }
  function("auc", metrics.auc);
}
}  // namespace

std::string FormatEvaluationTable(const EvaluationReport& report) {
  std::string header = fmt::format("{:<11}", "model");
  for (const char* group : {"P", "R", "RR"}) {
    for (const char* rate : kInspectionRateNames) header += fmt::format(" {:>6}", fmt::format("{}@{}", group, rate));
    header += " |";
  }
  header += fmt::format(" {:>6}", "AUC");
  std::string text = header + "\n" + std::string(header.size(), '-') + "\n";
  for (const ModelResult& model : report.models) {
    std::string line = fmt::format("{:<11}", model.name);
    std::size_t index = 0;
    ForEachMetric(model.metrics, [&](const std::string&, double value) {
      line += std::isnan(value) ? fmt::format(" {:>6}", "-") : fmt::format(" {:6.3f}", value);
      if (++index % kInspectionRates.size() == 0 && index < 3 * kInspectionRates.size() + 1) line += " |";
    });
    text += line + "\n";
  }
  return text;
}

std::string EvaluationJson(const EvaluationReport& report) {
  std::string text = "{\n";
  for (std::size_t m = 0; m < report.models.size(); ++m) {
    text += fmt::format("  \"{}\": {{", report.models[m].name);
    bool first = true;
    ForEachMetric(report.models[m].metrics, [&](const std::string& name, double value) {
      text += fmt::format("{}\"{}\": {}", first ? "" : ", ", name, std::isnan(value) ? "null" : fmt::format("{:.17g}", value));
      first = false;
    });
    text += m + 1 < report.models.size() ? "},\n" : "}\n";
  }
  return text + "}\n";
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temporary = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError({{path.string(), 0, 0, "", "cannot write here (does the directory exist?)"}});
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(temporary);
      throw std::runtime_error("cannot write " + temporary.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw std::runtime_error("cannot rename " + temporary.string() + " to " + path.string() + ": " + error.message());
  }
}

void ExportTreeFeatures(const std::filesystem::path& dir, const TreeFeatures& features) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir)) {
    throw InputError({{dir.string(), 0, 0, "--export-features", "cannot create this directory"}});
  }
  const auto bytes = [](const auto& values) {
    return std::string_view(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(values[0]));
  };
  WriteFileAtomically(dir / "train_features.f32", bytes(features.train));
  WriteFileAtomically(dir / "test_features.f32", bytes(features.test));
  WriteFileAtomically(dir / "train_labels.u8", bytes(features.train_label));
  WriteFileAtomically(dir / "test_labels.u8", bytes(features.test_label));
  std::string names;
  for (std::size_t i = 0; i < features.names.size(); ++i) names += fmt::format("{}\"{}\"", i ? ", " : "", features.names[i]);
  WriteFileAtomically(dir / "features.json",
                      fmt::format("{{\n  \"layout\": \"row-major float32, native byte order (little-endian), NaN = missing; "
                                  "labels uint8 0/1\",\n  \"train_rows\": {},\n  \"test_rows\": {},\n  \"features\": [{}]\n}}\n",
                                  features.train_rows, features.test_rows, names));
}

}  // namespace crsim::sim
