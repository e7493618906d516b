// Separability of the generated fraud: how easily one declared feature, or an identifier, tells a
// typology's frauds from compliant declarations (the realism guard of `crsim inspect-data`).
//
// Published fraud simulators are criticised when fraud is trivially separable (an ID prefix, a
// constant amount). For each typology t, positives are the declarations carrying t and negatives
// the compliant ones (other typologies are left out); each feature's univariate ROC AUC is
// reported as max(AUC, 1 - AUC), so 0.5 = no signal and 1 = a perfect separator in either
// direction. Ties count one half (Mann-Whitney).
//   numeric features      (declared_value, declared_quantity, unit_value, trader_age_days, and the
//                         identifiers trader, declaration_id and declarant as numbers): the value itself;
//   categorical features  (office, hs6, hs_chapter, origin, departure, and trader and declarant as
//                         categories):
//                         the category's rate of t among positives and negatives, computed on one
//                         half of the rows (even row index) and evaluated on the other (odd); a
//                         category unseen in the first half scores the first half's overall rate.
// The sample is the scenario's first days without inspection feedback (adaptive fraudsters are left
// out: their choices depend on a strategy), up to max_rows declarations (whole days).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crsim/sim/scenario.h"

namespace crsim::sim {

struct FeatureSeparability {
  std::string feature;
  bool identifier = false;  // trader, declaration or declarant id
  double auc = 0.5;         // max(AUC, 1 - AUC)
};

struct TypologySeparability {
  std::string typology;
  std::int64_t frauds = 0;
  double prevalence = 0.0;        // frauds / declarations
  double duty_evaded_eur = 0.0;
  std::vector<FeatureSeparability> features;  // the same order for every typology
};

struct SeparabilityReport {
  std::int64_t declarations = 0;
  std::int64_t days = 0;
  std::vector<TypologySeparability> typologies;  // the typologies that occurred
};

// Generates the scenario's first days (whole days, until max_rows) and measures separability.
SeparabilityReport InspectData(const ScenarioSpec& spec, std::int64_t max_rows = 1000000);

std::string FormatSeparabilityReport(const SeparabilityReport& report);

}  // namespace crsim::sim
