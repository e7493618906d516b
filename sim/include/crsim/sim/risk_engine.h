// RiskEngine: scores every declaration from its declared columns, and learns from inspections.
//
// The score combines three components, as risk.combination says:
//   rule      = rule_weight           x rule score (kernels/risk_rules.h)
//   low price = unit_value_weight     x max(0, -z), z = robust unit-value z-score (kernels/unit_value.h);
//                                      a missing reference (NaN z) gives 0
//   trader    = trader_history_weight x the trader's posterior hit rate
//                                      (hits + s m) / (inspections + s), with m the hit rate of all
//                                      inspections so far and s = trader_prior_strength
//                                      (kernels/entity_posterior.h, Beta-Binomial posterior mean)
//   declarant = declarant_history_weight x the declarant's (customs broker's) posterior hit rate,
//                                      the same Beta-Binomial posterior over the declarant's
//                                      inspections (prior strength trader_prior_strength); skipped
//                                      when the weight is 0 (the default): a network-aware component
//                                      that finds new importers through the broker they share
//   "weighted_sum" (default): rule + low price + trader + declarant
//   "max":                    max(rule, low price, trader, declarant)
//   "logistic":               the probability of a hit from the logistic model
//                             (kernels/logistic.h) over the feature matrix (kernels/feature_matrix.h:
//                             low-price z, tariff, log trader age, trader posterior mean and
//                             uncertainty bonus c x sd with c = trader_ucb_multiplier, rule score,
//                             route mismatch, HS-chapter and origin target encodings); weighted_sum
//                             until the model is first trained.
//   "gbdt":                   the probability of a hit from gradient-boosted trees (crsim/sim/gbdt_model.h,
//                             trained with XGBoost, [risk.gbdt]) over the same feature matrix:
//                             1 / (1 + exp(-margin)); weighted_sum until the model is first trained.
//
// What it learns (Learn, once per day, from InspectionOutcomes only, never from the truth):
//   - price references (crsim/sim/price_reference.h): histograms of log unit values of past
//     declarations per HS6 code, or per HS6 x origin with fallback to the code
//     (risk.price_reference), over the last risk.price_window_days days (0 = all history), using
//     the value and code revealed by inspection where a fraud was found and the declared ones
//     elsewhere (the declared origin: inspections do not reveal origins to the engine); median and
//     MAD come from the histogram (bins of 0.02 in log price, linear interpolation inside a bin; the
//     MAD is floored at half a bin). A group is scored only once it has min_reference_count
//     declarations in the window.
//   - per-trader and per-declarant inspection histories (inspections, hits), also from controls
//     completed after their lodgement day (LearnFromControls).
//   - with "logistic" or "gbdt": per-HS-chapter and per-origin histories (their posterior hit rates
//     are the target encodings), the features and label (detected) of every inspected declaration
//     (a control completed on a later day, LearnFromControls, with its lodgement day's features),
//     kept up to max_training_rows most recent ones, and the model, retrained on them every
//     retrain_every_days days once min_training_rows are there (the keys of [risk.logistic] or
//     [risk.gbdt]). Selective labels: only inspected declarations are training rows, and a fraud the
//     inspection missed is a 0. The GBDT's k-th training (k from 0) uses the XGBoost seed drawn from
//     the kModelTraining stream at (k, 0, 0), keyed by (run.seed, replication): the same scenario
//     gives the same models whatever the thread count.
// Shared risk profiles (exchange "shared_profiles", crsim/sim/exchange.h): ExportProfileEvidence
// copies what the day's inspections taught about risk areas (price observations, chapter and origin
// outcomes, labelled training rows) and nothing about traders or declarants; another
// administration's engine takes it with LearnSharedProfiles.
// Each strategy owns its own engine, so what one strategy learns does not leak into another; each
// strategy instance may use its own combination ([strategy.<name>] combination), and with several
// administrations one engine per administration (crsim/sim/exchange.h, [strategy.<name>] exchange).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crsim/data/aligned_column.h"
#include "crsim/data/declaration_batch.h"
#include "crsim/kernels/entity_posterior.h"
#include "crsim/kernels/feature_matrix.h"
#include "crsim/kernels/logistic.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/kernels/unit_value.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/gbdt_model.h"
#include "crsim/sim/price_reference.h"
#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

enum class ScoreCombination { kWeightedSum, kMax, kLogistic, kGbdt };

// The risk-profile knowledge of one administration's day of inspections (never entity histories):
// what "shared_profiles" distributes to the other administrations.
struct ProfileEvidence {
  // Price observations: every declaration of the day (revealed code and value where a fraud was
  // found, declared ones elsewhere; the declared origin).
  std::vector<std::uint32_t> price_hs6;
  std::vector<std::uint16_t> price_origin;
  std::vector<float> price_log_unit_value;
  // Inspected declarations: declared chapter and origin, and whether the control found a fraud.
  std::vector<std::uint8_t> inspected_chapter;
  std::vector<std::uint16_t> inspected_origin;
  std::vector<std::uint8_t> inspected_hit;
  // Combinations "logistic" and "gbdt": the inspected rows' features (kNumFeatures per row, row-major),
  // as the source administration's engine computed them; empty otherwise.
  std::vector<float> inspected_features;

  void Clear();
};

// The combination named in risk.combination (one of RegisteredCombinations()).
ScoreCombination ParseScoreCombination(const std::string& name);

class RiskEngine {
 public:
  // The engine of risk.combination, for replication 0.
  RiskEngine(const World& world, const ScenarioSpec& spec);
  // The engine of `combination` (a strategy instance's) for `replication` (seeds its model trainings).
  RiskEngine(const World& world, const ScenarioSpec& spec, ScoreCombination combination, std::uint32_t replication);

  // Fills risk_score (size declared.size()) for the declarations of day `day` of the run (the day
  // decides which time-limited rules apply), in parallel; deterministic for any thread count.
  void Score(const data::DeclaredView& declared, std::int64_t day, std::span<float> risk_score);

  // Feedback from one day's inspections. Call after Score for the same day.
  void Learn(const data::DeclaredView& declared, const InspectionOutcomes& outcomes);

  // Feedback from controls completed today on declarations of earlier days, or of today's
  // (backlogged controls, post-clearance audits: crsim/sim/channels.h), lodged where this engine
  // scored them: trader and declarant histories and the overall hit count at once; with "logistic"
  // or "gbdt", also the chapter and origin histories and a training row with the features of the
  // lodgement day (kept by Learn for every declaration routed to a control it did not complete that
  // day), added by the day's Learn. The price references keep the declared value they took on the
  // lodgement day (a histogram cannot take a value back): the one model input a later control does
  // not correct. Call before the day's Learn, whose updates then include them.
  void LearnFromControls(std::span<const PendingControl> controls, std::span<const std::uint8_t> detected);
  // Outcomes of controls made by another administration (exchange "shared_outcomes"): trader and
  // declarant histories and the overall hit count only. Call before the day's Learn.
  void LearnEntityOutcomes(std::span<const PendingControl> controls, std::span<const std::uint8_t> detected);

  // The day's risk-profile evidence (after Score and with the same day's outcomes): see ProfileEvidence.
  void ExportProfileEvidence(const data::DeclaredView& declared, const InspectionOutcomes& outcomes,
                             ProfileEvidence& evidence) const;

  // Risk-profile evidence from another administration: price observations join today's window,
  // inspected rows join the overall, chapter and origin hit counts and (model combinations) the
  // training rows. Trader and declarant histories are untouched. Call before the day's Learn, whose
  // updates then include it.
  void LearnSharedProfiles(const ProfileEvidence& evidence);

  const kernels::RuleTable& rule_table() const { return rule_table_; }
  const PriceReference& price_reference() const { return price_reference_; }
  std::uint64_t inspections_so_far() const { return total_inspections_; }
  std::uint64_t hits_so_far() const { return total_hits_; }
  std::span<const float> trader_risk() const { return trader_risk_; }
  std::span<const float> trader_bonus() const { return trader_bonus_; }
  ScoreCombination combination() const { return combination_; }
  std::span<const std::uint32_t> trader_inspections() const { return trader_inspections_; }
  std::span<const float> declarant_risk() const { return declarant_risk_; }
  std::span<const std::uint32_t> declarant_inspections() const { return declarant_inspections_; }
  // The trained model (combination "logistic" or "gbdt"): trained yet, its training rows kept now.
  bool model_trained() const { return model_trained_; }
  std::size_t training_rows() const { return training_labels_.size(); }
  // The logistic model's coefficients (combination "logistic").
  const kernels::LogisticModel& model() const { return model_; }
  // The gradient-boosted trees (combination "gbdt"; untrained otherwise).
  const GbdtModel& gbdt() const { return gbdt_; }
  // The last scored day's feature matrix (combinations "logistic" and "gbdt"), column-major:
  // feature f of row i at day_features()[f * feature_stride() + i], feature_rows() rows.
  std::span<const float> day_features() const { return features_.span(); }
  std::size_t feature_rows() const { return feature_rows_; }
  std::size_t feature_stride() const { return feature_stride_; }
  // Trainings so far, rows of the last one, and wall-clock seconds spent in them (not deterministic).
  std::int64_t trainings() const { return trainings_; }
  std::size_t last_training_rows() const { return last_training_rows_; }
  double training_seconds() const { return training_seconds_; }

 private:
  bool learns_model() const { return combination_ == ScoreCombination::kLogistic || combination_ == ScoreCombination::kGbdt; }
  void LearnModel(const data::DeclaredView& declared, const InspectionOutcomes& outcomes, double overall_hit_rate);
  // One inspected row's chapter and origin outcome and training row (features[f * stride]).
  void AddInspectedRow(std::uint8_t chapter, std::uint16_t origin, const float* features, std::size_t stride, bool hit);
  void TrainModel();

  RiskSpec risk_;
  ScoreCombination combination_;
  // The training schedule of the combination's model ([risk.logistic] or [risk.gbdt]).
  std::int64_t retrain_every_days_ = 0;
  std::size_t min_training_rows_ = 0;
  std::size_t max_training_rows_ = 0;
  CounterRandom training_random_;
  kernels::RuleTable rule_table_;
  PriceReference price_reference_;
  std::vector<std::uint32_t> trader_inspections_;
  std::vector<std::uint32_t> trader_hits_;
  std::vector<float> trader_risk_;   // posterior hit rate, refreshed by Learn
  std::vector<float> trader_bonus_;  // trader_ucb_multiplier x posterior sd, refreshed by Learn
  std::vector<std::uint32_t> declarant_inspections_;
  std::vector<std::uint32_t> declarant_hits_;
  std::vector<float> declarant_risk_;   // posterior hit rate, refreshed by Learn (declarant_history_weight > 0)
  std::vector<float> declarant_bonus_;  // unused (no bonus on declarants)
  // Logistic and GBDT combinations only (left empty otherwise).
  std::vector<float> tariff_rate_;   // per HS6 (the catalogue's ad valorem rate)
  std::vector<std::uint32_t> chapter_inspections_, chapter_hits_, origin_inspections_, origin_hits_;
  std::vector<float> chapter_rate_, chapter_bonus_, origin_rate_, origin_bonus_;
  data::AlignedColumn<float> features_;  // the day's feature matrix, column-major
  std::size_t feature_rows_ = 0;
  std::size_t feature_stride_ = 0;       // kernels::FeatureMatrixStride(feature_rows_)
  std::vector<std::vector<float>> training_features_;  // [feature][row], ring of max_training_rows
  std::vector<std::uint8_t> training_labels_;
  std::size_t training_next_ = 0;                      // ring position once full
  // Declarations routed to a control whose result comes later, by declaration_id: their chapter,
  // origin and lodgement-day features, until the control completes (model combinations only).
  struct AwaitedControl {
    std::uint8_t chapter = 0;
    std::uint16_t origin = 0;
    std::array<float, kernels::kNumFeatures> features{};
  };
  std::unordered_map<std::uint64_t, AwaitedControl> awaited_controls_;
  std::vector<std::pair<std::uint64_t, std::uint8_t>> completed_today_;  // (declaration_id, detected)
  std::int64_t days_learned_ = 0;
  bool model_trained_ = false;
  kernels::LogisticModel model_;
  GbdtModel gbdt_;
  std::int64_t trainings_ = 0;
  std::size_t last_training_rows_ = 0;
  double training_seconds_ = 0.0;
  std::uint64_t total_inspections_ = 0;
  std::uint64_t total_hits_ = 0;
  data::AlignedColumn<float> rule_score_;
  data::AlignedColumn<std::uint64_t> rule_hits_;
  data::AlignedColumn<float> unit_value_z_;
};

// Compiles the scenario's rules against the world's countries and offices.
kernels::RuleTable CompileScenarioRules(const World& world, const RiskSpec& risk);

}  // namespace crsim::sim
