// The GBDT risk model: XGBoost training through GbdtModel, the risk engine's "gbdt" combination in
// the loop (schedule, selective labels, fallback), per-strategy combinations, and that a GBDT
// selection beats random selection.
#include "crsim/sim/gbdt_model.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "crsim/kernels/feature_matrix.h"
#include "crsim/sim/experiment.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/risk_engine.h"
#include "small_scenario.h"

namespace crsim::sim {
namespace {

// A tiny deterministic data set, column-major: label = 1 when x0 + 0.5 x1 > 0.8; x2 is noise and
// missing (NaN) on every seventh row. Values on a grid, so no random generator is involved.
struct TinyData {
  std::size_t rows = 0;
  std::vector<float> columns;  // feature f of row i at f * rows + i
  std::vector<float> labels;
  GbdtInput view() const { return {columns.data(), rows, 3, 1, rows}; }
};

TinyData MakeTinyData(std::size_t rows) {
  TinyData data;
  data.rows = rows;
  data.columns.resize(3 * rows);
  data.labels.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const float x0 = static_cast<float>((i * 37) % 101) / 100.0f;
    const float x1 = static_cast<float>((i * 53) % 97) / 96.0f;
    const float x2 = i % 7 == 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>((i * 11) % 13) / 12.0f;
    data.columns[i] = x0;
    data.columns[rows + i] = x1;
    data.columns[2 * rows + i] = x2;
    data.labels[i] = x0 + 0.5f * x1 > 0.8f ? 1.0f : 0.0f;
  }
  return data;
}

GbdtSpec SmallGbdt() {
  GbdtSpec params;
  params.trees = 30;
  params.max_depth = 3;
  params.learning_rate = 0.3;
  params.subsample = 0.8;
  return params;
}

TEST(GbdtModel, TrainedModelSeparatesTheClassesOfATinyDataSet) {
  const TinyData data = MakeTinyData(600);
  GbdtModel model;
  EXPECT_FALSE(model.trained());
  EXPECT_EQ(model.trees(), 0);
  model.Train(SmallGbdt(), 12345, data.view(), data.labels);
  ASSERT_TRUE(model.trained());
  EXPECT_EQ(model.trees(), 30);
  EXPECT_EQ(model.features(), 3u);
  std::vector<float> margin(data.rows);
  model.ScoreMargin(data.view(), margin);
  // Every row on the right side of 0 (probability 0.5) except near the boundary.
  std::size_t right = 0, far = 0, far_right = 0;
  for (std::size_t i = 0; i < data.rows; ++i) {
    const bool positive = data.labels[i] == 1.0f;
    right += (margin[i] > 0.0f) == positive;
    const float distance = std::fabs(data.columns[i] + 0.5f * data.columns[data.rows + i] - 0.8f);
    if (distance > 0.05f) {
      ++far;
      far_right += (margin[i] > 0.0f) == positive;
    }
  }
  EXPECT_GE(static_cast<double>(right) / static_cast<double>(data.rows), 0.97) << right << " of " << data.rows;
  EXPECT_EQ(far_right, far) << "every row more than 0.05 from the boundary is classified right";
}

TEST(GbdtModel, SameSeedSameModelAndAnotherSeedAnotherSubsample) {
  const TinyData data = MakeTinyData(500);
  GbdtModel a, b, c;
  a.Train(SmallGbdt(), 7, data.view(), data.labels);
  b.Train(SmallGbdt(), 7, data.view(), data.labels);
  c.Train(SmallGbdt(), 8, data.view(), data.labels);
  EXPECT_EQ(a.SaveJson(), b.SaveJson());
  EXPECT_NE(a.SaveJson(), c.SaveJson()) << "subsample 0.8 draws other rows with another seed";
  const std::string json = a.SaveJson();
  EXPECT_NE(json.find("\"binary:logistic\""), std::string::npos);
  EXPECT_NE(json.find("\"num_trees\":\"30\""), std::string::npos) << json.substr(0, 400);
}

TEST(GbdtModel, RowMajorAndColumnMajorInputsScoreAlike) {
  const TinyData data = MakeTinyData(300);
  GbdtModel model;
  model.Train(SmallGbdt(), 1, data.view(), data.labels);
  std::vector<float> row_major(3 * data.rows);
  for (std::size_t i = 0; i < data.rows; ++i) {
    for (std::size_t f = 0; f < 3; ++f) row_major[i * 3 + f] = data.columns[f * data.rows + i];
  }
  std::vector<float> by_column(data.rows), by_row(data.rows);
  model.ScoreMargin(data.view(), by_column);
  model.ScoreMargin({row_major.data(), data.rows, 3, 3, 1}, by_row);
  EXPECT_EQ(by_column, by_row);
  // The same model trained from the row-major copy: identical.
  GbdtModel from_rows;
  from_rows.Train(SmallGbdt(), 1, {row_major.data(), data.rows, 3, 3, 1}, data.labels);
  EXPECT_EQ(from_rows.SaveJson(), model.SaveJson());
}

TEST(GbdtModel, XgboostFailuresBecomeExceptionsNamingTheCall) {
  TinyData data = MakeTinyData(100);
  data.labels[5] = 2.0f;  // binary:logistic accepts labels in [0, 1] only
  GbdtModel model;
  try {
    model.Train(SmallGbdt(), 1, data.view(), data.labels);
    FAIL() << "expected XgboostError";
  } catch (const XgboostError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("XGBoost XGBoosterUpdateOneIter"), std::string::npos) << message;
    EXPECT_NE(message.find("label"), std::string::npos) << message;
  }
  EXPECT_FALSE(model.trained()) << "a failed training leaves no model";
}

// ---- In the loop.

// ROC AUC of `score` for the labels `positive` (Mann-Whitney U over ranks, ties counted half).
double RocAuc(const std::vector<float>& score, const std::vector<std::uint8_t>& positive) {
  std::vector<std::size_t> order(score.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double positive_rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    while (end < order.size() && score[order[end]] == score[order[begin]]) ++end;
    const double mid_rank = 0.5 * static_cast<double>(begin + end + 1);  // 1-based ranks begin+1 .. end
    for (std::size_t k = begin; k < end; ++k) {
      if (positive[order[k]]) {
        positive_rank_sum += mid_rank;
        ++positives;
      }
    }
    begin = end;
  }
  const double negatives = static_cast<double>(score.size() - positives);
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * negatives);
}

// The small scenario with a GBDT topk instance next to random, retrained every `retrain` days.
ScenarioSpec GbdtScenario(std::int64_t days, std::int64_t retrain, std::vector<std::string> extra = {}) {
  std::vector<std::string> overrides = {
      "run.days=" + std::to_string(days),
      "run.strategies=[\"random\", \"gbdt\"]",
      "strategy.gbdt.kind=\"topk\"",
      "strategy.gbdt.combination=\"gbdt\"",
      "risk.gbdt.trees=25",
      "risk.gbdt.max_depth=4",
      "risk.gbdt.retrain_every_days=" + std::to_string(retrain),
      "risk.gbdt.min_training_rows=200",
  };
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return testing::SmallScenario(overrides);
}

TEST(GbdtInTheLoop, RetrainsOnScheduleWithTheConfiguredTrees) {
  // The small scenario inspects 280 declarations a day (3 x 60 + 2 x 50): 200 rows are there after
  // day 0, so trainings follow days 2, 4, 6 and 8 of 9 (days learned 2, 4, 6, 8).
  const ExperimentResult result = RunExperiment(GbdtScenario(9, 2));
  ASSERT_EQ(result.strategies.size(), 2u);
  const StrategyResult& gbdt = result.strategies[1];
  EXPECT_EQ(gbdt.name, "gbdt");
  EXPECT_EQ(gbdt.model.combination, "gbdt");
  EXPECT_EQ(gbdt.model.trainings, 4);
  EXPECT_EQ(gbdt.model.trees, 25);
  std::int64_t inspected_before_last = 0;
  for (std::size_t day = 0; day < 8; ++day) inspected_before_last += gbdt.daily[day].inspections;
  EXPECT_EQ(gbdt.model.last_training_rows, inspected_before_last) << "every inspected row of days 0..7";
  EXPECT_GT(gbdt.seconds.train, 0.0);
  EXPECT_EQ(result.strategies[0].model.trainings, 0) << "random scores nothing, trains nothing";
  // min_training_rows not reached: never trained.
  const ExperimentResult starved = RunExperiment(GbdtScenario(4, 1, {"risk.gbdt.min_training_rows=100000"}));
  EXPECT_EQ(starved.strategies[1].model.trainings, 0);
  EXPECT_EQ(starved.strategies[1].model.trees, 0);
}

TEST(GbdtInTheLoop, FallsBackToTheWeightedSumUntilTrainedThenScoresProbabilities) {
  const ScenarioSpec spec = GbdtScenario(3, 1);
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  const Inspector inspector(spec);
  RiskEngine gbdt(world, spec, ScoreCombination::kGbdt, 0);
  RiskEngine sum(world, spec, ScoreCombination::kWeightedSum, 0);
  data::DeclarationBatch batch;
  generator.GenerateDay(0, batch, 4096);
  std::vector<float> gbdt_score(batch.size()), sum_score(batch.size());
  gbdt.Score(batch.declared(), 0, gbdt_score);
  sum.Score(batch.declared(), 0, sum_score);
  EXPECT_EQ(gbdt_score, sum_score) << "untrained: the weighted sum, bit for bit";
  // Inspect every fifth declaration (selective labels: what the inspection found).
  InspectionOutcomes outcomes;
  outcomes.Reset(batch.size());
  for (std::size_t i = 0; i < batch.size(); i += 5) outcomes.inspected[i] = 1;
  inspector.InspectAndMeasure(0, batch.declared(), batch.truth(), outcomes);
  gbdt.Learn(batch.declared(), outcomes);
  sum.Learn(batch.declared(), outcomes);
  ASSERT_TRUE(gbdt.model_trained());
  EXPECT_EQ(gbdt.trainings(), 1);
  EXPECT_EQ(gbdt.training_rows(), (batch.size() + 4) / 5);
  EXPECT_EQ(gbdt.gbdt().trees(), 25);

  generator.GenerateDay(1, batch, 4096);
  std::vector<float> score(batch.size());
  gbdt.Score(batch.declared(), 1, score);
  // Probabilities, ranking frauds above compliant declarations: the ROC AUC (the probability that
  // a random fraud scores above a random compliant declaration, ties half) is well above 0.5.
  std::vector<float> sum_day1(batch.size());
  sum.Score(batch.declared(), 1, sum_day1);
  std::vector<std::uint8_t> fraud(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    ASSERT_GT(score[i], 0.0f);
    ASSERT_LT(score[i], 1.0f);
    fraud[i] = batch.truth().fraud_type[i] != 0 ? 1 : 0;
  }
  const double auc = RocAuc(score, fraud);
  EXPECT_GT(auc, 0.7) << "weighted sum's AUC on the same day: " << RocAuc(sum_day1, fraud);
  // The model trained in the loop, scored by crsim's engine and by XGBoost's own predict on the
  // day's feature matrix: the same margins, bit for bit.
  const GbdtInput day{gbdt.day_features().data(), gbdt.feature_rows(), kernels::kNumFeatures, 1, gbdt.feature_stride()};
  std::vector<float> crsim_margin(day.rows), xgboost_margin(day.rows);
  gbdt.gbdt().ScoreMargin(day, crsim_margin);
  gbdt.gbdt().ScoreMarginWithXgboost(day, xgboost_margin);
  ASSERT_EQ(day.rows, batch.size());
  for (std::size_t i = 0; i < day.rows; ++i) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(crsim_margin[i]), std::bit_cast<std::uint32_t>(xgboost_margin[i]))
        << "row " << i << ": " << crsim_margin[i] << " vs XGBoost " << xgboost_margin[i];
  }
  std::printf("ROC AUC on day 1: gbdt %.4f, weighted sum %.4f\n", auc, RocAuc(sum_day1, fraud));
}

TEST(GbdtInTheLoop, GbdtSelectionBeatsRandomSelection) {
  // Same capacity, same arrivals: the GBDT topk finds several times the frauds random picks find.
  const ExperimentResult result = RunExperiment(GbdtScenario(8, 2));
  const DayMetrics& random = result.strategies[0].total;
  const DayMetrics& gbdt = result.strategies[1].total;
  EXPECT_EQ(random.inspections, gbdt.inspections);
  EXPECT_GT(gbdt.true_detection_rate(), 2.0 * random.true_detection_rate())
      << "gbdt " << gbdt.true_detection_rate() << ", random " << random.true_detection_rate();
  EXPECT_EQ(result.strategies[1].model.trees, 25);
}

TEST(GbdtInTheLoop, IdenticalForOneAndTwoThreads) {
  const ScenarioSpec spec = GbdtScenario(7, 2, {"run.strategies=[\"random\", \"gbdt\", \"hybrid\"]",
                                                "strategy.hybrid.combination=\"gbdt\""});
  ExperimentResult one, two;
  tbb::task_arena(1).execute([&] { one = RunExperiment(spec); });
  tbb::task_arena(2).execute([&] { two = RunExperiment(spec); });
  ASSERT_EQ(one.strategies.size(), 3u);
  for (std::size_t s = 0; s < one.strategies.size(); ++s) {
    EXPECT_EQ(one.strategies[s].daily, two.strategies[s].daily) << one.strategies[s].name;
    EXPECT_EQ(one.strategies[s].model.trainings, two.strategies[s].model.trainings);
  }
  EXPECT_EQ(one.strategies[1].model.trainings, 3);
}

TEST(GbdtInTheLoop, ReplicationsSeedTheirTrainingsApart) {
  const ScenarioSpec spec = GbdtScenario(5, 2);
  EXPECT_NE(RunExperiment(spec, 0).strategies[1].daily, RunExperiment(spec, 1).strategies[1].daily);
}

// ---- Strategy instances.

TEST(StrategyInstances, AnInstanceOfTopkWithTheDefaultCombinationIsTopk) {
  const ExperimentResult result = RunExperiment(testing::SmallScenario(
      {"run.strategies=[\"topk\", \"rules_only\"]", "strategy.rules_only.kind=\"topk\""}));
  ASSERT_EQ(result.strategies.size(), 2u);
  EXPECT_EQ(result.strategies[1].name, "rules_only");
  EXPECT_EQ(result.strategies[0].daily, result.strategies[1].daily);
}

TEST(StrategyInstances, EachInstanceHasItsOwnSettingsAndCombination) {
  // h30 = a hybrid with random_share 0.3 beside the default hybrid; equal to hybrid set to 0.3.
  const ExperimentResult both = RunExperiment(testing::SmallScenario(
      {"run.strategies=[\"hybrid\", \"h30\"]", "strategy.h30.kind=\"hybrid\"", "strategy.h30.random_share=0.3"}));
  const ExperimentResult alone =
      RunExperiment(testing::SmallScenario({"run.strategies=[\"hybrid\"]", "strategy.hybrid.random_share=0.3"}));
  EXPECT_NE(both.strategies[0].daily, both.strategies[1].daily);
  EXPECT_EQ(both.strategies[1].daily, alone.strategies[0].daily);
  // A logistic topk instance is the topk of a run whose risk.combination is logistic.
  const std::vector<std::string> logistic = {"risk.logistic.retrain_every_days=1", "risk.logistic.min_training_rows=50"};
  std::vector<std::string> instance = {"run.strategies=[\"topk\", \"ml\"]", "strategy.ml.kind=\"topk\"",
                                       "strategy.ml.combination=\"logistic\""};
  instance.insert(instance.end(), logistic.begin(), logistic.end());
  std::vector<std::string> global = {"run.strategies=[\"topk\"]", "risk.combination=\"logistic\""};
  global.insert(global.end(), logistic.begin(), logistic.end());
  const ExperimentResult mixed = RunExperiment(testing::SmallScenario(instance));
  const ExperimentResult everywhere = RunExperiment(testing::SmallScenario(global));
  EXPECT_EQ(mixed.strategies[1].daily, everywhere.strategies[0].daily);
  EXPECT_EQ(mixed.strategies[1].model.combination, "logistic");
  EXPECT_GT(mixed.strategies[1].model.trainings, 0);
  EXPECT_NE(mixed.strategies[0].daily, mixed.strategies[1].daily);
}

}  // namespace
}  // namespace crsim::sim
