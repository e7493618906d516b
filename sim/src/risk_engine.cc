#include "crsim/sim/risk_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::sim {

namespace {
// Rows per parallel scoring task (the kernels' default grain): large enough to amortise task
// overhead, small enough that two threads share a day evenly. Scoring is elementwise, so this
// never changes results.
constexpr std::size_t kScoreChunk = kernels::kDefaultParallelGrain;

// The log unit value a price reference learns from a declaration: the value revealed by
// inspection where a fraud was found, the declared one elsewhere.
float RevealedLogUnitValue(const data::DeclaredView& declared, const InspectionOutcomes& outcomes, std::size_t row) {
  return std::log(outcomes.revealed_value[row] / declared.declared_quantity[row]);
}

PriceReferenceLevel PriceReferenceLevelOf(const std::string& name) {
  // Scenario validation accepts only these two names.
  return name == "hs6_origin" ? PriceReferenceLevel::kHs6Origin : PriceReferenceLevel::kHs6;
}
}  // namespace

const std::vector<std::string>& RegisteredCombinations() {
  static const std::vector<std::string> names = {"weighted_sum", "max", "logistic", "gbdt"};
  return names;
}

ScoreCombination ParseScoreCombination(const std::string& name) {
  if (name == "weighted_sum") return ScoreCombination::kWeightedSum;
  if (name == "max") return ScoreCombination::kMax;
  if (name == "logistic") return ScoreCombination::kLogistic;
  if (name == "gbdt") return ScoreCombination::kGbdt;
  // The scenario loader has validated the name: anything else is a bug.
  std::fprintf(stderr, "%s:%d: unknown score combination \"%s\"\n", __FILE__, __LINE__, name.c_str());
  std::abort();
}

kernels::RuleTable CompileScenarioRules(const World& world, const RiskSpec& risk) {
  std::vector<kernels::RuleDefinition> definitions;
  for (const RuleSpec& rule : risk.rules) {
    kernels::RuleDefinition definition;
    definition.name = rule.name;
    definition.weight = static_cast<float>(rule.weight);
    for (const std::int64_t chapter : rule.hs_chapters) definition.hs_chapters.push_back(static_cast<std::uint8_t>(chapter));
    for (const std::string& iso : rule.origins) {
      const auto it = std::find(world.country_iso.begin(), world.country_iso.end(), iso);
      definition.origins.push_back(static_cast<std::uint16_t>(it - world.country_iso.begin()));
    }
    for (const std::string& name : rule.offices) {
      const auto it = std::find_if(world.offices.begin(), world.offices.end(),
                                   [&](const Office& office) { return office.name == name; });
      definition.offices.push_back(static_cast<std::uint16_t>(it - world.offices.begin()));
    }
    if (rule.unit_value_min) definition.unit_value_min = static_cast<float>(*rule.unit_value_min);
    if (rule.unit_value_max) definition.unit_value_max = static_cast<float>(*rule.unit_value_max);
    if (rule.max_trader_age_days) definition.max_trader_age_days = static_cast<float>(*rule.max_trader_age_days);
    definition.active_from_day = rule.active_from_day;
    definition.active_until_day = rule.active_until_day;
    definitions.push_back(std::move(definition));
  }
  // Scenario validation has checked every name, so an unknown one here is a bug: CompileRules throws.
  return kernels::CompileRules(definitions, world.country_iso.size(), world.offices.size());
}

RiskEngine::RiskEngine(const World& world, const ScenarioSpec& spec)
    : RiskEngine(world, spec, ParseScoreCombination(spec.risk.combination), 0) {}

RiskEngine::RiskEngine(const World& world, const ScenarioSpec& spec, ScoreCombination combination,
                       std::uint32_t replication)
    : risk_(spec.risk),
      combination_(combination),
      training_random_(spec.run.seed, replication),
      rule_table_(CompileScenarioRules(world, spec.risk)),
      price_reference_(world.catalogue.size(), world.country_iso.size(), spec.risk.min_reference_count,
                       spec.risk.price_window_days, PriceReferenceLevelOf(spec.risk.price_reference)),
      trader_inspections_(world.traders.size(), 0),
      trader_hits_(world.traders.size(), 0),
      trader_risk_(world.traders.size(), 0.0f),
      trader_bonus_(world.traders.size(), 0.0f),
      declarant_inspections_(world.declarants, 0),
      declarant_hits_(world.declarants, 0),
      declarant_risk_(world.declarants, 0.0f),
      declarant_bonus_(world.declarants, 0.0f) {
  if (!learns_model()) return;
  const bool gbdt = combination_ == ScoreCombination::kGbdt;
  retrain_every_days_ = gbdt ? risk_.gbdt.retrain_every_days : risk_.logistic.retrain_every_days;
  min_training_rows_ = static_cast<std::size_t>(gbdt ? risk_.gbdt.min_training_rows : risk_.logistic.min_training_rows);
  max_training_rows_ = static_cast<std::size_t>(gbdt ? risk_.gbdt.max_training_rows : risk_.logistic.max_training_rows);
  tariff_rate_ = world.catalogue.tariff_rate;
  chapter_inspections_.assign(kernels::kChapterRateTableSize, 0);
  chapter_hits_.assign(kernels::kChapterRateTableSize, 0);
  chapter_rate_.assign(kernels::kChapterRateTableSize, 0.0f);
  chapter_bonus_.assign(kernels::kChapterRateTableSize, 0.0f);
  const std::size_t countries = std::max<std::size_t>(world.country_iso.size(), 1);
  origin_inspections_.assign(countries, 0);
  origin_hits_.assign(countries, 0);
  origin_rate_.assign(countries, 0.0f);
  origin_bonus_.assign(countries, 0.0f);
  training_features_.resize(kernels::kNumFeatures);
}

void RiskEngine::Score(const data::DeclaredView& declared, std::int64_t day, std::span<float> risk_score) {
  const std::size_t size = declared.size();
  rule_score_.resize(size);
  rule_hits_.resize(size);
  unit_value_z_.resize(size);
  const auto rule_weight = static_cast<float>(risk_.rule_weight);
  const auto unit_value_weight = static_cast<float>(risk_.unit_value_weight);
  const auto trader_weight = static_cast<float>(risk_.trader_history_weight);
  const std::span<const float> rule_score = rule_score_.span();
  const std::span<const float> z = unit_value_z_.span();

  // The two kernels, each over parallel chunks (crsim/kernels/parallel.h).
  const kernels::RuleInputs inputs{declared.hs_chapter, declared.origin, declared.office, declared.unit_value,
                                   declared.trader_age_days};
  kernels::ScoreRulesParallel(rule_table_, inputs, day, rule_score_.span(), rule_hits_.span(), kScoreChunk);
  price_reference_.RobustZParallel(declared.declared_value, declared.declared_quantity, declared.hs6, declared.origin,
                                   unit_value_z_.span(), kScoreChunk);

  if (learns_model()) {
    // The features are built every day, trained model or not: Learn keeps the inspected rows'.
    const std::size_t stride = kernels::FeatureMatrixStride(size);
    features_.resize(kernels::kNumFeatures * stride);
    feature_rows_ = size;
    feature_stride_ = stride;
    const kernels::FeatureInputs feature_inputs{
        z,
        declared.hs6,
        declared.hs_chapter,
        declared.origin,
        declared.departure.size() == size ? declared.departure : std::span<const std::uint16_t>(),
        declared.trader_age_days,
        declared.trader,
        rule_score};
    const kernels::FeatureTables tables{tariff_rate_, trader_risk_, trader_bonus_, chapter_rate_, origin_rate_};
    const kernels::FeatureMatrix matrix{features_.data(), size, stride};
    kernels::BuildFeatureMatrixParallel(feature_inputs, tables, matrix, kScoreChunk);
    if (model_trained_ && combination_ == ScoreCombination::kLogistic) {
      kernels::LogisticScoreParallel(matrix.view(), model_, risk_score, kScoreChunk);
      return;
    }
    if (model_trained_) {  // gbdt
      gbdt_.ScoreMargin({features_.data(), size, kernels::kNumFeatures, 1, stride}, risk_score);
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, kScoreChunk),
                        [&](const tbb::blocked_range<std::size_t>& range) {
                          for (std::size_t i = range.begin(); i != range.end(); ++i) {
                            risk_score[i] = 1.0f / (1.0f + std::exp(-risk_score[i]));
                          }
                        });
      return;
    }
  }

  // Their combination, elementwise.
  const bool use_max = combination_ == ScoreCombination::kMax;
  const auto declarant_weight = static_cast<float>(risk_.declarant_history_weight);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, kScoreChunk), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i) {
      const float low_price = std::isnan(z[i]) ? 0.0f : std::max(0.0f, -z[i]);
      if (use_max) {
        risk_score[i] = std::max({rule_weight * rule_score[i], unit_value_weight * low_price,
                                  trader_weight * trader_risk_[declared.trader[i]]});
      } else {
        risk_score[i] = rule_weight * rule_score[i] + unit_value_weight * low_price +
                        trader_weight * trader_risk_[declared.trader[i]];
      }
    }
  });
  // The declarant's posterior hit rate (risk.declarant_history_weight; skipped at 0, so scores
  // without it are exactly those of before the declarant existed).
  if (declarant_weight > 0.0f) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, size, kScoreChunk), [&](const tbb::blocked_range<std::size_t>& range) {
      for (std::size_t i = range.begin(); i != range.end(); ++i) {
        const float declarant = declarant_weight * declarant_risk_[declared.declarant[i]];
        risk_score[i] = use_max ? std::max(risk_score[i], declarant) : risk_score[i] + declarant;
      }
    });
  }
}

void RiskEngine::Learn(const data::DeclaredView& declared, const InspectionOutcomes& outcomes) {
  for (std::size_t row = 0; row < declared.size(); ++row) {
    price_reference_.Add(outcomes.revealed_hs6[row], declared.origin[row], RevealedLogUnitValue(declared, outcomes, row));
    if (outcomes.inspected[row]) {
      const std::uint32_t trader = declared.trader[row];
      const std::uint32_t declarant = declared.declarant[row];
      ++trader_inspections_[trader];
      ++declarant_inspections_[declarant];
      ++total_inspections_;
      if (outcomes.detected[row]) {
        ++trader_hits_[trader];
        ++declarant_hits_[declarant];
        ++total_hits_;
      }
    }
  }
  price_reference_.CloseDay();
  const double overall_hit_rate =
      total_inspections_ == 0 ? 0.0 : static_cast<double>(total_hits_) / static_cast<double>(total_inspections_);
  // The posterior mean is the historical (hits + s m) / (inspections + s), bit for bit.
  kernels::UpdateBetaBinomialPosterior(trader_inspections_, trader_hits_, {overall_hit_rate, risk_.trader_prior_strength},
                                       risk_.trader_ucb_multiplier, trader_risk_, trader_bonus_);
  if (risk_.declarant_history_weight > 0) {
    kernels::UpdateBetaBinomialPosterior(declarant_inspections_, declarant_hits_,
                                         {overall_hit_rate, risk_.trader_prior_strength}, 0.0, declarant_risk_,
                                         declarant_bonus_);
  }
  if (learns_model()) LearnModel(declared, outcomes, overall_hit_rate);
}

void RiskEngine::LearnEntityOutcomes(std::span<const PendingControl> controls, std::span<const std::uint8_t> detected) {
  for (std::size_t i = 0; i < controls.size(); ++i) {
    ++trader_inspections_[controls[i].trader];
    ++declarant_inspections_[controls[i].declarant];
    ++total_inspections_;
    if (detected[i]) {
      ++trader_hits_[controls[i].trader];
      ++declarant_hits_[controls[i].declarant];
      ++total_hits_;
    }
  }
}

void RiskEngine::LearnFromControls(std::span<const PendingControl> controls, std::span<const std::uint8_t> detected) {
  LearnEntityOutcomes(controls, detected);
  if (!learns_model()) return;
  for (std::size_t i = 0; i < controls.size(); ++i) {
    const std::uint64_t id = (static_cast<std::uint64_t>(controls[i].day) << 32) | controls[i].row;
    completed_today_.emplace_back(id, detected[i] != 0 ? 1 : 0);
  }
}

void RiskEngine::LearnModel(const data::DeclaredView& declared, const InspectionOutcomes& outcomes,
                             double overall_hit_rate) {
  if (feature_rows_ != declared.size()) {
    std::fprintf(stderr, "%s:%d: RiskEngine::Learn: call Score for the same day first\n", __FILE__, __LINE__);
    std::abort();
  }
  for (std::size_t row = 0; row < declared.size(); ++row) {
    if (!outcomes.inspected[row]) {
      // Routed to a control that completes later (a queue, or an audit): keep what its training
      // row needs. Callers that know no channels leave channel at 0.
      if (outcomes.channel[row] == 0) continue;
      AwaitedControl& awaited = awaited_controls_[declared.declaration_id[row]];
      awaited.chapter = declared.hs_chapter[row];
      awaited.origin = declared.origin[row];
      for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) awaited.features[f] = features_[f * feature_stride_ + row];
      continue;
    }
    AddInspectedRow(declared.hs_chapter[row], declared.origin[row], features_.data() + row, feature_stride_,
                    outcomes.detected[row] != 0);
  }
  // Controls completed today (LearnFromControls), in the order they completed: a same-day audit
  // was kept just above.
  for (const auto& [id, hit] : completed_today_) {
    const auto it = awaited_controls_.find(id);
    if (it == awaited_controls_.end()) {
      std::fprintf(stderr, "%s:%d: a completed control this engine never routed\n", __FILE__, __LINE__);
      std::abort();
    }
    AddInspectedRow(it->second.chapter, it->second.origin, it->second.features.data(), 1, hit != 0);
    awaited_controls_.erase(it);
  }
  completed_today_.clear();
  const kernels::BetaBinomialPrior prior{overall_hit_rate, risk_.trader_prior_strength};
  kernels::UpdateBetaBinomialPosterior(chapter_inspections_, chapter_hits_, prior, 0.0, chapter_rate_, chapter_bonus_);
  kernels::UpdateBetaBinomialPosterior(origin_inspections_, origin_hits_, prior, 0.0, origin_rate_, origin_bonus_);

  ++days_learned_;
  if (days_learned_ % retrain_every_days_ == 0 && training_labels_.size() >= min_training_rows_) TrainModel();
}

void RiskEngine::AddInspectedRow(std::uint8_t chapter, std::uint16_t origin, const float* features, std::size_t stride,
                                 bool hit) {
  ++chapter_inspections_[chapter];
  chapter_hits_[chapter] += hit ? 1 : 0;
  if (origin < origin_inspections_.size()) {
    ++origin_inspections_[origin];
    origin_hits_[origin] += hit ? 1 : 0;
  }
  // Selective labels: the label is what the inspection found, not the truth.
  const std::size_t capacity = max_training_rows_;
  if (training_labels_.size() < capacity) {
    for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) training_features_[f].push_back(features[f * stride]);
    training_labels_.push_back(hit ? 1 : 0);
  } else {
    for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) training_features_[f][training_next_] = features[f * stride];
    training_labels_[training_next_] = hit ? 1 : 0;
    training_next_ = (training_next_ + 1) % capacity;
  }
}

void ProfileEvidence::Clear() {
  price_hs6.clear();
  price_origin.clear();
  price_log_unit_value.clear();
  inspected_chapter.clear();
  inspected_origin.clear();
  inspected_hit.clear();
  inspected_features.clear();
}

void RiskEngine::ExportProfileEvidence(const data::DeclaredView& declared, const InspectionOutcomes& outcomes,
                                       ProfileEvidence& evidence) const {
  evidence.Clear();
  for (std::size_t row = 0; row < declared.size(); ++row) {
    evidence.price_hs6.push_back(outcomes.revealed_hs6[row]);
    evidence.price_origin.push_back(declared.origin[row]);
    evidence.price_log_unit_value.push_back(RevealedLogUnitValue(declared, outcomes, row));
    if (!outcomes.inspected[row]) continue;
    evidence.inspected_chapter.push_back(declared.hs_chapter[row]);
    evidence.inspected_origin.push_back(declared.origin[row]);
    evidence.inspected_hit.push_back(outcomes.detected[row] != 0 ? 1 : 0);
    if (learns_model()) {
      for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) {
        evidence.inspected_features.push_back(features_[f * feature_stride_ + row]);
      }
    }
  }
}

void RiskEngine::LearnSharedProfiles(const ProfileEvidence& evidence) {
  if (learns_model() && evidence.inspected_features.size() != evidence.inspected_hit.size() * kernels::kNumFeatures) {
    std::fprintf(stderr, "%s:%d: shared profile evidence without features for a model engine\n", __FILE__, __LINE__);
    std::abort();
  }
  for (std::size_t i = 0; i < evidence.price_hs6.size(); ++i) {
    price_reference_.Add(evidence.price_hs6[i], evidence.price_origin[i], evidence.price_log_unit_value[i]);
  }
  for (std::size_t i = 0; i < evidence.inspected_hit.size(); ++i) {
    const bool hit = evidence.inspected_hit[i] != 0;
    ++total_inspections_;
    total_hits_ += hit ? 1 : 0;
    if (!learns_model()) continue;
    // The engines of one strategy instance share its combination, so a model engine's evidence
    // always carries the features.
    AddInspectedRow(evidence.inspected_chapter[i], evidence.inspected_origin[i],
                    evidence.inspected_features.data() + i * kernels::kNumFeatures, 1, hit);
  }
}

void RiskEngine::TrainModel() {
  const auto start = std::chrono::steady_clock::now();
  // The kept rows as one column-major matrix (feature f of row i at f * rows + i), read in place by
  // both trainers.
  const std::size_t rows = training_labels_.size();
  std::vector<float> matrix(kernels::kNumFeatures * rows);
  for (std::size_t f = 0; f < kernels::kNumFeatures; ++f) {
    std::copy(training_features_[f].begin(), training_features_[f].end(), matrix.begin() + static_cast<std::ptrdiff_t>(f * rows));
  }
  if (combination_ == ScoreCombination::kGbdt) {
    const std::vector<float> labels(training_labels_.begin(), training_labels_.end());
    // XGBoost's seed: 31 bits of the training's own random block, so that retraining on the same
    // rows still draws new subsamples, and replications differ.
    const RandomBlock words = training_random_.Block(Stream::kModelTraining, static_cast<std::uint32_t>(trainings_), 0, 0);
    gbdt_.Train(risk_.gbdt, words[0] & 0x7fffffffu, {matrix.data(), rows, kernels::kNumFeatures, 1, rows}, labels);
  } else {
    kernels::LogisticTrainingOptions options;
    options.l2 = risk_.logistic.l2;
    model_ = kernels::TrainLogisticModel({matrix.data(), rows, rows}, training_labels_, options).model;
  }
  model_trained_ = true;
  ++trainings_;
  last_training_rows_ = rows;
  training_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace crsim::sim
