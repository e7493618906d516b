// Tests of the scenario loader: the baseline file, defaults, one case per kind of problem (each
// checked for key, line, column and message), several problems at once, overrides, file errors, and
// that every key of ScenarioSpec is documented in docs/scenarios.md.
#include "crsim/sim/scenario.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "crsim/data/input_error.h"

namespace crsim::sim {
namespace {

#ifndef CRSIM_SOURCE_DIR
#error "the test build must define CRSIM_SOURCE_DIR"
#endif

const std::string kSourceDir = CRSIM_SOURCE_DIR;

// The smallest valid scenario: everything else takes its default. Appended after a case's own lines
// so that those start at line 1.
const std::string kMinimal =
    "[countries]\n"
    "CN = 1.0\n"
    "US = 2.0\n"
    "\n"
    "[[administrations]]\n"
    "name = \"DE\"\n"
    "offices = 2\n";

// `count` rules named rule0, rule1, ... with no conditions.
std::string ManyRules(int count) {
  std::string text;
  for (int i = 0; i < count; ++i) text += "[[risk.rules]]\nname = \"rule" + std::to_string(i) + "\"\n";
  return text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The problems thrown when parsing `text`, or a failure when it parses.
std::vector<InputProblem> ProblemsOf(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    ParseScenario(text, "test.toml", overrides);
  } catch (const InputError& error) {
    return error.problems();
  }
  ADD_FAILURE() << "expected an InputError for:\n" << text;
  return {};
}

std::string Dump(const std::vector<InputProblem>& problems) {
  std::string text;
  for (const InputProblem& problem : problems) text += "  " + problem.Format() + "\n";
  return text;
}

const InputProblem* FindProblem(const std::vector<InputProblem>& problems, const std::string& key) {
  for (const InputProblem& problem : problems) {
    if (problem.key == key) return &problem;
  }
  return nullptr;
}

TEST(ScenarioTest, RegisteredStrategies) {
  EXPECT_EQ(RegisteredStrategyNames(), (std::vector<std::string>{"random", "topk", "hybrid", "threshold", "bandit", "aeo",
                                                                  "intelligence"}));
}

// Each [strategy.<name>] table configures the instance <name> of run.strategies: its kind (default:
// the name), its combination (default: risk.combination) and its kind's keys; listed names without a
// table are the registered strategies with default settings.
TEST(ScenarioTest, StrategyInstancesTakeKindCombinationAndKindKeysFromTheirTables) {
  const ScenarioSpec spec = ParseScenario(
      "[run]\nstrategies = [\"random\", \"rules_only\", \"gbdt\", \"h30\"]\n"
      "[risk]\ncombination = \"logistic\"\n"
      "[strategy.rules_only]\nkind = \"topk\"\ncombination = \"weighted_sum\"\n"
      "[strategy.gbdt]\nkind = \"topk\"\ncombination = \"gbdt\"\n"
      "[strategy.h30]\nkind = \"hybrid\"\nrandom_share = 0.3\n"
      "[strategy.hybrid]\nrandom_share = 0.2\n" +  // not listed: checked, kept after the listed ones
          kMinimal,
      "test.toml");
  ASSERT_EQ(spec.strategy.instances.size(), 5u);
  EXPECT_EQ(spec.strategy.instances[4].name, "hybrid");
  EXPECT_DOUBLE_EQ(FindStrategyInstance(spec, "hybrid").hybrid.random_share, 0.2);
  const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
      {"random", "random", "logistic"}, {"rules_only", "topk", "weighted_sum"}, {"gbdt", "topk", "gbdt"},
      {"h30", "hybrid", "logistic"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(spec.strategy.instances[i].name, std::get<0>(expected[i]));
    EXPECT_EQ(spec.strategy.instances[i].kind, std::get<1>(expected[i]));
    EXPECT_EQ(spec.strategy.instances[i].combination, std::get<2>(expected[i]));
  }
  EXPECT_DOUBLE_EQ(spec.strategy.instances[3].hybrid.random_share, 0.3);
  // A table named after a registered strategy stays valid when run.strategies leaves it out
  // (baseline.toml's [strategy.hybrid] with --set run.strategies=["topk"]).
  EXPECT_NO_THROW(LoadScenarioFile(kSourceDir + "/scenarios/baseline.toml", {"run.strategies=[\"topk\"]"}));
}

TEST(ScenarioTest, GbdtKeysAreRead) {
  const ScenarioSpec defaults = ParseScenario(kMinimal, "test.toml");
  EXPECT_EQ(defaults.risk.gbdt.trees, 100);
  EXPECT_EQ(defaults.risk.gbdt.max_depth, 6);
  const ScenarioSpec spec = ParseScenario(
      "[risk.gbdt]\ntrees = 40\nmax_depth = 3\nlearning_rate = 0.3\nsubsample = 0.5\ncolsample_bytree = 0.7\n"
      "min_child_weight = 2\nscale_pos_weight = 5\nmax_bin = 64\nretrain_every_days = 2\nmin_training_rows = 10\n"
      "max_training_rows = 20\n" + kMinimal,
      "test.toml");
  EXPECT_EQ(spec.risk.gbdt.trees, 40);
  EXPECT_EQ(spec.risk.gbdt.max_depth, 3);
  EXPECT_EQ(spec.risk.gbdt.learning_rate, 0.3);
  EXPECT_EQ(spec.risk.gbdt.subsample, 0.5);
  EXPECT_EQ(spec.risk.gbdt.colsample_bytree, 0.7);
  EXPECT_EQ(spec.risk.gbdt.min_child_weight, 2.0);
  EXPECT_EQ(spec.risk.gbdt.scale_pos_weight, 5.0);
  EXPECT_EQ(spec.risk.gbdt.max_bin, 64);
  EXPECT_EQ(spec.risk.gbdt.retrain_every_days, 2);
  EXPECT_EQ(spec.risk.gbdt.min_training_rows, 10);
  EXPECT_EQ(spec.risk.gbdt.max_training_rows, 20);
}

TEST(ScenarioTest, AdaptiveFraudParsesWithAdaptationOn) {
  const ScenarioSpec spec = LoadScenarioFile(kSourceDir + "/scenarios/adaptive_fraud.toml");
  EXPECT_TRUE(spec.fraud.adaptation.enabled);
  EXPECT_DOUBLE_EQ(spec.fraud.adaptation.learning_rate, 0.3);
  EXPECT_DOUBLE_EQ(FindStrategyInstance(spec, "hybrid").hybrid.random_share, 0.1);
  EXPECT_FALSE(LoadScenarioFile(kSourceDir + "/scenarios/baseline.toml").fraud.adaptation.enabled);
}

TEST(ScenarioTest, AdaptationKeysAreChecked) {
  try {
    ParseScenario(kMinimal + "\n[fraud.adaptation]\nlearning_rate = 0\ntemprature = 1\n",
                  "small.toml");
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("fraud.adaptation.learning_rate"), std::string::npos) << text;
    EXPECT_NE(text.find("temperature"), std::string::npos) << text;  // the did-you-mean hint
  }
}

TEST(ScenarioTest, BaselineParses) {
  const std::string path = kSourceDir + "/scenarios/baseline.toml";
  const ScenarioSpec spec = LoadScenarioFile(path);
  EXPECT_EQ(spec.source_path, path);
  EXPECT_EQ(spec.source_text, ReadText(path));
  EXPECT_TRUE(spec.overrides.empty());
  EXPECT_EQ(spec.run.days, 20);
  EXPECT_EQ(spec.run.seed, 20261128u);
  EXPECT_EQ(spec.run.warmup_days, 3);
  EXPECT_EQ(spec.run.strategies, (std::vector<std::string>{"random", "topk", "hybrid"}));
  EXPECT_DOUBLE_EQ(spec.arrivals.declarations_per_day, 550000.0);
  EXPECT_GT(spec.arrivals.declarations_per_day * static_cast<double>(spec.run.days), 10e6);
  EXPECT_EQ(spec.traders.count, 60000);
  ASSERT_GE(spec.countries.size(), 20u);
  EXPECT_EQ(spec.countries[0].iso, "CN");  // file order, not alphabetical
  EXPECT_EQ(spec.countries[1].iso, "US");
  EXPECT_DOUBLE_EQ(spec.countries[0].weight, 20.5);
  ASSERT_EQ(spec.administrations.size(), 3u);
  EXPECT_EQ(spec.administrations[0].name, "DE");
  EXPECT_EQ(spec.administrations[0].offices, 8);
  std::int64_t capacity = 0;
  for (const AdministrationSpec& administration : spec.administrations) {
    capacity += administration.offices * administration.inspection_capacity;
  }
  // About 1% of the daily declarations can be inspected.
  EXPECT_NEAR(static_cast<double>(capacity) / spec.arrivals.declarations_per_day, 0.01, 0.001);
  ASSERT_GE(spec.risk.rules.size(), 4u);
  ASSERT_LE(spec.risk.rules.size(), 6u);
  EXPECT_EQ(spec.risk.rules[0].hs_chapters, (std::vector<std::int64_t>{61, 62}));
  EXPECT_EQ(spec.risk.rules[0].unit_value_max, 4.0);
  EXPECT_FALSE(spec.risk.rules[0].unit_value_min.has_value());
  EXPECT_EQ(spec.risk.rules[1].max_trader_age_days, 180.0);
  EXPECT_DOUBLE_EQ(spec.fraud.undervaluation.factor_min, 0.3);
  EXPECT_DOUBLE_EQ(FindStrategyInstance(spec, "hybrid").hybrid.random_share, 0.1);
}

TEST(ScenarioTest, ReadsSixtyFourRulesAndActivePeriods) {
  const ScenarioSpec spec = ParseScenario(ManyRules(62) +
                                              "[[risk.rules]]\nname = \"priority\"\nactive_from_day = 3\n"
                                              "active_until_day = 10\n"
                                              "[[risk.rules]]\nname = \"until\"\nactive_until_day = 1\n" +
                                              kMinimal,
                                          "test.toml");
  ASSERT_EQ(spec.risk.rules.size(), 64u);
  EXPECT_FALSE(spec.risk.rules[0].active_from_day.has_value());
  EXPECT_FALSE(spec.risk.rules[0].active_until_day.has_value());
  EXPECT_EQ(spec.risk.rules[62].active_from_day, 3);
  EXPECT_EQ(spec.risk.rules[62].active_until_day, 10);
  EXPECT_FALSE(spec.risk.rules[63].active_from_day.has_value());
  EXPECT_EQ(spec.risk.rules[63].active_until_day, 1);
}

TEST(ScenarioTest, DefaultsApplyWhenTablesAreMissing) {
  const ScenarioSpec spec = ParseScenario(kMinimal, "minimal.toml");
  const ScenarioSpec defaults;
  EXPECT_EQ(spec.source_path, "minimal.toml");
  EXPECT_EQ(spec.source_text, kMinimal);
  EXPECT_EQ(spec.run.days, defaults.run.days);
  EXPECT_EQ(spec.run.seed, defaults.run.seed);
  EXPECT_EQ(spec.run.warmup_days, 0);
  EXPECT_EQ(spec.run.strategies, defaults.run.strategies);
  EXPECT_EQ(spec.run.chunk_size, 16384);
  EXPECT_EQ(spec.arrivals.declarations_per_day, 500000.0);
  EXPECT_EQ(spec.catalogue.chapters, 96);
  EXPECT_EQ(spec.catalogue.tariff_max, 0.2);
  EXPECT_EQ(spec.traders.count, 50000);
  EXPECT_EQ(spec.fraud.honest_rate, 0.002);
  EXPECT_TRUE(spec.fraud.undervaluation.enabled);
  EXPECT_EQ(spec.fraud.misclassification.weight, 0.4);
  EXPECT_EQ(spec.inspection.detection_probability.misclassification, 0.7);
  EXPECT_EQ(spec.risk.trader_history_weight, 4.0);
  EXPECT_TRUE(spec.risk.rules.empty());
  EXPECT_EQ(FindStrategyInstance(spec, "hybrid").hybrid.random_share, 0.1);
  ASSERT_EQ(spec.countries.size(), 2u);
  EXPECT_EQ(spec.countries[1].iso, "US");
  EXPECT_EQ(spec.countries[1].weight, 2.0);
  ASSERT_EQ(spec.administrations.size(), 1u);
  EXPECT_EQ(spec.administrations[0].offices, 2);
  EXPECT_EQ(spec.administrations[0].inspection_capacity, 100);
  EXPECT_EQ(spec.administrations[0].trade_share, 1.0);
}

TEST(ScenarioTest, IntegersAreAcceptedAsNumbers) {
  const ScenarioSpec spec = ParseScenario("[arrivals]\ndeclarations_per_day = 1000\n" + kMinimal, "t.toml");
  EXPECT_EQ(spec.arrivals.declarations_per_day, 1000.0);
}

// One malformed scenario and the problem it must produce (among possibly others).
struct MalformedCase {
  const char* name;
  std::string text;
  std::string key;
  std::int64_t line;
  std::int64_t column;
  std::string message;
};

const std::vector<MalformedCase>& MalformedCases() {
  static const std::vector<MalformedCase> cases = {
      {"UnknownKey", "[run]\ndayz = 5\n" + kMinimal, "run.dayz", 2, 1,
       "unknown key \"dayz\"; did you mean \"days\"?"},
      {"EcommerceUnknownKey", "[arrivals.ecommerce]\nvalue_log_meen = 3.0\n" + kMinimal,
       "arrivals.ecommerce.value_log_meen", 2, 1, "did you mean \"value_log_mean\"?"},
      {"EcommerceNegativeRate", "[arrivals.ecommerce]\ndeclarations_per_day = -1\n" + kMinimal,
       "arrivals.ecommerce.declarations_per_day", 2, 24, "must be between 0 and 100000000, got -1"},
      {"EcommerceChapterNotInCatalogue", "[catalogue]\nchapters = 10\n[arrivals.ecommerce]\nhs_chapters = [11, 61]\n" + kMinimal,
       "arrivals.ecommerce.hs_chapters[1]", 4, 20, "HS chapter 61 has no codes in the catalogue"},
      {"EcommerceChapterWeightsMismatch", "[arrivals.ecommerce]\nhs_chapters = [5, 6]\nhs_chapter_weights = [1.0]\n" + kMinimal,
       "arrivals.ecommerce.hs_chapter_weights", 3, 22, "must have one weight per element of arrivals.ecommerce.hs_chapters (2), got 1"},
      {"EcommerceOriginNotInCountries", "[arrivals.ecommerce]\norigins = [\"CM\"]\norigin_weights = [1.0]\n" + kMinimal,
       "arrivals.ecommerce.origins[0]", 2, 12, "origin \"CM\" is not in [countries]; did you mean \"CN\"?"},
      {"EcommerceOfficeWithoutWeights", "[arrivals.ecommerce]\noffices = [\"DE-1\"]\n" + kMinimal,
       "arrivals.ecommerce.office_weights", 2, 11, "give both or neither"},
      {"EcommerceUnknownOffice", "[arrivals.ecommerce]\noffices = [\"DE-7\"]\noffice_weights = [1.0]\n" + kMinimal,
       "arrivals.ecommerce.offices[0]", 2, 12, "office \"DE-7\" does not exist"},
      {"UnknownTable", "[rn]\ndays = 5\n" + kMinimal, "rn", 1, 2, "unknown table \"rn\"; did you mean \"run\"?"},
      {"TopLevelKeyOfATable", "days = 5\n" + kMinimal, "days", 1, 1, "did you mean \"days\" in [run]?"},
      {"UnknownSubTable", "[fraud.undervalution]\nweight = 1.0\n" + kMinimal, "fraud.undervalution", 1, 8,
       "did you mean \"undervaluation\"?"},
      {"StringForInteger", "[run]\ndays = \"ten\"\n" + kMinimal, "run.days", 2, 8,
       "expected an integer, got a string (\"ten\")"},
      {"FloatForInteger", "[run]\ndays = 2.5\n" + kMinimal, "run.days", 2, 8,
       "expected an integer, got a float (2.5)"},
      {"IntegerForBoolean", "[fraud.undervaluation]\nenabled = 1\n" + kMinimal, "fraud.undervaluation.enabled", 2,
       11, "expected a boolean"},
      {"StringForNumber", "[traders]\nfraud_prone_share = \"8%\"\n" + kMinimal, "traders.fraud_prone_share", 2, 21,
       "expected a number, got a string (\"8%\")"},
      {"ValueForTable", "run = 5\n" + kMinimal, "run", 1, 7, "expected a table"},
      {"DaysZero", "[run]\ndays = 0\n" + kMinimal, "run.days", 2, 8, "must be between 1 and 36500, got 0"},
      {"NegativeCapacity",
       "[countries]\nCN = 1\n[[administrations]]\nname = \"DE\"\ninspection_capacity = -5\n",
       "administrations[0].inspection_capacity", 5, 23, "must be between 0 and 10000000, got -5"},
      {"ShareAboveOne", "[strategy.hybrid]\nrandom_share = 1.5\n" + kMinimal, "strategy.hybrid.random_share", 2, 16,
       "must be between 0 and 1, got 1.5"},
      {"NotFinite", "[catalogue]\nlog_price_mean = nan\n" + kMinimal, "catalogue.log_price_mean", 2, 18,
       "must be a finite number, got nan"},
      {"EmptyStrategyList", "[run]\nstrategies = []\n" + kMinimal, "run.strategies", 2, 14,
       "at least one strategy is required"},
      {"UnknownStrategy", "[run]\nstrategies = [\"random\", \"topK\"]\n" + kMinimal, "run.strategies[1]", 2, 25,
       "unknown strategy \"topK\"; did you mean \"topk\"?"},
      {"DuplicateStrategy", "[run]\nstrategies = [\"random\", \"random\"]\n" + kMinimal, "run.strategies[1]", 2, 25,
       "duplicate strategy \"random\""},
      {"WarmupNotBelowDays", "[run]\ndays = 5\nwarmup_days = 5\n" + kMinimal, "run.warmup_days", 3, 15,
       "must be less than run.days (5)"},
      {"TariffMaxBelowMin", "[catalogue]\ntariff_min = 0.3\ntariff_max = 0.1\n" + kMinimal, "catalogue.tariff_max", 3,
       14, "must be at least catalogue.tariff_min (0.3)"},
      {"TariffMinAboveDefaultMax", "[catalogue]\ntariff_min = 0.3\n" + kMinimal, "catalogue.tariff_max", 2, 14,
       "must be at least catalogue.tariff_min"},
      {"SigmaMaxBelowMin", "[catalogue]\nlog_price_sigma_min = 0.5\nlog_price_sigma_max = 0.4\n" + kMinimal,
       "catalogue.log_price_sigma_max", 3, 23, "must be at least catalogue.log_price_sigma_min"},
      {"FactorMinAboveMax", "[fraud.undervaluation]\nfactor_min = 0.9\nfactor_max = 0.5\n" + kMinimal,
       "fraud.undervaluation.factor_max", 3, 14, "must be at least fraud.undervaluation.factor_min"},
      {"FactorNotInOpenUnitInterval", "[fraud.undervaluation]\nfactor_max = 1.0\n" + kMinimal,
       "fraud.undervaluation.factor_max", 2, 14, "must be greater than 0 and less than 1, got 1"},
      {"NoFraudTypology",
       "[fraud]\nhonest_rate = 0.01\n[fraud.undervaluation]\nenabled = false\n[fraud.misclassification]\n"
       "weight = 0\n" + kMinimal,
       "fraud", 1, 1, "no fraud typology enabled"},
      {"UnknownTypology", "[fraud.origin_misdeclarations]\nenabled = true\n" + kMinimal,
       "fraud.origin_misdeclarations", 1, 8, "did you mean \"origin_misdeclaration\"?"},
      {"NegativeTypologyWeight", "[fraud.prohibited_goods]\nweight = -0.1\n" + kMinimal,
       "fraud.prohibited_goods.weight", 2, 10, "must be at least 0, got -0.1"},
      {"NegativeDetectionProbability", "[inspection.detection_probability]\nlow_value_splitting = -0.5\n" + kMinimal,
       "inspection.detection_probability.low_value_splitting", 2, 23, "must be between 0 and 1, got -0.5"},
      {"QuantityFactorMinAboveMax", "[fraud.quantity_misdeclaration]\nfactor_min = 0.9\nfactor_max = 0.5\n" + kMinimal,
       "fraud.quantity_misdeclaration.factor_max", 3, 14, "must be at least fraud.quantity_misdeclaration.factor_min"},
      {"SeverityMaxBelowMin", "[fraud.prohibited_goods]\nseverity_min = 5\nseverity_max = 2\n" + kMinimal,
       "fraud.prohibited_goods.severity_max", 3, 16, "must be at least fraud.prohibited_goods.severity_min (5)"},
      {"QuantityWithoutSpecificDuties", "[fraud.quantity_misdeclaration]\nenabled = true\n" + kMinimal,
       "fraud.quantity_misdeclaration", 2, 11, "needs codes with a specific duty"},
      {"LowValueWithoutThreshold", "[fraud.low_value_splitting]\nenabled = true\n" + kMinimal,
       "fraud.low_value_splitting", 2, 11, "needs a duty relief threshold"},
      {"OriginWithoutAdditionalDuties",
       "[fraud.origin_misdeclaration]\nenabled = true\ntransit_countries = [\"US\"]\n" + kMinimal,
       "fraud.origin_misdeclaration", 2, 11, "needs [[catalogue.additional_duties]]"},
      {"TransitCountryNotInCountries",
       "[fraud.origin_misdeclaration]\ntransit_countries = [\"MY\"]\n" + kMinimal,
       "fraud.origin_misdeclaration.transit_countries[0]", 2, 22, "transit country \"MY\" is not in [countries]"},
      {"AdditionalDutyWithoutOrigins", "[[catalogue.additional_duties]]\nhs_chapters = [72]\n" + kMinimal,
       "catalogue.additional_duties[0].origins", 1, 1, "at least one origin is required"},
      {"AdditionalDutyRateZero",
       "[[catalogue.additional_duties]]\nhs_chapters = [72]\norigins = [\"CN\"]\nrate = 0\n" + kMinimal,
       "catalogue.additional_duties[0].rate", 4, 8, "must be greater than 0 and at most 1, got 0"},
      {"NegativeReliefThreshold", "[catalogue]\nduty_relief_threshold_eur = -1\n" + kMinimal,
       "catalogue.duty_relief_threshold_eur", 2, 29, "must be at least 0, got -1"},
      {"MissingCountries", "[[administrations]]\nname = \"DE\"\n", "countries", 1, 1, "at least one country"},
      {"EmptyCountries", "[countries]\n[[administrations]]\nname = \"DE\"\n", "countries", 1, 1,
       "at least one country"},
      {"LowerCaseCountry", "[countries]\ncn = 1.0\n[[administrations]]\nname = \"DE\"\n", "countries.cn", 2, 1,
       "must be two upper-case letters (ISO 3166 alpha-2); did you mean \"CN\"?"},
      {"ZeroCountryWeight", "[countries]\nCN = 0\n[[administrations]]\nname = \"DE\"\n", "countries.CN", 2, 6,
       "must be greater than 0, got 0"},
      {"MissingAdministrations", "[countries]\nCN = 1\n", "administrations", 1, 1, "at least one administration"},
      {"AdministrationsNotArray", "[countries]\nCN = 1\n[administrations]\nname = \"DE\"\n", "administrations", 3, 1,
       "expected an array of tables ([[administrations]]), got a table"},
      {"MissingAdministrationName", "[countries]\nCN = 1\n[[administrations]]\noffices = 2\n",
       "administrations[0].name", 3, 1, "missing required key \"name\""},
      {"DuplicateAdministration",
       "[countries]\nCN = 1\n[[administrations]]\nname = \"DE\"\n[[administrations]]\nname = \"DE\"\n",
       "administrations[1].name", 6, 8, "duplicate administration name \"DE\" (first defined at line 4)"},
      {"AdministrationNameCharacters", "[countries]\nCN = 1\n[[administrations]]\nname = \"D E\"\n",
       "administrations[0].name", 4, 8, "letters, digits"},
      {"TooManyOffices",
       "[countries]\nCN = 1\n[[administrations]]\nname = \"A\"\noffices = 1000\n" +
           [] {
             std::string text;
             for (int i = 0; i < 65; ++i) text += "[[administrations]]\nname = \"A" + std::to_string(i) + "\"\noffices = 1000\n";
             return text;
           }(),
       "administrations", 3, 1, "at most 65535 offices in total are supported, got 66000"},
      {"UnknownCombination", "[risk]\ncombination = \"logistc\"\n" + kMinimal, "risk.combination", 2, 15,
       "unknown combination \"logistc\"; did you mean \"logistic\"? (registered: weighted_sum, max, logistic, gbdt)"},
      {"CombinationNotAString", "[risk]\ncombination = 2\n" + kMinimal, "risk.combination", 2, 15, "a string"},
      {"GbdtTreesZero", "[risk.gbdt]\ntrees = 0\n" + kMinimal, "risk.gbdt.trees", 2, 9,
       "must be between 1 and 10000, got 0"},
      {"GbdtDepthTooDeep", "[risk.gbdt]\nmax_depth = 40\n" + kMinimal, "risk.gbdt.max_depth", 2, 13,
       "must be between 1 and 16, got 40"},
      {"GbdtLearningRateZero", "[risk.gbdt]\nlearning_rate = 0\n" + kMinimal, "risk.gbdt.learning_rate", 2, 17,
       "must be greater than 0 and at most 1, got 0"},
      {"GbdtSubsampleAboveOne", "[risk.gbdt]\nsubsample = 1.5\n" + kMinimal, "risk.gbdt.subsample", 2, 13,
       "must be greater than 0 and at most 1, got 1.5"},
      {"GbdtClassWeightZero", "[risk.gbdt]\nscale_pos_weight = 0\n" + kMinimal, "risk.gbdt.scale_pos_weight", 2, 20,
       "must be greater than 0, got 0"},
      {"GbdtMaxBinOne", "[risk.gbdt]\nmax_bin = 1\n" + kMinimal, "risk.gbdt.max_bin", 2, 11,
       "must be between 2 and 65536, got 1"},
      {"GbdtMaxRowsBelowMin", "[risk.gbdt]\nmin_training_rows = 100\nmax_training_rows = 50\n" + kMinimal,
       "risk.gbdt.max_training_rows", 3, 21, "must be at least min_training_rows (100), got 50"},
      {"GbdtUnknownKeyHint", "[risk.gbdt]\nmax_dept = 3\n" + kMinimal, "risk.gbdt.max_dept", 2, 1,
       "did you mean \"max_depth\"?"},
      {"GbdtCombinationTypo", "[risk]\ncombination = \"gbtd\"\n" + kMinimal, "risk.combination", 2, 15,
       "unknown combination \"gbtd\"; did you mean \"gbdt\"?"},
      {"StrategyUnknownKind", "[run]\nstrategies = [\"ml\"]\n[strategy.ml]\nkind = \"topq\"\n" + kMinimal,
       "strategy.ml.kind", 4, 8, "unknown strategy kind \"topq\"; did you mean \"topk\"?"},
      {"StrategyNewNameWithoutTable", "[run]\nstrategies = [\"random\", \"ml\"]\n" + kMinimal, "run.strategies[1]", 2,
       25, "unknown strategy \"ml\""},
      {"StrategyNewNameWithoutKind", "[run]\nstrategies = [\"ml\"]\n[strategy.ml]\ncombination = \"gbdt\"\n" + kMinimal,
       "strategy.ml.kind", 3, 1, "\"ml\" is not a registered strategy: say which one it runs with kind"},
      {"StrategyTableNotListed",
       "[run]\nstrategies = [\"random\", \"gbdt\"]\n[strategy.gbdt]\nkind = \"topk\"\n[strategy.gbdtt]\nkind = \"topk\"\n" +
           kMinimal,
       "strategy.gbdtt", 5, 11, "table [strategy.gbdtt] configures no strategy: \"gbdtt\" is not in run.strategies (random, gbdt); did you mean \"gbdt\"?"},
      {"StrategyKeyOfAnotherKind",
       "[run]\nstrategies = [\"ml\"]\n[strategy.ml]\nkind = \"topk\"\nrandom_share = 0.2\n" + kMinimal,
       "strategy.ml.random_share", 5, 1, "unknown key \"random_share\" (allowed here: kind, combination, exchange, exchange_delay_days)"},
      {"StrategyCombinationTypo",
       "[run]\nstrategies = [\"ml\"]\n[strategy.ml]\nkind = \"topk\"\ncombination = \"logistc\"\n" + kMinimal,
       "strategy.ml.combination", 5, 15, "unknown combination \"logistc\"; did you mean \"logistic\"?"},
      {"StrategyInstanceShareAboveOne",
       "[run]\nstrategies = [\"h30\"]\n[strategy.h30]\nkind = \"hybrid\"\nrandom_share = 1.3\n" + kMinimal,
       "strategy.h30.random_share", 5, 16, "must be between 0 and 1, got 1.3"},
      {"LogisticMaxRowsBelowMin",
       "[risk.logistic]\nmin_training_rows = 100\nmax_training_rows = 50\n" + kMinimal,
       "risk.logistic.max_training_rows", 3, 21, "must be at least min_training_rows (100), got 50"},
      {"LogisticRetrainZero", "[risk.logistic]\nretrain_every_days = 0\n" + kMinimal,
       "risk.logistic.retrain_every_days", 2, 22, "must be between 1 and 10000, got 0"},
      {"LogisticUnknownKeyHint", "[risk.logistic]\nretrain_every_day = 3\n" + kMinimal,
       "risk.logistic.retrain_every_day", 2, 1, "did you mean \"retrain_every_days\"?"},
      {"UnknownPriceReference", "[risk]\nprice_reference = \"hs6_orign\"\n" + kMinimal, "risk.price_reference", 2, 19,
       "unknown price reference \"hs6_orign\"; did you mean \"hs6_origin\"? (one of: hs6, hs6_origin)"},
      {"NegativePriceWindow", "[risk]\nprice_window_days = -1\n" + kMinimal, "risk.price_window_days", 2, 21,
       "must be between 0 and 36500, got -1"},
      {"RuleOriginNotInCountries", "[[risk.rules]]\nname = \"r\"\norigins = [\"CN\", \"CM\"]\n" + kMinimal,
       "risk.rules[0].origins[1]", 3, 18, "origin \"CM\" is not in [countries]; did you mean \"CN\"?"},
      {"RuleOfficeNumberTooLarge", "[[risk.rules]]\nname = \"r\"\noffices = [\"DE-3\"]\n" + kMinimal,
       "risk.rules[0].offices[0]", 3, 12, "office \"DE-3\" does not exist: administration \"DE\" has offices DE-1 to DE-2"},
      {"RuleOfficeUnknownAdministration", "[[risk.rules]]\nname = \"r\"\noffices = [\"DF-1\"]\n" + kMinimal,
       "risk.rules[0].offices[0]", 3, 12, "did you mean \"DE-1\"?"},
      {"RuleChapterOutOfRange", "[[risk.rules]]\nname = \"r\"\nhs_chapters = [61, 98]\n" + kMinimal,
       "risk.rules[0].hs_chapters[1]", 3, 20, "must be between 1 and 97, got 98"},
      {"RuleChapter77", "[[risk.rules]]\nname = \"r\"\nhs_chapters = [77]\n" + kMinimal,
       "risk.rules[0].hs_chapters[0]", 3, 16, "HS chapter 77 does not exist"},
      {"RuleUnknownKeyHint", "[[risk.rules]]\nname = \"r\"\norigin = [\"CN\"]\n" + kMinimal, "risk.rules[0].origin", 3,
       1, "unknown key \"origin\"; did you mean \"origins\"?"},
      {"RuleUnitValueMaxNotAboveMin",
       "[[risk.rules]]\nname = \"r\"\nunit_value_min = 5.0\nunit_value_max = 5\n" + kMinimal,
       "risk.rules[0].unit_value_max", 4, 18, "must be greater than unit_value_min (5), got 5"},
      {"DuplicateRule", "[[risk.rules]]\nname = \"r\"\n[[risk.rules]]\nname = \"r\"\n" + kMinimal,
       "risk.rules[1].name", 4, 8, "duplicate rule name \"r\""},
      {"MissingRuleName", "[[risk.rules]]\nweight = 2.0\n" + kMinimal, "risk.rules[0].name", 1, 1,
       "missing required key \"name\""},
      {"RuleActiveUntilNotAfterFrom",
       "[[risk.rules]]\nname = \"r\"\nactive_from_day = 5\nactive_until_day = 5\n" + kMinimal,
       "risk.rules[0].active_until_day", 4, 20, "must be greater than active_from_day (5), got 5"},
      {"RuleActiveUntilBeforeFrom",
       "[[risk.rules]]\nname = \"r\"\nactive_from_day = 9\nactive_until_day = 2\n" + kMinimal,
       "risk.rules[0].active_until_day", 4, 20, "must be greater than active_from_day (9), got 2"},
      {"RuleActiveFromNegative", "[[risk.rules]]\nname = \"r\"\nactive_from_day = -1\n" + kMinimal,
       "risk.rules[0].active_from_day", 3, 19, "must be between 0 and 36499, got -1"},
      {"RuleActiveUntilZero", "[[risk.rules]]\nname = \"r\"\nactive_until_day = 0\n" + kMinimal,
       "risk.rules[0].active_until_day", 3, 20, "must be between 1 and 36500, got 0"},
      {"RuleActiveFromNotInteger", "[[risk.rules]]\nname = \"r\"\nactive_from_day = 2.5\n" + kMinimal,
       "risk.rules[0].active_from_day", 3, 19, "expected an integer, got a float (2.5)"},
      {"MoreThan64Rules", ManyRules(65) + kMinimal, "risk.rules", 1, 1, "at most 64 rules are allowed, got 65"},
      {"SyntaxError", "[run]\ndays = = 5\n" + kMinimal, "", 2, 8, "TOML syntax error"},
  };
  return cases;
}

class MalformedScenarioTest : public testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedScenarioTest, ReportsKeyPositionAndMessage) {
  const MalformedCase& expected = GetParam();
  const std::vector<InputProblem> problems = ProblemsOf(expected.text);
  const InputProblem* problem = FindProblem(problems, expected.key);
  ASSERT_NE(problem, nullptr) << "no problem with key \"" << expected.key << "\" among:\n" << Dump(problems);
  EXPECT_EQ(problem->source, "test.toml");
  EXPECT_EQ(problem->line, expected.line) << problem->Format();
  EXPECT_EQ(problem->column, expected.column) << problem->Format();
  EXPECT_NE(problem->message.find(expected.message), std::string::npos)
      << "message \"" << problem->message << "\" lacks \"" << expected.message << "\"";
}

INSTANTIATE_TEST_SUITE_P(Cases, MalformedScenarioTest, testing::ValuesIn(MalformedCases()),
                         [](const testing::TestParamInfo<MalformedCase>& case_info) { return std::string(case_info.param.name); });

TEST(ScenarioTest, ReportsEveryProblemAtOnceInFileOrder) {
  const std::string text =
      "[run]\n"
      "days = 0\n"                           // 2: out of range
      "seeed = 3\n"                          // 3: unknown key
      "strategies = [\"random\", \"best\"]\n"  // 4: unknown strategy
      "[traders]\n"
      "count = 1.5\n"                        // 6: float for integer
      "[countries]\n"
      "cn = 1\n"                             // 8: bad code
      "[[administrations]]\n"
      "name = \"DE\"\n"
      "offices = 0\n"                        // 11: out of range
      "[[risk.rules]]\n"
      "name = \"r\"\n"
      "origins = [\"US\"]\n";                // 14: not in countries
  const std::vector<InputProblem> problems = ProblemsOf(text);
  ASSERT_EQ(problems.size(), 7u) << Dump(problems);
  const std::vector<std::string> keys = {"run.days",           "run.seeed",
                                         "run.strategies[1]",  "traders.count",
                                         "countries.cn",       "administrations[0].offices",
                                         "risk.rules[0].origins[0]"};
  const std::vector<std::int64_t> lines = {2, 3, 4, 6, 8, 11, 14};
  for (std::size_t i = 0; i < problems.size(); ++i) {
    EXPECT_EQ(problems[i].key, keys[i]) << Dump(problems);
    EXPECT_EQ(problems[i].line, lines[i]) << Dump(problems);
  }
  // what() lists them all, one per line, as file:line:column: key: message.
  try {
    ParseScenario(text, "test.toml");
  } catch (const InputError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("test.toml:2:8: run.days: must be between 1 and 36500, got 0"), std::string::npos) << what;
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 6) << what;
  }
}

TEST(ScenarioTest, MissingFile) {
  const std::string path = kSourceDir + "/scenarios/no_such_scenario.toml";
  try {
    LoadScenarioFile(path);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    ASSERT_EQ(error.problems().size(), 1u);
    EXPECT_EQ(error.problems()[0].source, path);
    EXPECT_NE(error.problems()[0].message.find("No such file or directory"), std::string::npos)
        << error.problems()[0].message;
  }
}

TEST(ScenarioTest, SyntaxErrorInFileNamesFileLineAndColumn) {
  const std::filesystem::path path = std::filesystem::path(testing::TempDir()) / "crsim_scenario_syntax.toml";
  {
    std::ofstream out(path);
    out << "[run]\ndays = 5\nseed = [1,\n";
  }
  try {
    LoadScenarioFile(path.string());
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    ASSERT_EQ(error.problems().size(), 1u);
    const InputProblem& problem = error.problems()[0];
    EXPECT_EQ(problem.source, path.string());
    EXPECT_EQ(problem.line, 3) << problem.Format();
    EXPECT_GT(problem.column, 0) << problem.Format();
    EXPECT_NE(problem.message.find("TOML syntax error"), std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST(ScenarioTest, OverrideSetsValue) {
  const ScenarioSpec spec = ParseScenario(kMinimal, "test.toml", {"run.days=5", "fraud.undervaluation.factor_min = 0.5"});
  EXPECT_EQ(spec.run.days, 5);
  EXPECT_EQ(spec.fraud.undervaluation.factor_min, 0.5);
  EXPECT_EQ(spec.overrides, (std::vector<std::string>{"run.days=5", "fraud.undervaluation.factor_min = 0.5"}));
  EXPECT_EQ(spec.source_text, kMinimal);  // the text before overrides
}

TEST(ScenarioTest, OverrideReplacesFileValueAndArrayElements) {
  const std::string path = kSourceDir + "/scenarios/baseline.toml";
  const ScenarioSpec spec = LoadScenarioFile(
      path, {"run.days=5", "administrations[1].offices=7", "run.strategies=[\"topk\"]", "countries.FR=3.5",
             "risk.rules[0].origins[1]=\"VN\"", "administrations[3].name=FR"});
  EXPECT_EQ(spec.run.days, 5);
  EXPECT_EQ(spec.administrations[1].offices, 7);
  EXPECT_EQ(spec.run.strategies, (std::vector<std::string>{"topk"}));
  EXPECT_EQ(spec.countries.back().iso, "FR");
  EXPECT_EQ(spec.countries.back().weight, 3.5);
  EXPECT_EQ(spec.risk.rules[0].origins[1], "VN");
  ASSERT_EQ(spec.administrations.size(), 4u);  // index == size appends
  EXPECT_EQ(spec.administrations[3].name, "FR");
  EXPECT_EQ(spec.administrations[3].offices, 1);
}

TEST(ScenarioTest, OverrideBareWordIsAString) {
  const ScenarioSpec spec =
      ParseScenario(kMinimal, "test.toml", {"administrations[0].name=NL", "risk.rules[0].name=my rule"});
  EXPECT_EQ(spec.administrations[0].name, "NL");
  ASSERT_EQ(spec.risk.rules.size(), 1u);
  EXPECT_EQ(spec.risk.rules[0].name, "my rule");
}

TEST(ScenarioTest, OverrideOfUnknownKeyIsReportedAtSet) {
  const std::vector<InputProblem> problems = ProblemsOf(kMinimal, {"run.dayz=5"});
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].source, "--set");
  EXPECT_EQ(problems[0].line, 0);
  EXPECT_EQ(problems[0].key, "run.dayz");
  EXPECT_NE(problems[0].message.find("did you mean \"days\"?"), std::string::npos) << problems[0].message;
}

TEST(ScenarioTest, OverrideOfUnknownTableIsReportedAtSet) {
  const std::vector<InputProblem> problems = ProblemsOf(kMinimal, {"fraud.undervalution.weight=1"});
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].source, "--set");
  EXPECT_EQ(problems[0].key, "fraud.undervalution");
  EXPECT_NE(problems[0].message.find("did you mean \"undervaluation\"?"), std::string::npos);
}

TEST(ScenarioTest, OverrideWithWrongTypeIsReportedAtSet) {
  const std::vector<InputProblem> problems = ProblemsOf("[run]\ndays = 10\n" + kMinimal, {"run.days=ten"});
  ASSERT_EQ(problems.size(), 1u) << Dump(problems);
  EXPECT_EQ(problems[0].source, "--set");
  EXPECT_EQ(problems[0].key, "run.days");
  EXPECT_NE(problems[0].message.find("expected an integer, got a string (\"ten\")"), std::string::npos);
  EXPECT_EQ(problems[0].Format(), "--set: run.days: expected an integer, got a string (\"ten\")");
}

TEST(ScenarioTest, OverrideProblemsComeAfterFileProblems) {
  // Validation reads [run] before [catalogue]; the problems still follow the order of the overrides.
  const std::vector<InputProblem> problems = ProblemsOf(
      "[run]\ndays = 0\n" + kMinimal, {"catalogue.chapters=100", "bad", "run.warmup_days=-1", "rn.days=1"});
  ASSERT_EQ(problems.size(), 5u) << Dump(problems);
  EXPECT_EQ(problems[0].source, "test.toml");
  EXPECT_EQ(problems[0].key, "run.days");
  const std::vector<std::string> keys = {"catalogue.chapters", "", "run.warmup_days", "rn"};
  for (std::size_t i = 1; i < problems.size(); ++i) {
    EXPECT_EQ(problems[i].source, "--set");
    EXPECT_EQ(problems[i].key, keys[i - 1]) << Dump(problems);
  }
}

TEST(ScenarioTest, MalformedOverrides) {
  const std::vector<InputProblem> problems = ProblemsOf(
      "[run]\ndays = 10\n" + kMinimal,
      {"run.days", "=5", "run..days=5", "run.days.x=1", "administrations.offices=2", "administrations[5].offices=2"});
  ASSERT_EQ(problems.size(), 6u) << Dump(problems);
  for (const InputProblem& problem : problems) EXPECT_EQ(problem.source, "--set");
  EXPECT_NE(problems[0].message.find("not of the form key=value"), std::string::npos);
  EXPECT_NE(problems[1].message.find("empty key"), std::string::npos);
  EXPECT_NE(problems[2].message.find("malformed override key"), std::string::npos);
  EXPECT_NE(problems[3].message.find("run.days is an integer (10), not a table"), std::string::npos)
      << problems[3].message;
  EXPECT_NE(problems[4].message.find("use administrations[<index>]"), std::string::npos) << problems[4].message;
  EXPECT_NE(problems[5].message.find("out of range"), std::string::npos) << problems[5].message;
}

TEST(ScenarioTest, OverrideCanFixAFileProblem) {
  // The file alone is invalid (days = 0); the override replaces the value before validation.
  const ScenarioSpec spec = ParseScenario("[run]\ndays = 0\n" + kMinimal, "test.toml", {"run.days=3"});
  EXPECT_EQ(spec.run.days, 3);
}

// Every key of ScenarioSpec, listed by hand, appears as `key` in the first column of docs/scenarios.md.
TEST(ScenarioTest, EveryKeyIsDocumented) {
  const std::string docs = ReadText(kSourceDir + "/docs/scenarios.md");
  ASSERT_FALSE(docs.empty()) << "cannot read docs/scenarios.md";
  const std::vector<std::string> keys = {
      // [run]
      "days", "seed", "warmup_days", "strategies", "chunk_size", "replications",
      // [arrivals]
      "declarations_per_day", "indirect_route_share", "hub_countries", "hub_weights", "transport_modes",
      "transport_mode_weights",
      // [arrivals.ecommerce] (its declarations_per_day, hs_chapters, origins, offices and
      // office_weights are listed with [arrivals], [[risk.rules]] and [[administrations]])
      "ecommerce", "value_log_mean", "value_log_sd", "hs_chapter_weights", "origin_weights", "consignees",
      "intermediaries", "intermediary_zipf_exponent", "fraud_rate",
      // [catalogue]
      "chapters", "headings_per_chapter", "subheadings_per_heading", "tariff_min", "tariff_max", "log_price_mean",
      "log_price_chapter_sd", "log_price_code_sd", "log_price_sigma_min", "log_price_sigma_max",
      "specific_duty_share", "specific_duty_min", "specific_duty_max", "duty_relief_threshold_eur", "additional_duties",
      "codes", "chapter_origins", "chapter", "weights",
      // catalogue.codes
      "hs6", "tariff", "log_price_sd", "log_quantity_mean", "log_quantity_sd",
      // [[catalogue.additional_duties]]
      "rate",
      // [[administrations]]
      "name", "offices", "inspection_capacity", "trade_share", "office_weights", "office_labels",
      "documentary_capacity", "audit_capacity",
      // [traders]
      "count", "volume_zipf_exponent", "portfolio_hs6", "portfolio_origins", "fraud_prone_share",
      "home_office_share", "max_age_days", "honest_new_share", "fraud_prone_new_share", "labels", "aeo_share",
      "aeo_fraud_prone_share",
      // [fraud], [fraud.undervaluation], [fraud.misclassification]
      "fraud_prone_rate", "honest_rate", "enabled", "weight", "factor_min", "factor_max",
      // [fraud.origin_misdeclaration], [fraud.prohibited_goods], [fraud.low_value_splitting]
      "transit_countries", "route_reveal_probability", "severity_min", "severity_max", "value_share_min",
      "value_share_max",
      // [fraud.adaptation]
      "learning_rate", "switching_cost", "penalty_per_detection", "temperature", "prior_inspection_probability",
      // [inspection.detection_probability]
      "undervaluation", "misclassification", "origin_misdeclaration", "quantity_misdeclaration", "prohibited_goods",
      "low_value_splitting",
      // [risk], [[risk.rules]]
      "rule_weight", "unit_value_weight", "trader_history_weight", "trader_prior_strength", "min_reference_count",
      "price_reference", "price_window_days",
      "combination", "trader_ucb_multiplier", "logistic", "rules",
      // [risk.logistic]
      "retrain_every_days", "l2", "min_training_rows", "max_training_rows",
      // [risk.gbdt]
      "gbdt", "trees", "max_depth", "learning_rate", "subsample", "colsample_bytree", "min_child_weight",
      "scale_pos_weight", "max_bin",
      // [[risk.rules]]
      "hs_chapters", "origins", "unit_value_min", "unit_value_max", "max_trader_age_days",
      "active_from_day", "active_until_day", "channel",
      // [strategy.<name>]: every instance, then its kind's (hybrid, threshold, bandit, aeo)
      "kind", "random_share", "score_threshold", "method", "exploration", "selection_factor",
      // [channels.red|yellow|blue]
      "random_rate", "expected_rate", "delay_days",
      // [intelligence]
      "coverage", "precision"};
  for (const std::string& key : keys) {
    EXPECT_NE(docs.find("| `" + key + "` |"), std::string::npos) << "docs/scenarios.md lacks a row for `" << key << "`";
  }
  for (const char* table : {"[run]", "[arrivals]", "[arrivals.ecommerce]", "[catalogue]", "[countries]", "[[administrations]]",
                                   "[traders]", "[fraud]", "[fraud.undervaluation]", "[fraud.misclassification]",
                                   "[[catalogue.additional_duties]]", "catalogue.codes", "catalogue.chapter_origins",
                                   "[fraud.origin_misdeclaration]",
                                   "[fraud.quantity_misdeclaration]", "[fraud.prohibited_goods]",
                                   "[fraud.low_value_splitting]", "[fraud.adaptation]",
                                   "[inspection.detection_probability]", "[risk]", "[[risk.rules]]",
                                   "[risk.logistic]", "[risk.gbdt]", "[strategy.<name>]", "[strategy.hybrid]",
                                   "[strategy.threshold]", "[strategy.bandit]", "[strategy.aeo]",
                                   "[inspection.documentary_detection_probability]",
                                   "[inspection.audit_detection_probability]", "[channels.red]", "[channels.yellow]",
                                   "[channels.blue]", "[intelligence]"}) {
    EXPECT_NE(docs.find(table), std::string::npos) << "docs/scenarios.md lacks a section for " << table;
  }
}

// The complete example in docs/scenarios.md is itself a valid scenario.
TEST(ScenarioTest, DocumentedExampleIsValid) {
  const std::string docs = ReadText(kSourceDir + "/docs/scenarios.md");
  const std::string begin_marker = "```toml\n# complete example\n";
  const std::size_t begin = docs.find(begin_marker);
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = docs.find("```", begin + begin_marker.size());
  ASSERT_NE(end, std::string::npos);
  const std::string example = docs.substr(begin + 8, end - begin - 8);
  EXPECT_NO_THROW(ParseScenario(example, "docs/scenarios.md"));
}

}  // namespace
}  // namespace crsim::sim

namespace crsim::sim {
namespace {

TEST(ScenarioTest, ChannelScenarioParsesWithEveryChannelOn) {
  const ScenarioSpec spec = LoadScenarioFile(kSourceDir + "/scenarios/channels.toml");
  EXPECT_EQ(spec.run.strategies.size(), RegisteredStrategyNames().size());
  EXPECT_GT(spec.administrations[0].documentary_capacity, 0);
  EXPECT_GT(spec.administrations[0].audit_capacity, 0);
  EXPECT_EQ(spec.risk.rules[0].channel, "red");
  EXPECT_EQ(spec.channels.blue.delay_days, 3);
  EXPECT_DOUBLE_EQ(spec.inspection.documentary_detection_probability.misclassification, 0.8);
}

TEST(ScenarioTest, ChannelKeysAreChecked) {
  const std::vector<InputProblem> problems = ProblemsOf(
      "[[risk.rules]]\nname = \"r\"\nchannel = \"rd\"\n"
      "[channels.yellow]\nrandom_rate = 0.2\nexpected_rate = 0.1\n"
      "[channels.red]\ndelay_days = 3\n"
      "[strategy.bandit]\nmethod = \"ucbb\"\n"
      "[intelligence]\nprecision = 0.0\n"
      "[traders]\nfraud_prone_share = 0.01\naeo_share = 0.5\naeo_fraud_prone_share = 0.1\n" +
      kMinimal);
  const InputProblem* channel = FindProblem(problems, "risk.rules[0].channel");
  ASSERT_NE(channel, nullptr) << Dump(problems);
  EXPECT_EQ(channel->line, 3);
  EXPECT_NE(channel->message.find("did you mean \"red\""), std::string::npos) << channel->message;
  ASSERT_NE(FindProblem(problems, "channels.yellow.expected_rate"), nullptr) << Dump(problems);
  const InputProblem* delay = FindProblem(problems, "channels.red.delay_days");
  ASSERT_NE(delay, nullptr) << Dump(problems);
  EXPECT_NE(delay->message.find("unknown key"), std::string::npos);
  ASSERT_NE(FindProblem(problems, "strategy.bandit.method"), nullptr) << Dump(problems);
  ASSERT_NE(FindProblem(problems, "intelligence.precision"), nullptr) << Dump(problems);
  ASSERT_NE(FindProblem(problems, "traders.aeo_fraud_prone_share"), nullptr) << Dump(problems);
  EXPECT_EQ(problems.size(), 6u) << Dump(problems);
}

}  // namespace
}  // namespace crsim::sim
