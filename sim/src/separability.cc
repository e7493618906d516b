#include "crsim/sim/separability.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

namespace {

// The sample: declared features as doubles (numeric) or category codes, and the truth mask.
struct Sample {
  std::vector<std::uint8_t> fraud_type;
  std::vector<double> duty_evaded;
  std::vector<std::vector<double>> numeric;          // [feature][row]
  std::vector<std::vector<std::uint64_t>> category;  // [feature][row]
};

// Label of a row for typology bit t: 1 positive, 0 negative (compliant), -1 left out.
int Label(std::uint8_t fraud_type, unsigned bit) {
  if (fraud_type == 0) return 0;
  return (fraud_type & bit) ? 1 : -1;
}

// max(AUC, 1 - AUC) of score over the rows of `rows` (labels from fraud_type), ties counted one half.
double SymmetricAuc(const std::vector<double>& score, const std::vector<std::uint8_t>& fraud_type, unsigned bit,
                    std::vector<std::size_t> rows) {
  std::sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double positives = 0, negatives = 0, pairs_won = 0;
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t end = begin;
    double group_positives = 0, group_negatives = 0;
    while (end < rows.size() && score[rows[end]] == score[rows[begin]]) {
      const int label = Label(fraud_type[rows[end]], bit);
      group_positives += label == 1 ? 1 : 0;
      group_negatives += label == 0 ? 1 : 0;
      ++end;
    }
    // Each positive of the group beats every negative seen so far and ties the group's negatives.
    pairs_won += group_positives * (negatives + 0.5 * group_negatives);
    positives += group_positives;
    negatives += group_negatives;
    begin = end;
  }
  if (positives == 0 || negatives == 0) return 0.5;
  const double auc = pairs_won / (positives * negatives);
  return std::max(auc, 1.0 - auc);
}

}  // namespace

SeparabilityReport InspectData(const ScenarioSpec& spec, std::int64_t max_rows) {
  const World world = BuildWorld(spec);
  Generator generator(world, spec);
  data::DeclarationBatch batch;
  const std::vector<std::string> numeric_names = {"declared_value", "declared_quantity", "unit_value",
                                                  "trader_age_days", "trader", "declaration_id", "declarant"};
  const std::vector<std::string> category_names = {"office", "hs6", "hs_chapter", "origin", "departure", "trader",
                                                   "declarant"};
  Sample sample;
  sample.numeric.resize(numeric_names.size());
  sample.category.resize(category_names.size());
  SeparabilityReport report;
  for (std::int64_t day = 0; day < spec.run.days && report.declarations < max_rows; ++day) {
    generator.GenerateDay(day, batch, static_cast<std::size_t>(spec.run.chunk_size));
    const data::DeclaredView d = batch.declared();
    const data::TruthView t = batch.truth();
    for (std::size_t row = 0; row < d.size(); ++row) {
      sample.fraud_type.push_back(t.fraud_type[row]);
      sample.duty_evaded.push_back(t.duty_evaded[row]);
      sample.numeric[0].push_back(d.declared_value[row]);
      sample.numeric[1].push_back(d.declared_quantity[row]);
      sample.numeric[2].push_back(d.unit_value[row]);
      sample.numeric[3].push_back(d.trader_age_days[row]);
      sample.numeric[4].push_back(d.trader[row]);
      sample.numeric[5].push_back(static_cast<double>(d.declaration_id[row]));
      sample.numeric[6].push_back(d.declarant[row]);
      sample.category[0].push_back(d.office[row]);
      sample.category[1].push_back(d.hs6[row]);
      sample.category[2].push_back(d.hs_chapter[row]);
      sample.category[3].push_back(d.origin[row]);
      sample.category[4].push_back(d.departure[row]);
      sample.category[5].push_back(d.trader[row]);
      sample.category[6].push_back(d.declarant[row]);
    }
    report.declarations += static_cast<std::int64_t>(d.size());
    report.days = day + 1;
  }
  const std::size_t rows = sample.fraud_type.size();
  std::vector<std::size_t> all(rows), first_half, second_half;
  std::iota(all.begin(), all.end(), std::size_t{0});
  for (std::size_t row = 0; row < rows; ++row) (row % 2 == 0 ? first_half : second_half).push_back(row);

  for (int bit_index = 0; bit_index < data::kNumFraudTypes; ++bit_index) {
    const unsigned bit = 1u << bit_index;
    TypologySeparability typology;
    typology.typology = data::kFraudTypeNames[bit_index];
    for (std::size_t row = 0; row < rows; ++row) {
      if (sample.fraud_type[row] & bit) {
        typology.frauds += 1;
        typology.duty_evaded_eur += sample.duty_evaded[row];
      }
    }
    if (typology.frauds == 0) continue;
    typology.prevalence = static_cast<double>(typology.frauds) / static_cast<double>(rows);
    for (std::size_t f = 0; f < numeric_names.size(); ++f) {
      const bool identifier =
          numeric_names[f] == "trader" || numeric_names[f] == "declaration_id" || numeric_names[f] == "declarant";
      typology.features.push_back({numeric_names[f] + (identifier ? " (number)" : ""), identifier,
                                   SymmetricAuc(sample.numeric[f], sample.fraud_type, bit, all)});
    }
    std::vector<double> score(rows, 0.0);
    for (std::size_t f = 0; f < category_names.size(); ++f) {
      const std::vector<std::uint64_t>& category = sample.category[f];
      const std::uint64_t categories = *std::max_element(category.begin(), category.end()) + 1;
      std::vector<double> positives(categories, 0.0), labelled(categories, 0.0);
      double all_positives = 0, all_labelled = 0;
      for (const std::size_t row : first_half) {
        const int label = Label(sample.fraud_type[row], bit);
        if (label < 0) continue;
        positives[category[row]] += label;
        labelled[category[row]] += 1;
        all_positives += label;
        all_labelled += 1;
      }
      const double overall = all_labelled == 0 ? 0.0 : all_positives / all_labelled;
      for (const std::size_t row : second_half) {
        const std::uint64_t c = category[row];
        score[row] = labelled[c] > 0 ? positives[c] / labelled[c] : overall;
      }
      const bool identifier = category_names[f] == "trader" || category_names[f] == "declarant";
      typology.features.push_back({category_names[f] + (identifier ? " (category)" : ""), identifier,
                                   SymmetricAuc(score, sample.fraud_type, bit, second_half)});
    }
    report.typologies.push_back(std::move(typology));
  }
  return report;
}

std::string FormatSeparabilityReport(const SeparabilityReport& report) {
  std::string text = fmt::format("{} declarations over {} day(s), without inspection feedback\n\n",
                                 report.declarations, report.days);
  if (report.typologies.empty()) return text + "no fraud occurred\n";
  text += fmt::format("{:<26}", "typology");
  for (const TypologySeparability& typology : report.typologies) text += fmt::format("{:>24}", typology.typology);
  text += fmt::format("\n{}\n", std::string(26 + 24 * report.typologies.size(), '-'));
  text += fmt::format("{:<26}", "frauds");
  for (const TypologySeparability& typology : report.typologies) text += fmt::format("{:>24}", typology.frauds);
  text += fmt::format("\n{:<26}", "prevalence");
  for (const TypologySeparability& typology : report.typologies) {
    text += fmt::format("{:>23.3f}%", 100.0 * typology.prevalence);
  }
  text += fmt::format("\n{:<26}", "duty evaded (EUR)");
  for (const TypologySeparability& typology : report.typologies) {
    text += fmt::format("{:>24.0f}", typology.duty_evaded_eur);
  }
  text += "\nunivariate ROC AUC, max(AUC, 1 - AUC) (typology vs compliant; * above 0.95)\n";
  for (std::size_t f = 0; f < report.typologies.front().features.size(); ++f) {
    text += fmt::format("  {:<24}", report.typologies.front().features[f].feature);
    for (const TypologySeparability& typology : report.typologies) {
      const double auc = typology.features[f].auc;
      text += fmt::format("{:>23.3f}{}", auc, auc > 0.95 ? "*" : " ");
    }
    text += "\n";
  }
  return text;
}

}  // namespace crsim::sim
