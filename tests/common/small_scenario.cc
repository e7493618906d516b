#include "small_scenario.h"

namespace crsim::testing {

std::string SmallScenarioToml() {
  return R"([run]
days = 6
seed = 7
warmup_days = 1
strategies = ["random", "topk", "hybrid"]

[arrivals]
declarations_per_day = 20000

[catalogue]
chapters = 20
headings_per_chapter = 3
subheadings_per_heading = 4

[countries]
CN = 30.0
US = 15.0
TR = 8.0
IN = 6.0
VN = 5.0

[[administrations]]
name = "AA"
offices = 3
inspection_capacity = 60
trade_share = 0.6

[[administrations]]
name = "BB"
offices = 2
inspection_capacity = 50
trade_share = 0.4

[traders]
count = 3000
volume_zipf_exponent = 0.8
fraud_prone_share = 0.1

[fraud]
fraud_prone_rate = 0.3
honest_rate = 0.002

[[risk.rules]]
name = "cheap-from-cn"
weight = 1.5
origins = ["CN"]
unit_value_max = 5.0

[[risk.rules]]
name = "new-traders"
weight = 1.0
max_trader_age_days = 60
offices = ["AA-1", "BB-2"]
)";
}

sim::ScenarioSpec SmallScenario(const std::vector<std::string>& overrides) {
  return sim::ParseScenario(SmallScenarioToml(), "small.toml", overrides);
}

sim::ScenarioSpec FullFraudScenario(const std::vector<std::string>& overrides) {
  std::vector<std::string> all = {
      "catalogue.specific_duty_share=0.3",
      "catalogue.duty_relief_threshold_eur=150",
      "catalogue.additional_duties[0].hs_chapters=[1, 6, 11, 16, 21, 26, 31, 36, 41]",
      "catalogue.additional_duties[0].origins=[\"CN\"]",
      "catalogue.additional_duties[0].rate=0.3",
      "fraud.origin_misdeclaration.enabled=true",
      "fraud.origin_misdeclaration.weight=1.0",
      "fraud.origin_misdeclaration.transit_countries=[\"VN\", \"TR\"]",
      "fraud.quantity_misdeclaration.enabled=true",
      "fraud.quantity_misdeclaration.weight=0.3",
      "fraud.prohibited_goods.enabled=true",
      "fraud.prohibited_goods.weight=0.1",
      "fraud.low_value_splitting.enabled=true",
      "fraud.low_value_splitting.weight=0.3",
      // Rings of fraud-prone traders cheating at the fraud-prone rate (so rates by profile hold),
      // 30% of their declarations through the ring's declarant.
      "fraud.rings.enabled=true",
      "fraud.rings.rings=4",
      "fraud.rings.members_min=3",
      "fraud.rings.members_max=8",
      "fraud.rings.fraud_rate=0.3",
      "fraud.rings.declarant_share=0.3",
  };
  all.insert(all.end(), overrides.begin(), overrides.end());
  return SmallScenario(all);
}

std::vector<std::string> EcommerceStreamOverrides() {
  return {
      "arrivals.ecommerce.declarations_per_day=40000",
      "arrivals.ecommerce.hs_chapters=[6, 11, 16]",
      "arrivals.ecommerce.hs_chapter_weights=[1.0, 2.0, 1.0]",
      "arrivals.ecommerce.origins=[\"CN\", \"US\"]",
      "arrivals.ecommerce.origin_weights=[3.0, 1.0]",
      "arrivals.ecommerce.offices=[\"AA-2\", \"BB-1\"]",
      "arrivals.ecommerce.office_weights=[1.0, 1.0]",
      "arrivals.ecommerce.consignees=50000",
      "arrivals.ecommerce.intermediaries=5",
      "arrivals.ecommerce.value_log_mean=4.0",
      "arrivals.ecommerce.value_log_sd=0.8",
      "arrivals.ecommerce.fraud_rate=0.1",
  };
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> ProhibitedGoodsOnly() {
  return {"fraud.undervaluation.enabled=false", "fraud.misclassification.enabled=false",
          "fraud.prohibited_goods.enabled=true", "fraud.prohibited_goods.weight=1"};
}

sim::ScenarioSpec BaselineScenario(const std::vector<std::string>& overrides) {
  return sim::LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/baseline.toml", overrides);
}

}  // namespace crsim::testing
