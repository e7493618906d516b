// Scenario loading: TOML text -> toml::table -> overrides applied -> strict validation -> ScenarioSpec.
//
// How it works. The file is parsed with toml++ into a document tree whose every node remembers where
// it came from (file path, line, column). Each --set override is parsed as the TOML document
// `v = <value>` with source path "--set" (or, if that is not valid TOML, taken as a plain string) and
// grafted into the tree at its dotted key, so overridden values are validated by exactly the same
// code as file values. A problem is located by the node it is about: a node whose source path is the
// scenario file gives file:line:column; any other node (grafted by an override, or a table created to
// hold one) is reported as "--set" without a position. Validation never stops at the first problem:
// every table is read, every problem is collected, and one crsim::InputError lists them all, in file
// order, then the override problems in the order they were found.
//
// Override keys: dotted table keys, with a 0-based index in brackets for arrays (of tables or of
// values), e.g. "run.days", "fraud.undervaluation.factor_min", "administrations[0].offices",
// "risk.rules[1].origins[0]". An index equal to the array's length appends an element.
#include "crsim/sim/scenario.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "crsim/data/did_you_mean.h"
#include "crsim/data/input_error.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

namespace {

constexpr std::string_view kOverrideSource = "--set";
constexpr std::size_t kMaxRules = kernels::kMaxRules;  // hit masks are 64-bit
constexpr std::int64_t kMaxDays = 36500;          // longest run (100 years), and the range of rule days
constexpr std::int64_t kMaxTotalOffices = 65535;  // office ids are uint16 in the declaration columns
constexpr std::size_t kMaxCountries = 65535;      // country ids are uint16 as well
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// The keys allowed in each table, in the order of scenario.h.
using KeyList = std::span<const std::string_view>;
constexpr std::string_view kRootKeys[] = {"run",    "arrivals", "catalogue",  "countries", "administrations",
                                          "traders", "fraud",    "inspection", "risk",      "strategy",
                                          "channels", "intelligence"};
constexpr std::string_view kRunKeys[] = {"days", "seed", "warmup_days", "strategies", "chunk_size", "replications"};
constexpr std::string_view kArrivalKeys[] = {"declarations_per_day", "indirect_route_share", "hub_countries",
                                             "hub_weights", "transport_modes", "transport_mode_weights",
                                             "ecommerce"};
constexpr std::string_view kEcommerceKeys[] = {"declarations_per_day", "value_log_mean",
                                               "value_log_sd",         "hs_chapters",
                                               "hs_chapter_weights",   "origins",
                                               "origin_weights",       "offices",
                                               "office_weights",       "consignees",
                                               "intermediaries",       "intermediary_zipf_exponent",
                                               "fraud_rate"};
constexpr std::string_view kCatalogueKeys[] = {
    "chapters",       "headings_per_chapter", "subheadings_per_heading", "tariff_min",          "tariff_max",
    "log_price_mean", "log_price_chapter_sd", "log_price_code_sd",       "log_price_sigma_min", "log_price_sigma_max",
    "specific_duty_share", "specific_duty_min", "specific_duty_max", "duty_relief_threshold_eur",
    "additional_duties", "codes", "chapter_origins"};
constexpr std::string_view kChapterOriginsKeys[] = {"chapter", "origins", "weights"};
// The synthetic-catalogue keys that an explicit catalogue (catalogue.codes) replaces.
constexpr std::string_view kSyntheticCatalogueKeys[] = {
    "chapters",       "headings_per_chapter", "subheadings_per_heading", "tariff_min",          "tariff_max",
    "log_price_mean", "log_price_chapter_sd", "log_price_code_sd",       "log_price_sigma_min", "log_price_sigma_max"};
constexpr std::string_view kCatalogueCodeKeys[] = {"hs6",          "weight",            "tariff",         "log_price_mean",
                                                   "log_price_sd", "log_quantity_mean", "log_quantity_sd"};
constexpr std::string_view kAdditionalDutyKeys[] = {"hs_chapters", "origins", "rate"};
constexpr std::string_view kAdministrationKeys[] = {"name",           "offices",       "inspection_capacity",
                                                    "trade_share",    "office_weights", "office_labels",
                                                    "documentary_capacity", "audit_capacity", "tip_coverage",
                                                    "tip_precision"};
constexpr std::string_view kTraderKeys[] = {"count",
                                            "volume_zipf_exponent",
                                            "portfolio_hs6",
                                            "portfolio_origins",
                                            "fraud_prone_share",
                                            "home_office_share",
                                            "max_age_days",
                                            "honest_new_share",
                                            "fraud_prone_new_share",
                                            "labels",
                                            "aeo_share",
                                            "aeo_fraud_prone_share",
                                            "declarants",
                                            "declarant_zipf_exponent"};
constexpr std::string_view kFraudKeys[] = {"fraud_prone_rate",        "honest_rate",      "undervaluation",
                                           "misclassification",       "origin_misdeclaration",
                                           "quantity_misdeclaration", "prohibited_goods", "low_value_splitting",
                                           "phoenix",                 "rings",            "adaptation"};
constexpr std::string_view kPhoenixKeys[] = {"enabled",        "firms",          "identities_per_firm",
                                             "volume_share",   "fraud_rate",     "lifetime_days",
                                             "shelf_days_max", "complicit_declarants", "declarant_loyalty"};
constexpr std::string_view kRingsKeys[] = {"enabled",    "rings",      "members_min",    "members_max",
                                           "fraud_rate", "declarant_share"};
constexpr std::string_view kAdaptationKeys[] = {"enabled",     "learning_rate", "switching_cost", "penalty_per_detection",
                                                "temperature", "prior_inspection_probability",
                                                "across_administrations", "understatement_levels", "choose_route"};
// Offices an adaptive fraudster can choose among (AdaptiveFraudsters keeps their utilities on the stack).
constexpr std::int64_t kMaxAdaptiveOffices = 1024;
// Understatement levels of an adaptive undervaluation (AdaptiveFraudsters keeps one belief per level).
constexpr std::int64_t kMaxUnderstatementLevels = 16;
constexpr std::string_view kUndervaluationKeys[] = {"enabled", "weight", "factor_min", "factor_max"};
constexpr std::string_view kMisclassificationKeys[] = {"enabled", "weight"};
constexpr std::string_view kOriginMisdeclarationKeys[] = {"enabled", "weight", "transit_countries",
                                                          "route_reveal_probability"};
constexpr std::string_view kQuantityMisdeclarationKeys[] = {"enabled", "weight", "factor_min", "factor_max"};
constexpr std::string_view kProhibitedGoodsKeys[] = {"enabled", "weight", "severity_min", "severity_max"};
constexpr std::string_view kLowValueSplittingKeys[] = {"enabled", "weight", "value_share_min", "value_share_max"};
constexpr std::string_view kInspectionKeys[] = {"detection_probability", "documentary_detection_probability",
                                                "audit_detection_probability"};
constexpr std::string_view kDetectionProbabilityKeys[] = {"undervaluation",          "misclassification",
                                                          "origin_misdeclaration",   "quantity_misdeclaration",
                                                          "prohibited_goods",        "low_value_splitting"};
constexpr std::string_view kRiskKeys[] = {"rule_weight",           "unit_value_weight",   "trader_history_weight",
                                          "declarant_history_weight", "trader_prior_strength", "min_reference_count", "price_reference",
                                          "price_window_days",     "combination",         "trader_ucb_multiplier",
                                          "logistic",              "gbdt",                "rules"};
constexpr std::string_view kLogisticKeys[] = {"retrain_every_days", "l2", "min_training_rows", "max_training_rows"};
constexpr std::string_view kGbdtKeys[] = {"trees",           "max_depth",          "learning_rate",     "subsample",
                                          "colsample_bytree", "min_child_weight",  "scale_pos_weight",  "max_bin",
                                          "retrain_every_days", "min_training_rows", "max_training_rows"};
const std::vector<std::string> kPriceReferenceLevels = {"hs6", "hs6_origin"};
constexpr std::string_view kRuleKeys[] = {"name",           "weight",         "hs_chapters",         "origins",
                                          "offices",        "unit_value_min", "unit_value_max",      "max_trader_age_days",
                                          "active_from_day", "active_until_day", "channel"};
// [strategy.<name>]: the keys of every instance, then those of its kind (kKindKeys).
constexpr std::string_view kStrategyInstanceKeys[] = {"kind", "combination", "exchange", "exchange_delay_days"};
constexpr std::string_view kHybridKeys[] = {"random_share"};
constexpr std::string_view kThresholdKeys[] = {"score_threshold"};
constexpr std::string_view kBanditKeys[] = {"method", "exploration", "weight"};
const std::vector<std::string> kBanditMethods = {"ucb", "thompson"};
constexpr std::string_view kAeoKeys[] = {"selection_factor"};
struct KindKeys {
  std::string_view kind;
  KeyList keys;
};
// Kinds with settings of their own; a kind not listed has none.
constexpr KindKeys kKindKeys[] = {
    {"hybrid", kHybridKeys}, {"threshold", kThresholdKeys}, {"bandit", kBanditKeys}, {"aeo", kAeoKeys}};
constexpr std::string_view kChannelsKeys[] = {"red", "yellow", "blue"};
constexpr std::string_view kChannelKeys[] = {"random_rate", "expected_rate"};
constexpr std::string_view kBlueChannelKeys[] = {"random_rate", "expected_rate", "delay_days"};
const std::vector<std::string> kRuleChannels = {"red", "yellow", "blue"};
constexpr std::string_view kIntelligenceKeys[] = {"coverage", "precision"};

// Where a key written at the top level belongs, for the hint "did you mean ... in [run]?".
struct TableKeys {
  std::string_view header;
  KeyList keys;
};
constexpr TableKeys kTablesWithValues[] = {
    {"[run]", kRunKeys},
    {"[arrivals]", kArrivalKeys},
    {"[arrivals.ecommerce]", kEcommerceKeys},
    {"[catalogue]", kCatalogueKeys},
    {"[[catalogue.additional_duties]]", kAdditionalDutyKeys},
    {"[[catalogue.codes]]", kCatalogueCodeKeys},
    {"[[catalogue.chapter_origins]]", kChapterOriginsKeys},
    {"[[administrations]]", kAdministrationKeys},
    {"[traders]", kTraderKeys},
    {"[fraud]", kFraudKeys},
    {"[fraud.undervaluation]", kUndervaluationKeys},
    {"[fraud.misclassification]", kMisclassificationKeys},
    {"[fraud.origin_misdeclaration]", kOriginMisdeclarationKeys},
    {"[fraud.quantity_misdeclaration]", kQuantityMisdeclarationKeys},
    {"[fraud.prohibited_goods]", kProhibitedGoodsKeys},
    {"[fraud.low_value_splitting]", kLowValueSplittingKeys},
    {"[fraud.phoenix]", kPhoenixKeys},
    {"[fraud.rings]", kRingsKeys},
    {"[fraud.adaptation]", kAdaptationKeys},
    {"[inspection.detection_probability]", kDetectionProbabilityKeys},
    {"[risk]", kRiskKeys},
    {"[risk.logistic]", kLogisticKeys},
    {"[risk.gbdt]", kGbdtKeys},
    {"[[risk.rules]]", kRuleKeys},
    {"[strategy.hybrid]", kHybridKeys},
    {"[strategy.threshold]", kThresholdKeys},
    {"[strategy.bandit]", kBanditKeys},
    {"[strategy.aeo]", kAeoKeys},
    {"[channels.red]", kChannelKeys},
    {"[channels.blue]", kBlueChannelKeys},
    {"[intelligence]", kIntelligenceKeys},
};

// ---------------------------------------------------------------------------------------------
// Small text helpers.

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// "run" + "days" -> "run.days"; keys that are not bare TOML keys are quoted.
std::string JoinKey(const std::string& path, std::string_view key) {
  std::string part = IsBareKey(key) ? std::string(key) : fmt::format("\"{}\"", key);
  return path.empty() ? part : path + "." + part;
}

std::string JoinIndex(const std::string& path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

template <typename Range>
std::string JoinList(const Range& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ", ";
    text += std::string_view(item);
  }
  return text;
}

// A number as written in a range message: integral values without a fraction ("1", "100000000").
std::string FormatBound(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{:.0f}", value);
  }
  return fmt::format("{}", value);
}

// A TOML float as a user would recognise it: always with a fraction or exponent ("5.0", "2.5").
std::string FormatFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  return text;
}

std::string Describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: {
      std::string text(node.as_string()->get());
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return fmt::format("a string (\"{}\")", text);
    }
    case toml::node_type::integer:
      return fmt::format("an integer ({})", node.as_integer()->get());
    case toml::node_type::floating_point:
      return fmt::format("a float ({})", FormatFloat(node.as_floating_point()->get()));
    case toml::node_type::boolean:
      return fmt::format("a boolean ({})", node.as_boolean()->get() ? "true" : "false");
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return node.as_array()->is_array_of_tables() && !node.as_array()->empty() ? "an array of tables"
                                                                                : "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// ---------------------------------------------------------------------------------------------
// Validation.

struct Location {
  std::string source;
  std::int64_t line = 0;
  std::int64_t column = 0;
};

// The outcome of reading one optional key: ok is false when the key was present but invalid; node
// is the key's value when present. Cross-field checks run only when all fields involved are ok.
struct Field {
  const toml::node* node = nullptr;
  bool ok = true;
};

// A valid string element of an array: its index and node, for locating later problems.
struct StringElement {
  std::size_t index = 0;
  const toml::node* node = nullptr;
};

struct DoubleRange {
  double min = -kInfinity;
  double max = kInfinity;
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool Contains(double value) const {
    const bool above = min_exclusive ? value > min : value >= min;
    const bool below = max_exclusive ? value < max : value <= max;
    return above && below;
  }

  std::string Describe() const {
    const bool has_min = min != -kInfinity;
    const bool has_max = max != kInfinity;
    const std::string lower = fmt::format("{} {}", min_exclusive ? "greater than" : "at least", FormatBound(min));
    const std::string upper = fmt::format("{} {}", max_exclusive ? "less than" : "at most", FormatBound(max));
    if (has_min && has_max) {
      if (!min_exclusive && !max_exclusive) {
        return fmt::format("between {} and {}", FormatBound(min), FormatBound(max));
      }
      return lower + " and " + upper;
    }
    if (has_min) return lower;
    if (has_max) return upper;
    return "finite";
  }
};

DoubleRange AtLeast(double min) { return {min, kInfinity, false, false}; }
DoubleRange GreaterThan(double min) { return {min, kInfinity, true, false}; }
DoubleRange Between(double min, double max) { return {min, max, false, false}; }
DoubleRange AnyFinite() { return {}; }

class ScenarioValidator {
 public:
  explicit ScenarioValidator(std::string file_source) : file_source_(std::move(file_source)) {}

  void Validate(const toml::table& root, ScenarioSpec& spec) {
    CheckKeys(root, "", kRootKeys);
    ReadRun(root, spec.run);
    ReadArrivals(root, spec.arrivals);
    ReadCatalogue(root, spec.catalogue);
    ReadCountries(root, spec.countries);
    ReadAdditionalDuties(root, spec);
    ReadCatalogueCodes(root, spec.catalogue);
    ReadHubCountries(root, spec);
    ReadChapterOrigins(root, spec);
    ReadAdministrations(root, spec.administrations);
    ReadEcommerce(root, spec);
    ReadTraders(root, spec.traders);
    ReadFraud(root, spec);
    ReadInspection(root, spec.inspection);
    ReadRisk(root, spec);
    ReadStrategy(root, spec);
    ReadChannels(root, spec.channels);
    ReadIntelligence(root, spec.intelligence);
  }

  void Report(const Location& where, std::string key, std::string message) {
    problems_.push_back(InputProblem{where.source, where.line, where.column, std::move(key), std::move(message)});
    override_ranks_.push_back(current_override_);
  }

  // Overrides are applied between BeginOverride and EndOverride, so that problems found while
  // applying one are ranked with it; NoteOverrideKey ranks later validation problems by key.
  void BeginOverride(std::size_t index) { current_override_ = index; }
  void EndOverride() { current_override_ = kUnranked; }
  void NoteOverrideKey(std::size_t index, std::string key) { override_keys_.emplace_back(index, std::move(key)); }

  void Report(const toml::node& at, std::string key, std::string message) {
    Report(Where(at), std::move(key), std::move(message));
  }

  // File problems in file order, then --set problems in the order of the overrides they come from.
  std::vector<InputProblem> TakeProblems() {
    std::vector<std::tuple<int, std::int64_t, std::int64_t, std::size_t>> order;  // sort key + index
    for (std::size_t i = 0; i < problems_.size(); ++i) {
      const InputProblem& problem = problems_[i];
      if (problem.source == file_source_) {
        order.emplace_back(0, problem.line, problem.column, i);
      } else {
        const std::size_t rank = override_ranks_[i] != kUnranked ? override_ranks_[i] : RankByKey(problem.key);
        order.emplace_back(1, static_cast<std::int64_t>(std::min<std::size_t>(rank, kMaxRank)), 0, i);
      }
    }
    std::sort(order.begin(), order.end());
    std::vector<InputProblem> sorted;
    sorted.reserve(problems_.size());
    for (const auto& entry : order) sorted.push_back(std::move(problems_[std::get<3>(entry)]));
    problems_.clear();
    override_ranks_.clear();
    return sorted;
  }

 private:
  bool FromFile(const toml::source_region& region) const {
    return region.path != nullptr && *region.path == file_source_;
  }

  Location Where(const toml::node& node) const {
    const toml::source_region& region = node.source();
    if (!FromFile(region)) return {std::string(kOverrideSource), 0, 0};
    return {file_source_, static_cast<std::int64_t>(region.begin.line), static_cast<std::int64_t>(region.begin.column)};
  }

  // Where a key is written; a value grafted by an override is located at the override.
  Location WhereKey(const toml::key& key, const toml::node& value) const {
    if (!FromFile(value.source())) return {std::string(kOverrideSource), 0, 0};
    if (FromFile(key.source()) && key.source().begin.line > 0) {
      return {file_source_, static_cast<std::int64_t>(key.source().begin.line),
              static_cast<std::int64_t>(key.source().begin.column)};
    }
    return Where(value);
  }

  static const toml::node& FirstPresent(std::initializer_list<const toml::node*> nodes, const toml::node& fallback) {
    for (const toml::node* node : nodes) {
      if (node != nullptr) return *node;
    }
    return fallback;
  }

  void ReportType(const toml::node& node, const std::string& key, std::string_view expected) {
    std::string message = fmt::format("expected {}, got {}", expected, Describe(node));
    if (expected == "an integer" && node.is_floating_point()) {
      const double value = node.as_floating_point()->get();
      if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 9e15) {
        message += fmt::format("; write {} without a decimal point", FormatBound(value));
      }
    }
    Report(node, key, std::move(message));
  }

  void CheckKeys(const toml::table& table, const std::string& path, KeyList allowed) {
    for (auto&& [key, value] : table) {
      const std::string_view name = key.str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      const bool is_table = value.is_table() || (value.is_array() && value.as_array()->is_array_of_tables() &&
                                                 !value.as_array()->empty());
      std::string message = fmt::format("unknown {} \"{}\"", is_table ? "table" : "key", name);
      if (auto hint = DidYouMean(name, allowed)) {
        message += fmt::format("; did you mean \"{}\"?", *hint);
      } else if (auto home = TableOfKey(name); path.empty() && !is_table && home) {
        message += fmt::format("; did you mean \"{}\" in {}?", name, *home);
      } else {
        message += fmt::format(" (allowed here: {})", JoinList(allowed));
      }
      Report(WhereKey(key, value), JoinKey(path, name), std::move(message));
    }
  }

  static std::optional<std::string_view> TableOfKey(std::string_view key) {
    for (const TableKeys& table : kTablesWithValues) {
      if (std::find(table.keys.begin(), table.keys.end(), key) != table.keys.end()) return table.header;
    }
    return std::nullopt;
  }

  // The sub-table `key` of `parent`: nullptr when absent or not a table (which is reported).
  const toml::table* SubTable(const toml::table& parent, const std::string& parent_path, std::string_view key,
                              KeyList allowed) {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return nullptr;
    const std::string path = JoinKey(parent_path, key);
    if (!node->is_table()) {
      ReportType(*node, path, fmt::format("a table ([{}])", path));
      return nullptr;
    }
    CheckKeys(*node->as_table(), path, allowed);
    return node->as_table();
  }

  bool CheckInt(const toml::node& node, const std::string& key, std::int64_t& out, std::int64_t min,
                std::int64_t max) {
    const auto* integer = node.as_integer();
    if (integer == nullptr) {
      ReportType(node, key, "an integer");
      return false;
    }
    const std::int64_t value = integer->get();
    if (value < min || value > max) {
      Report(node, key, fmt::format("must be between {} and {}, got {}", min, max, value));
      return false;
    }
    out = value;
    return true;
  }

  bool CheckDouble(const toml::node& node, const std::string& key, double& out, const DoubleRange& range) {
    double value = 0.0;
    if (const auto* integer = node.as_integer()) {
      value = static_cast<double>(integer->get());
    } else if (const auto* floating = node.as_floating_point()) {
      value = floating->get();
    } else {
      ReportType(node, key, "a number");
      return false;
    }
    if (!std::isfinite(value)) {
      Report(node, key, fmt::format("must be a finite number, got {}", FormatFloat(value)));
      return false;
    }
    if (!range.Contains(value)) {
      Report(node, key, fmt::format("must be {}, got {}", range.Describe(), FormatBound(value)));
      return false;
    }
    out = value;
    return true;
  }

  Field ReadInt(const toml::table* table, const std::string& path, std::string_view key, std::int64_t& out,
                std::int64_t min, std::int64_t max) {
    Field field;
    if (table == nullptr || (field.node = table->get(key)) == nullptr) return field;
    field.ok = CheckInt(*field.node, JoinKey(path, key), out, min, max);
    return field;
  }

  Field ReadDouble(const toml::table* table, const std::string& path, std::string_view key, double& out,
                   const DoubleRange& range) {
    Field field;
    if (table == nullptr || (field.node = table->get(key)) == nullptr) return field;
    field.ok = CheckDouble(*field.node, JoinKey(path, key), out, range);
    return field;
  }

  Field ReadOptionalInt(const toml::table* table, const std::string& path, std::string_view key,
                        std::optional<std::int64_t>& out, std::int64_t min, std::int64_t max) {
    std::int64_t value = 0;
    Field field = ReadInt(table, path, key, value, min, max);
    if (field.node != nullptr && field.ok) out = value;
    return field;
  }

  Field ReadOptionalDouble(const toml::table* table, const std::string& path, std::string_view key,
                           std::optional<double>& out, const DoubleRange& range) {
    double value = 0.0;
    Field field = ReadDouble(table, path, key, value, range);
    if (field.node != nullptr && field.ok) out = value;
    return field;
  }

  Field ReadBool(const toml::table* table, const std::string& path, std::string_view key, bool& out) {
    Field field;
    if (table == nullptr || (field.node = table->get(key)) == nullptr) return field;
    if (const auto* boolean = field.node->as_boolean()) {
      out = boolean->get();
    } else {
      ReportType(*field.node, JoinKey(path, key), "a boolean (true or false)");
      field.ok = false;
    }
    return field;
  }

  Field ReadString(const toml::table* table, const std::string& path, std::string_view key, std::string& out) {
    Field field;
    if (table == nullptr || (field.node = table->get(key)) == nullptr) return field;
    if (const auto* text = field.node->as_string()) {
      out = text->get();
    } else {
      ReportType(*field.node, JoinKey(path, key), "a string");
      field.ok = false;
    }
    return field;
  }

  // The array `key`, or nullptr when absent or not an array (which is reported).
  const toml::array* ReadArray(const toml::table* table, const std::string& path, std::string_view key,
                               std::string_view expected) {
    if (table == nullptr) return nullptr;
    const toml::node* node = table->get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_array()) {
      ReportType(*node, JoinKey(path, key), expected);
      return nullptr;
    }
    return node->as_array();
  }

  // Reads an array of strings; `elements` gets the valid elements with their index and node.
  const toml::array* ReadStringArray(const toml::table* table, const std::string& path, std::string_view key,
                                     std::vector<std::string>& out, std::vector<StringElement>& elements) {
    const toml::array* array = ReadArray(table, path, key, "an array of strings");
    if (array == nullptr) return nullptr;
    out.clear();
    elements.clear();
    const std::string array_path = JoinKey(path, key);
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (const auto* text = element.as_string()) {
        out.push_back(text->get());
        elements.push_back({i, &element});
      } else {
        ReportType(element, JoinIndex(array_path, i), "a string");
      }
    }
    return array;
  }

  // ---- [run]
  void ReadRun(const toml::table& root, RunSpec& run) {
    const toml::table* table = SubTable(root, "", "run", kRunKeys);
    const std::string path = "run";
    const Field days = ReadInt(table, path, "days", run.days, 1, kMaxDays);
    std::int64_t seed = static_cast<std::int64_t>(run.seed);
    if (ReadInt(table, path, "seed", seed, 0, std::numeric_limits<std::int64_t>::max()).ok) {
      run.seed = static_cast<std::uint64_t>(seed);
    }
    const Field warmup = ReadInt(table, path, "warmup_days", run.warmup_days, 0, 36500);
    if (days.ok && warmup.ok && run.warmup_days >= run.days) {
      Report(FirstPresent({warmup.node, days.node}, *table), "run.warmup_days",
             fmt::format("must be less than run.days ({}), got {}; no day would be left to measure", run.days,
                         run.warmup_days));
    }
    ReadInt(table, path, "chunk_size", run.chunk_size, 64, 16777216);
    ReadInt(table, path, "replications", run.replications, 1, 10000);

    std::vector<std::string> strategies;
    std::vector<StringElement> elements;
    const toml::array* array = ReadStringArray(table, path, "strategies", strategies, elements);
    if (array == nullptr) return;
    const std::vector<std::string>& registered = RegisteredStrategyNames();
    if (array->empty()) {
      Report(*array, "run.strategies",
             fmt::format("at least one strategy is required (registered: {})", JoinList(registered)));
      return;
    }
    // Whether a name is a registered strategy or has a [strategy.<name>] table is checked by
    // ReadStrategy, which knows the tables.
    std::set<std::string> seen;
    strategy_nodes_.clear();
    for (std::size_t i = 0; i < strategies.size(); ++i) {
      const std::string key = JoinIndex("run.strategies", elements[i].index);
      const toml::node& node = *elements[i].node;
      if (!seen.insert(strategies[i]).second) {
        Report(node, key, fmt::format("duplicate strategy \"{}\"; list each strategy once", strategies[i]));
      }
      strategy_nodes_.push_back({key, &node});
    }
    run.strategies = std::move(strategies);
  }

  // ---- [arrivals]
  void ReadArrivals(const toml::table& root, ArrivalSpec& arrivals) {
    const toml::table* table = SubTable(root, "", "arrivals", kArrivalKeys);
    ReadDouble(table, "arrivals", "declarations_per_day", arrivals.declarations_per_day, Between(1, 1e8));
    ReadDouble(table, "arrivals", "indirect_route_share", arrivals.indirect_route_share, Between(0, 1));
    ReadLabelsWithWeights(table, "arrivals", "transport_modes", "transport_mode_weights", arrivals.transport_modes,
                          arrivals.transport_mode_weights, "transport mode");
  }

  // arrivals.hub_countries and hub_weights; needs the countries already read.
  void ReadHubCountries(const toml::table& root, ScenarioSpec& spec) {
    const toml::table* table = root.get("arrivals") == nullptr ? nullptr : root.get("arrivals")->as_table();
    ArrivalSpec& arrivals = spec.arrivals;
    const toml::array* hubs = ReadCountryCodes(table, "arrivals", "hub_countries", CountryCodes(spec), arrivals.hub_countries);
    CheckUnique(hubs, "arrivals.hub_countries", arrivals.hub_countries, "hub country");
    const toml::array* weights = ReadNumberArray(table, "arrivals", "hub_weights", arrivals.hub_weights, GreaterThan(0));
    CheckSameLength(table, hubs, weights, "arrivals.hub_countries", "arrivals.hub_weights");
  }

  // [arrivals.ecommerce]; needs the countries, the catalogue and the administrations already read.
  void ReadEcommerce(const toml::table& root, ScenarioSpec& spec) {
    const toml::node* arrivals_node = root.get("arrivals");
    const toml::table* arrivals = arrivals_node == nullptr ? nullptr : arrivals_node->as_table();
    const toml::table* table = arrivals == nullptr ? nullptr : SubTable(*arrivals, "arrivals", "ecommerce", kEcommerceKeys);
    if (table == nullptr) return;
    const std::string path = "arrivals.ecommerce";
    EcommerceSpec& ecommerce = spec.arrivals.ecommerce;
    ReadDouble(table, path, "declarations_per_day", ecommerce.declarations_per_day, Between(0, 1e8));
    ReadDouble(table, path, "value_log_mean", ecommerce.value_log_mean, Between(-10, 15));
    ReadDouble(table, path, "value_log_sd", ecommerce.value_log_sd, Between(0, 5));
    ReadInt(table, path, "consignees", ecommerce.consignees, 1, 10000000);
    ReadInt(table, path, "intermediaries", ecommerce.intermediaries, 1, 10000);
    ReadDouble(table, path, "intermediary_zipf_exponent", ecommerce.intermediary_zipf_exponent, Between(0, 5));
    ReadDouble(table, path, "fraud_rate", ecommerce.fraud_rate, Between(0, 1));

    // Chapters: each must have codes in the catalogue (the synthetic one spreads catalogue.chapters
    // chapters over the real ones: SyntheticCatalogueChapter; an explicit one has its codes' chapters).
    const std::vector<std::int64_t> chapters = ReadChapters(*table, path, "hs_chapters");
    if (const toml::array* array = table->get_as<toml::array>("hs_chapters")) {
      std::set<std::int64_t> seen;
      for (std::size_t i = 0, k = 0; i < array->size() && k < chapters.size(); ++i) {
        const toml::node& element = *array->get(i);
        if (!element.is_integer() || element.as_integer()->get() != chapters[k]) continue;
        const std::int64_t chapter = chapters[k++];
        const std::string element_key = JoinIndex(path + ".hs_chapters", i);
        if (!seen.insert(chapter).second) {
          Report(element, element_key, fmt::format("duplicate chapter {}", chapter));
        } else if (!CatalogueHasChapter(spec.catalogue, chapter)) {
          Report(element, element_key, fmt::format("HS chapter {} has no codes in the catalogue", chapter));
        }
      }
      const toml::array* weights =
          ReadNumberArray(table, path, "hs_chapter_weights", ecommerce.hs_chapter_weights, GreaterThan(0));
      if (weights != nullptr && weights->size() != array->size()) {
        Report(*weights, path + ".hs_chapter_weights",
               fmt::format("must have one weight per element of {}.hs_chapters ({}), got {}", path, array->size(),
                           weights->size()));
      }
    } else if (const toml::node* weights = table->get("hs_chapter_weights")) {
      Report(*weights, path + ".hs_chapter_weights", "needs arrivals.ecommerce.hs_chapters, one weight per chapter");
    }
    ecommerce.hs_chapters = chapters;

    const toml::array* origins = ReadCountryCodes(table, path, "origins", CountryCodes(spec), ecommerce.origins);
    CheckUnique(origins, path + ".origins", ecommerce.origins, "origin");
    const toml::array* origin_weights =
        ReadNumberArray(table, path, "origin_weights", ecommerce.origin_weights, GreaterThan(0));
    CheckSameLength(table, origins, origin_weights, path + ".origins", path + ".origin_weights");

    std::vector<StringElement> elements;
    const toml::array* offices = ReadStringArray(table, path, "offices", ecommerce.offices, elements);
    CheckUnique(offices, path + ".offices", ecommerce.offices, "office");
    for (std::size_t i = 0; i < ecommerce.offices.size(); ++i) {
      if (auto message = CheckOfficeName(ecommerce.offices[i], spec.administrations)) {
        Report(*elements[i].node, JoinIndex(path + ".offices", elements[i].index), std::move(*message));
      }
    }
    const toml::array* office_weights =
        ReadNumberArray(table, path, "office_weights", ecommerce.office_weights, GreaterThan(0));
    CheckSameLength(table, offices, office_weights, path + ".offices", path + ".office_weights");
  }

  // Whether the catalogue has codes of HS chapter `chapter`.
  static bool CatalogueHasChapter(const CatalogueSpec& catalogue, std::int64_t chapter) {
    if (!catalogue.codes.empty()) {
      return std::any_of(catalogue.codes.begin(), catalogue.codes.end(),
                         [&](const CatalogueCodeSpec& code) { return code.hs6 / 10000 == chapter; });
    }
    const auto chapters = static_cast<std::size_t>(catalogue.chapters);
    for (std::size_t k = 0; k < chapters; ++k) {
      if (SyntheticCatalogueChapter(k, chapters) == chapter) return true;
    }
    return false;
  }

  // catalogue.chapter_origins; needs the countries already read.
  void ReadChapterOrigins(const toml::table& root, ScenarioSpec& spec) {
    const toml::table* catalogue = root.get("catalogue") == nullptr ? nullptr : root.get("catalogue")->as_table();
    const toml::array* tables =
        ReadArray(catalogue, "catalogue", "chapter_origins", "an array of tables (catalogue.chapter_origins)");
    if (tables == nullptr) return;
    std::map<std::int64_t, std::size_t> seen;
    for (std::size_t i = 0; i < tables->size(); ++i) {
      const toml::node& element = *tables->get(i);
      const std::string path = JoinIndex("catalogue.chapter_origins", i);
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        ReportType(element, path, "a table {chapter = ..., origins = [...], weights = [...]}");
        continue;
      }
      CheckKeys(*table, path, kChapterOriginsKeys);
      ChapterOriginsSpec entry;
      const Field chapter = ReadInt(table, path, "chapter", entry.chapter, 1, 97);
      if (chapter.node == nullptr) Report(*table, path + ".chapter", "missing required key \"chapter\"");
      if (chapter.ok && entry.chapter == 77) {
        Report(*chapter.node, path + ".chapter", "HS chapter 77 does not exist (reserved for future use)");
      } else if (chapter.ok) {
        if (auto [it, inserted] = seen.emplace(entry.chapter, i); !inserted) {
          Report(*chapter.node, path + ".chapter",
                 fmt::format("duplicate chapter {} (first at catalogue.chapter_origins[{}])", entry.chapter, it->second));
        }
      }
      const toml::array* origins = ReadCountryCodes(table, path, "origins", CountryCodes(spec), entry.origins);
      CheckUnique(origins, path + ".origins", entry.origins, "origin");
      const toml::array* weights = ReadNumberArray(table, path, "weights", entry.weights, GreaterThan(0));
      if (origins == nullptr || origins->empty()) {
        Report(origins != nullptr ? static_cast<const toml::node&>(*origins) : *table, path + ".origins",
               "at least one origin is required");
      } else {
        CheckSameLength(table, origins, weights, path + ".origins", path + ".weights");
      }
      spec.catalogue.chapter_origins.push_back(std::move(entry));
    }
  }

  // An array of numbers in `range`; nullptr when absent. Invalid elements are reported and left out.
  const toml::array* ReadNumberArray(const toml::table* table, const std::string& path, std::string_view key,
                                     std::vector<double>& out, const DoubleRange& range) {
    const toml::array* array = ReadArray(table, path, key, "an array of numbers");
    if (array == nullptr) return nullptr;
    out.clear();
    for (std::size_t i = 0; i < array->size(); ++i) {
      double value = 0.0;
      if (CheckDouble(*array->get(i), JoinIndex(JoinKey(path, key), i), value, range)) out.push_back(value);
    }
    return array;
  }

  // Every element of a string array is non-empty and unique.
  void CheckUnique(const toml::array* array, const std::string& key, const std::vector<std::string>& values,
                   std::string_view what) {
    if (array == nullptr) return;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < values.size() && i < array->size(); ++i) {
      if (values[i].empty()) {
        Report(*array->get(i), JoinIndex(key, i), fmt::format("{} must not be empty", what));
      } else if (!seen.insert(values[i]).second) {
        Report(*array->get(i), JoinIndex(key, i), fmt::format("duplicate {} \"{}\"", what, values[i]));
      }
    }
  }

  // Two arrays that must have the same length (both present or both absent).
  void CheckSameLength(const toml::table* table, const toml::array* labels, const toml::array* weights,
                       const std::string& labels_key, const std::string& weights_key) {
    if (labels == nullptr && weights == nullptr) return;
    if (labels == nullptr || weights == nullptr) {
      Report(labels != nullptr ? static_cast<const toml::node&>(*labels)
                               : (weights != nullptr ? static_cast<const toml::node&>(*weights) : *table),
             labels == nullptr ? labels_key : weights_key,
             fmt::format("{} and {} go together: give both or neither", labels_key, weights_key));
      return;
    }
    if (labels->size() != weights->size()) {
      Report(*weights, weights_key,
             fmt::format("must have one weight per element of {} ({}), got {}", labels_key, labels->size(),
                         weights->size()));
    }
  }

  // A label array (unique, non-empty strings) with its weight array (> 0, same length).
  void ReadLabelsWithWeights(const toml::table* table, const std::string& path, std::string_view labels_key,
                             std::string_view weights_key, std::vector<std::string>& labels,
                             std::vector<double>& weights, std::string_view what) {
    std::vector<StringElement> elements;
    const toml::array* label_array = ReadStringArray(table, path, labels_key, labels, elements);
    CheckUnique(label_array, JoinKey(path, labels_key), labels, what);
    const toml::array* weight_array = ReadNumberArray(table, path, weights_key, weights, GreaterThan(0));
    CheckSameLength(table, label_array, weight_array, JoinKey(path, labels_key), JoinKey(path, weights_key));
  }

  // ---- [catalogue]
  void ReadCatalogue(const toml::table& root, CatalogueSpec& catalogue) {
    const toml::table* table =
        SubTable(root, "", "catalogue", kCatalogueKeys);
    const std::string path = "catalogue";
    ReadInt(table, path, "chapters", catalogue.chapters, 1, 96);
    ReadInt(table, path, "headings_per_chapter", catalogue.headings_per_chapter, 1, 99);
    ReadInt(table, path, "subheadings_per_heading", catalogue.subheadings_per_heading, 1, 99);
    const Field tariff_min = ReadDouble(table, path, "tariff_min", catalogue.tariff_min, Between(0, 1));
    const Field tariff_max = ReadDouble(table, path, "tariff_max", catalogue.tariff_max, Between(0, 1));
    if (tariff_min.ok && tariff_max.ok && catalogue.tariff_max < catalogue.tariff_min) {
      Report(FirstPresent({tariff_max.node, tariff_min.node}, *table), "catalogue.tariff_max",
             fmt::format("must be at least catalogue.tariff_min ({}), got {}", FormatBound(catalogue.tariff_min),
                         FormatBound(catalogue.tariff_max)));
    }
    ReadDouble(table, path, "log_price_mean", catalogue.log_price_mean, AnyFinite());
    ReadDouble(table, path, "log_price_chapter_sd", catalogue.log_price_chapter_sd, AtLeast(0));
    ReadDouble(table, path, "log_price_code_sd", catalogue.log_price_code_sd, AtLeast(0));
    const Field sigma_min =
        ReadDouble(table, path, "log_price_sigma_min", catalogue.log_price_sigma_min, GreaterThan(0));
    const Field sigma_max =
        ReadDouble(table, path, "log_price_sigma_max", catalogue.log_price_sigma_max, GreaterThan(0));
    if (sigma_min.ok && sigma_max.ok && catalogue.log_price_sigma_max < catalogue.log_price_sigma_min) {
      Report(FirstPresent({sigma_max.node, sigma_min.node}, *table), "catalogue.log_price_sigma_max",
             fmt::format("must be at least catalogue.log_price_sigma_min ({}), got {}",
                         FormatBound(catalogue.log_price_sigma_min), FormatBound(catalogue.log_price_sigma_max)));
    }
    ReadDouble(table, path, "specific_duty_share", catalogue.specific_duty_share, Between(0, 1));
    ReadDoubleRange(table, path, "specific_duty_min", "specific_duty_max", catalogue.specific_duty_min,
                    catalogue.specific_duty_max, AtLeast(0));
    ReadDouble(table, path, "duty_relief_threshold_eur", catalogue.duty_relief_threshold_eur, AtLeast(0));
  }

  // ---- catalogue.codes: the explicit catalogue.
  void ReadCatalogueCodes(const toml::table& root, CatalogueSpec& catalogue) {
    const toml::table* table = root.get("catalogue") == nullptr ? nullptr : root.get("catalogue")->as_table();
    const toml::array* codes = ReadArray(table, "catalogue", "codes", "an array of tables (catalogue.codes)");
    if (codes == nullptr) return;
    if (codes->empty()) {
      Report(*codes, "catalogue.codes", "at least one code is required (leave the key out for the synthetic catalogue)");
      return;
    }
    for (const std::string_view key : kSyntheticCatalogueKeys) {
      if (const toml::node* node = table->get(key)) {
        Report(*node, JoinKey("catalogue", key),
               "has no effect with an explicit catalogue (catalogue.codes): leave it out");
      }
    }
    std::map<std::int64_t, std::size_t> seen;
    for (std::size_t i = 0; i < codes->size(); ++i) {
      const toml::node& element = *codes->get(i);
      const std::string path = JoinIndex("catalogue.codes", i);
      const toml::table* code_table = element.as_table();
      if (code_table == nullptr) {
        ReportType(element, path, "a table {hs6 = ..., weight = ..., ...}");
        continue;
      }
      CheckKeys(*code_table, path, kCatalogueCodeKeys);
      CatalogueCodeSpec code;
      const Field hs6 = ReadInt(code_table, path, "hs6", code.hs6, 10000, 979999);
      if (hs6.node == nullptr) Report(*code_table, path + ".hs6", "missing required key \"hs6\"");
      if (hs6.ok) {
        if (code.hs6 / 10000 == 77) {
          Report(*hs6.node, path + ".hs6", "HS chapter 77 does not exist (reserved for future use)");
        } else if (auto [it, inserted] = seen.emplace(code.hs6, i); !inserted) {
          Report(*hs6.node, path + ".hs6", fmt::format("duplicate HS6 code {:06d} (first at catalogue.codes[{}])",
                                                       code.hs6, it->second));
        }
      }
      ReadDouble(code_table, path, "weight", code.weight, GreaterThan(0));
      ReadDouble(code_table, path, "tariff", code.tariff, Between(0, 10));
      for (const auto& [key, out] : {std::pair<std::string_view, double*>{"log_price_mean", &code.log_price_mean},
                                     {"log_quantity_mean", &code.log_quantity_mean}}) {
        if (ReadDouble(code_table, path, key, *out, AnyFinite()).node == nullptr) {
          Report(*code_table, JoinKey(path, key), fmt::format("missing required key \"{}\"", key));
        }
      }
      ReadDouble(code_table, path, "log_price_sd", code.log_price_sd, AtLeast(0));
      ReadDouble(code_table, path, "log_quantity_sd", code.log_quantity_sd, AtLeast(0));
      catalogue.codes.push_back(code);
    }
  }

  // Reads key_min and key_max, both in `range`, and checks key_min <= key_max.
  std::pair<Field, Field> ReadDoubleRange(const toml::table* table, const std::string& path, std::string_view key_min,
                                          std::string_view key_max, double& min, double& max,
                                          const DoubleRange& range) {
    const Field min_field = ReadDouble(table, path, key_min, min, range);
    const Field max_field = ReadDouble(table, path, key_max, max, range);
    if (min_field.ok && max_field.ok && min > max) {
      Report(FirstPresent({max_field.node, min_field.node}, *table), JoinKey(path, key_max),
             fmt::format("must be at least {} ({}), got {}", JoinKey(path, key_min), FormatBound(min),
                         FormatBound(max)));
    }
    return {min_field, max_field};
  }

  // HS chapter numbers (1..97, not 77) of the array `key`; problems are reported.
  std::vector<std::int64_t> ReadChapters(const toml::table& table, const std::string& path, std::string_view key) {
    std::vector<std::int64_t> chapters_read;
    const toml::array* chapters = ReadArray(&table, path, key, "an array of integers");
    if (chapters == nullptr) return chapters_read;
    const std::string chapters_path = JoinKey(path, key);
    for (std::size_t i = 0; i < chapters->size(); ++i) {
      const toml::node& element = *chapters->get(i);
      const std::string element_key = JoinIndex(chapters_path, i);
      std::int64_t chapter = 0;
      if (!CheckInt(element, element_key, chapter, 1, 97)) continue;
      if (chapter == 77) {
        Report(element, element_key, "HS chapter 77 does not exist (reserved for future use)");
        continue;
      }
      chapters_read.push_back(chapter);
    }
    return chapters_read;
  }

  // Country codes of the array `key`, each checked against [countries]; nullptr when absent.
  const toml::array* ReadCountryCodes(const toml::table* table, const std::string& path, std::string_view key,
                                      const std::vector<std::string>& country_codes, std::vector<std::string>& out) {
    std::vector<StringElement> elements;
    const toml::array* array = ReadStringArray(table, path, key, out, elements);
    if (array == nullptr) return nullptr;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::string& code = out[i];
      if (std::find(country_codes.begin(), country_codes.end(), code) != country_codes.end()) continue;
      Report(*elements[i].node, JoinIndex(JoinKey(path, key), elements[i].index),
             fmt::format("{} \"{}\" is not in [countries]{}", key == "transit_countries" ? "transit country"
                                                 : (key == "hub_countries" ? "hub country" : "origin"),
                         code, HintSuffix(code, country_codes)));
    }
    return array;
  }

  static std::vector<std::string> CountryCodes(const ScenarioSpec& spec) {
    std::vector<std::string> codes;
    for (const CountrySpec& country : spec.countries) codes.push_back(country.iso);
    return codes;
  }

  // ---- [[catalogue.additional_duties]]; needs the countries already read.
  void ReadAdditionalDuties(const toml::table& root, ScenarioSpec& spec) {
    const toml::table* catalogue = root.get("catalogue") == nullptr ? nullptr : root.get("catalogue")->as_table();
    const toml::array* duties =
        ReadArray(catalogue, "catalogue", "additional_duties", "an array of tables ([[catalogue.additional_duties]])");
    if (duties == nullptr) return;
    for (std::size_t i = 0; i < duties->size(); ++i) {
      const toml::node& element = *duties->get(i);
      const std::string path = JoinIndex("catalogue.additional_duties", i);
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        ReportType(element, path, "a table ([[catalogue.additional_duties]])");
        continue;
      }
      CheckKeys(*table, path, kAdditionalDutyKeys);
      AdditionalDutySpec duty;
      duty.hs_chapters = ReadChapters(*table, path, "hs_chapters");
      const toml::node* chapters = table->get("hs_chapters");
      if (chapters == nullptr || (chapters->is_array() && chapters->as_array()->empty())) {
        Report(chapters != nullptr ? *chapters : static_cast<const toml::node&>(*table), path + ".hs_chapters",
               "at least one HS chapter is required");
      }
      const toml::array* origins = ReadCountryCodes(table, path, "origins", CountryCodes(spec), duty.origins);
      if (origins == nullptr ? table->get("origins") == nullptr : origins->empty()) {
        Report(origins != nullptr ? static_cast<const toml::node&>(*origins) : *table, path + ".origins",
               "at least one origin is required");
      }
      ReadDouble(table, path, "rate", duty.rate, {0, 1, true, false});
      spec.catalogue.additional_duties.push_back(std::move(duty));
    }
  }

  // ---- [countries]: toml++ keeps keys sorted, so file order is recovered from key positions.
  void ReadCountries(const toml::table& root, std::vector<CountrySpec>& countries) {
    const toml::node* node = root.get("countries");
    if (node == nullptr) {
      Report(root, "countries",
             "at least one country is required: add a [countries] table of ISO code = trade weight, e.g. CN = 20.0");
      return;
    }
    if (!node->is_table()) {
      ReportType(*node, "countries", "a table ([countries]) of ISO code = weight");
      return;
    }
    const toml::table& table = *node->as_table();
    if (table.empty()) {
      Report(table, "countries", "at least one country is required, e.g. CN = 20.0");
      return;
    }
    struct Entry {
      const toml::key* key;
      const toml::node* value;
    };
    std::vector<Entry> entries;
    for (auto&& [key, value] : table) entries.push_back({&key, &value});
    auto order = [this](const Entry& entry) {
      const Location where = WhereKey(*entry.key, *entry.value);
      const bool from_file = where.source == file_source_;
      return std::tuple(from_file ? 0 : 1, where.line, where.column);
    };
    std::stable_sort(entries.begin(), entries.end(),
                     [&](const Entry& a, const Entry& b) { return order(a) < order(b); });
    for (const Entry& entry : entries) {
      const std::string code(entry.key->str());
      const std::string key = JoinKey("countries", code);
      bool valid = true;
      const bool two_upper = code.size() == 2 && std::isupper(static_cast<unsigned char>(code[0])) &&
                             std::isupper(static_cast<unsigned char>(code[1]));
      if (!two_upper) {
        std::string message = fmt::format("country code \"{}\" must be two upper-case letters (ISO 3166 alpha-2)", code);
        if (code.size() == 2 && std::isalpha(static_cast<unsigned char>(code[0])) &&
            std::isalpha(static_cast<unsigned char>(code[1]))) {
          std::string upper = code;
          for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          message += fmt::format("; did you mean \"{}\"?", upper);
        }
        Report(WhereKey(*entry.key, *entry.value), key, std::move(message));
        valid = false;
      }
      double weight = 0.0;
      if (!CheckDouble(*entry.value, key, weight, GreaterThan(0))) valid = false;
      if (valid) countries.push_back(CountrySpec{code, weight});
    }
    if (entries.size() > kMaxCountries) {
      Report(table, "countries", fmt::format("at most {} countries are supported, got {}", kMaxCountries, entries.size()));
    }
  }

  // ---- [[administrations]]
  void ReadAdministrations(const toml::table& root, std::vector<AdministrationSpec>& administrations) {
    const toml::node* node = root.get("administrations");
    if (node == nullptr) {
      Report(root, "administrations",
             "at least one administration is required: add [[administrations]] tables with name = \"...\" "
             "and offices = N");
      return;
    }
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      ReportType(*node, "administrations", "an array of tables ([[administrations]])");
      return;
    }
    if (array->empty()) {
      Report(*array, "administrations", "at least one administration is required");
      return;
    }
    std::map<std::string, std::int64_t> first_line;
    std::int64_t total_offices = 0;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string path = JoinIndex("administrations", i);
      const toml::table* table = element.as_table();
      if (table == nullptr) {
        ReportType(element, path, "a table ([[administrations]])");
        continue;
      }
      CheckKeys(*table, path, kAdministrationKeys);
      AdministrationSpec administration;
      const Field name = ReadString(table, path, "name", administration.name);
      if (name.node == nullptr) {
        Report(*table, path + ".name", "missing required key \"name\"");
      } else if (name.ok) {
        const std::string& text = administration.name;
        if (text.empty() || !IsBareKey(text)) {
          Report(*name.node, path + ".name",
                 fmt::format("administration name \"{}\" must be non-empty and use only letters, digits, '-' and '_'",
                             text));
        } else if (auto [it, inserted] = first_line.emplace(text, Where(*name.node).line); !inserted) {
          Report(*name.node, path + ".name",
                 it->second > 0 ? fmt::format("duplicate administration name \"{}\" (first defined at line {})",
                                              text, it->second)
                                : fmt::format("duplicate administration name \"{}\"", text));
        }
      }
      ReadInt(table, path, "offices", administration.offices, 1, 1000);
      ReadInt(table, path, "inspection_capacity", administration.inspection_capacity, 0, 10000000);
      ReadDouble(table, path, "trade_share", administration.trade_share, GreaterThan(0));
      const toml::array* weights =
          ReadNumberArray(table, path, "office_weights", administration.office_weights, GreaterThan(0));
      if (weights != nullptr && static_cast<std::int64_t>(weights->size()) != administration.offices) {
        Report(*weights, path + ".office_weights",
               fmt::format("must have one weight per office ({}), got {}", administration.offices, weights->size()));
      }
      std::vector<StringElement> label_elements;
      const toml::array* labels =
          ReadStringArray(table, path, "office_labels", administration.office_labels, label_elements);
      CheckUnique(labels, path + ".office_labels", administration.office_labels, "office label");
      if (labels != nullptr && static_cast<std::int64_t>(labels->size()) != administration.offices) {
        Report(*labels, path + ".office_labels",
               fmt::format("must have one label per office ({}), got {}", administration.offices, labels->size()));
      }
      ReadInt(table, path, "documentary_capacity", administration.documentary_capacity, 0, 10000000);
      ReadInt(table, path, "audit_capacity", administration.audit_capacity, 0, 10000000);
      ReadOptionalDouble(table, path, "tip_coverage", administration.tip_coverage, Between(0, 1));
      const Field tip_precision =
          ReadDouble(table, path, "tip_precision", administration.tip_precision, {0, 1, true, false});
      if (tip_precision.node != nullptr && tip_precision.ok && !administration.tip_coverage) {
        Report(*tip_precision.node, JoinKey(path, "tip_precision"),
               "applies only with tip_coverage (the administration's own tips); without it the administration takes "
               "[intelligence]'s");
      }
      total_offices += administration.offices;
      administrations.push_back(std::move(administration));
    }
    if (total_offices > kMaxTotalOffices) {
      Report(*array, "administrations",
             fmt::format("at most {} offices in total are supported, got {}", kMaxTotalOffices, total_offices));
    }
  }

  // ---- [traders]
  void ReadTraders(const toml::table& root, TraderSpec& traders) {
    const toml::table* table =
        SubTable(root, "", "traders", kTraderKeys);
    const std::string path = "traders";
    ReadInt(table, path, "count", traders.count, 1, 100000000);
    ReadDouble(table, path, "volume_zipf_exponent", traders.volume_zipf_exponent, Between(0, 5));
    ReadInt(table, path, "portfolio_hs6", traders.portfolio_hs6, 1, 100);
    ReadInt(table, path, "portfolio_origins", traders.portfolio_origins, 1, 100);
    ReadDouble(table, path, "fraud_prone_share", traders.fraud_prone_share, Between(0, 1));
    ReadDouble(table, path, "home_office_share", traders.home_office_share, Between(0, 1));
    ReadInt(table, path, "max_age_days", traders.max_age_days, 1, 36500);
    ReadDouble(table, path, "honest_new_share", traders.honest_new_share, Between(0, 1));
    ReadDouble(table, path, "fraud_prone_new_share", traders.fraud_prone_new_share, Between(0, 1));
    ReadInt(table, path, "declarants", traders.declarants, 1, 65535);
    ReadDouble(table, path, "declarant_zipf_exponent", traders.declarant_zipf_exponent, Between(0, 5));
    std::vector<StringElement> label_elements;
    const toml::array* labels = ReadStringArray(table, path, "labels", traders.labels, label_elements);
    CheckUnique(labels, "traders.labels", traders.labels, "trader label");
    if (labels != nullptr && static_cast<std::int64_t>(labels->size()) > traders.count) {
      Report(*labels, "traders.labels",
             fmt::format("at most one label per trader ({}), got {}", traders.count, labels->size()));
    }
    const Field aeo = ReadDouble(table, path, "aeo_share", traders.aeo_share, Between(0, 1));
    const Field aeo_prone = ReadDouble(table, path, "aeo_fraud_prone_share", traders.aeo_fraud_prone_share, Between(0, 1));
    // AEOs are drawn from honest and fraud-prone traders so that both shares hold on average
    // (world.cc): neither group may need more AEOs than it has traders.
    if (aeo.ok && aeo_prone.ok && traders.aeo_share > 0) {
      const double prone = traders.fraud_prone_share;
      const double need_prone = traders.aeo_share * traders.aeo_fraud_prone_share;
      const double need_honest = traders.aeo_share - need_prone;
      if (need_prone > prone + 1e-12 || need_honest > 1.0 - prone + 1e-12) {
        Report(FirstPresent({aeo_prone.node, aeo.node}, *table), "traders.aeo_fraud_prone_share",
               fmt::format("aeo_share x aeo_fraud_prone_share ({}) must be at most fraud_prone_share ({}) and "
                           "aeo_share x (1 - aeo_fraud_prone_share) ({}) at most 1 - fraud_prone_share ({})",
                           FormatBound(need_prone), FormatBound(prone), FormatBound(need_honest),
                           FormatBound(1.0 - prone)));
      }
    }
  }

  // The [fraud.<name>] table of a typology: its enabled and weight keys. `table` is nullptr when
  // absent. ok is false when either key is invalid; active when enabled with a positive weight.
  struct TypologyTable {
    const toml::table* table = nullptr;
    std::string path;
    bool ok = true;
    bool active = false;
  };

  TypologyTable ReadTypology(const toml::table* fraud_table, std::string_view name, KeyList keys, bool& enabled,
                             double& weight) {
    TypologyTable typology;
    typology.path = JoinKey("fraud", name);
    typology.table = fraud_table == nullptr ? nullptr : SubTable(*fraud_table, "fraud", name, keys);
    const Field enabled_field = ReadBool(typology.table, typology.path, "enabled", enabled);
    const Field weight_field = ReadDouble(typology.table, typology.path, "weight", weight, AtLeast(0));
    typology.ok = enabled_field.ok && weight_field.ok;
    typology.active = enabled && weight > 0;
    return typology;
  }

  // A typology enabled without what it needs elsewhere in the scenario.
  void RequireFor(const TypologyTable& typology, bool satisfied, const toml::node& fallback, std::string message) {
    if (!typology.ok || !typology.active || satisfied) return;
    const toml::node* enabled = typology.table == nullptr ? nullptr : typology.table->get("enabled");
    Report(FirstPresent({enabled, typology.table}, fallback), typology.path, std::move(message));
  }

  // ---- [fraud] and its typology tables; needs [catalogue] and [countries] already read.
  void ReadFraud(const toml::table& root, ScenarioSpec& spec) {
    FraudSpec& fraud = spec.fraud;
    const toml::table* table = SubTable(root, "", "fraud", kFraudKeys);
    const std::string path = "fraud";
    const Field prone_rate = ReadDouble(table, path, "fraud_prone_rate", fraud.fraud_prone_rate, Between(0, 1));
    const Field honest_rate = ReadDouble(table, path, "honest_rate", fraud.honest_rate, Between(0, 1));
    const DoubleRange open_unit{0, 1, true, true};

    UndervaluationSpec& uv = fraud.undervaluation;
    const TypologyTable under = ReadTypology(table, "undervaluation", kUndervaluationKeys, uv.enabled, uv.weight);
    ReadDoubleRange(under.table, under.path, "factor_min", "factor_max", uv.factor_min, uv.factor_max, open_unit);

    MisclassificationSpec& mc = fraud.misclassification;
    const TypologyTable mis = ReadTypology(table, "misclassification", kMisclassificationKeys, mc.enabled, mc.weight);

    OriginMisdeclarationSpec& om = fraud.origin_misdeclaration;
    const TypologyTable origin =
        ReadTypology(table, "origin_misdeclaration", kOriginMisdeclarationKeys, om.enabled, om.weight);
    ReadCountryCodes(origin.table, origin.path, "transit_countries", CountryCodes(spec), om.transit_countries);
    ReadDouble(origin.table, origin.path, "route_reveal_probability", om.route_reveal_probability, Between(0, 1));
    RequireFor(origin, !om.transit_countries.empty(), root,
               "needs at least one country in fraud.origin_misdeclaration.transit_countries");
    RequireFor(origin, !spec.catalogue.additional_duties.empty(), root,
               "needs [[catalogue.additional_duties]]: without an additional duty there is nothing to evade by "
               "declaring another origin");

    QuantityMisdeclarationSpec& qm = fraud.quantity_misdeclaration;
    const TypologyTable quantity =
        ReadTypology(table, "quantity_misdeclaration", kQuantityMisdeclarationKeys, qm.enabled, qm.weight);
    ReadDoubleRange(quantity.table, quantity.path, "factor_min", "factor_max", qm.factor_min, qm.factor_max,
                    open_unit);
    RequireFor(quantity, spec.catalogue.specific_duty_share > 0 && spec.catalogue.specific_duty_max > 0, root,
               "needs codes with a specific duty: set catalogue.specific_duty_share and catalogue.specific_duty_max "
               "above 0");

    ProhibitedGoodsSpec& pg = fraud.prohibited_goods;
    const TypologyTable prohibited = ReadTypology(table, "prohibited_goods", kProhibitedGoodsKeys, pg.enabled, pg.weight);
    ReadDoubleRange(prohibited.table, prohibited.path, "severity_min", "severity_max", pg.severity_min,
                    pg.severity_max, GreaterThan(0));

    LowValueSplittingSpec& lv = fraud.low_value_splitting;
    const TypologyTable low_value =
        ReadTypology(table, "low_value_splitting", kLowValueSplittingKeys, lv.enabled, lv.weight);
    ReadDoubleRange(low_value.table, low_value.path, "value_share_min", "value_share_max", lv.value_share_min,
                    lv.value_share_max, open_unit);
    RequireFor(low_value, spec.catalogue.duty_relief_threshold_eur > 0, root,
               "needs a duty relief threshold: set catalogue.duty_relief_threshold_eur above 0");

    PhoenixSpec& phoenix = fraud.phoenix;
    const std::string phoenix_path = JoinKey("fraud", "phoenix");
    const toml::table* phoenix_table = table == nullptr ? nullptr : SubTable(*table, "fraud", "phoenix", kPhoenixKeys);
    ReadBool(phoenix_table, phoenix_path, "enabled", phoenix.enabled);
    ReadInt(phoenix_table, phoenix_path, "firms", phoenix.firms, 1, 10000);
    ReadInt(phoenix_table, phoenix_path, "identities_per_firm", phoenix.identities_per_firm, 1, 10000);
    ReadDouble(phoenix_table, phoenix_path, "volume_share", phoenix.volume_share, DoubleRange{0, 1, true, true});
    ReadDouble(phoenix_table, phoenix_path, "fraud_rate", phoenix.fraud_rate, Between(0, 1));
    ReadInt(phoenix_table, phoenix_path, "lifetime_days", phoenix.lifetime_days, 1, 36500);
    ReadInt(phoenix_table, phoenix_path, "shelf_days_max", phoenix.shelf_days_max, 0, 36500);
    ReadInt(phoenix_table, phoenix_path, "complicit_declarants", phoenix.complicit_declarants, 1,
            spec.traders.declarants);
    ReadDouble(phoenix_table, phoenix_path, "declarant_loyalty", phoenix.declarant_loyalty, Between(0, 1));

    RingsSpec& rings = fraud.rings;
    const std::string rings_path = JoinKey("fraud", "rings");
    const toml::table* rings_table = table == nullptr ? nullptr : SubTable(*table, "fraud", "rings", kRingsKeys);
    ReadBool(rings_table, rings_path, "enabled", rings.enabled);
    const Field ring_count = ReadInt(rings_table, rings_path, "rings", rings.rings, 1, 10000);
    const Field members_min = ReadInt(rings_table, rings_path, "members_min", rings.members_min, 1, 10000);
    const Field members_max = ReadInt(rings_table, rings_path, "members_max", rings.members_max, 1, 10000);
    ReadDouble(rings_table, rings_path, "fraud_rate", rings.fraud_rate, Between(0, 1));
    ReadDouble(rings_table, rings_path, "declarant_share", rings.declarant_share, Between(0, 1));
    if (rings_table != nullptr && members_min.ok && members_max.ok) {
      if (rings.members_min > rings.members_max) {
        Report(FirstPresent({members_max.node, members_min.node}, *rings_table), JoinKey(rings_path, "members_max"),
               fmt::format("must be at least {} ({}), got {}", JoinKey(rings_path, "members_min"), rings.members_min,
                           rings.members_max));
      } else if (rings.enabled && ring_count.ok) {
        // Members are drawn among the fraud-prone traders; asking for at most half of those expected
        // leaves enough whatever the draw of profiles.
        const double available = static_cast<double>(spec.traders.count) * spec.traders.fraud_prone_share / 2.0;
        if (static_cast<double>(rings.rings * rings.members_max) > available) {
          Report(FirstPresent({members_max.node, ring_count.node}, *rings_table), JoinKey(rings_path, "members_max"),
                 fmt::format("rings x members_max ({} x {}) must be at most half the fraud-prone traders expected "
                             "(traders.count x traders.fraud_prone_share / 2 = {:.0f})",
                             rings.rings, rings.members_max, available));
        }
      }
    }

    AdaptationSpec& adaptation = fraud.adaptation;
    const std::string adaptation_path = JoinKey("fraud", "adaptation");
    const toml::table* adaptation_table =
        table == nullptr ? nullptr : SubTable(*table, "fraud", "adaptation", kAdaptationKeys);
    ReadBool(adaptation_table, adaptation_path, "enabled", adaptation.enabled);
    ReadDouble(adaptation_table, adaptation_path, "learning_rate", adaptation.learning_rate, DoubleRange{0, 1, true, false});
    ReadDouble(adaptation_table, adaptation_path, "switching_cost", adaptation.switching_cost, AtLeast(0));
    ReadDouble(adaptation_table, adaptation_path, "penalty_per_detection", adaptation.penalty_per_detection, AtLeast(0));
    ReadDouble(adaptation_table, adaptation_path, "temperature", adaptation.temperature, GreaterThan(0));
    ReadDouble(adaptation_table, adaptation_path, "prior_inspection_probability",
               adaptation.prior_inspection_probability, Between(0, 1));
    ReadInt(adaptation_table, adaptation_path, "understatement_levels", adaptation.understatement_levels, 1,
            kMaxUnderstatementLevels);
    ReadBool(adaptation_table, adaptation_path, "choose_route", adaptation.choose_route);
    const Field across = ReadBool(adaptation_table, adaptation_path, "across_administrations", adaptation.across_administrations);
    if (across.node != nullptr && across.ok && adaptation.across_administrations) {
      std::int64_t offices = 0;
      for (const AdministrationSpec& administration : spec.administrations) offices += administration.offices;
      if (offices > kMaxAdaptiveOffices) {
        Report(*across.node, JoinKey(adaptation_path, "across_administrations"),
               fmt::format("port shopping across administrations allows at most {} offices in all, the scenario has {}",
                           kMaxAdaptiveOffices, offices));
      }
    }

    const bool all_ok = prone_rate.ok && honest_rate.ok && under.ok && mis.ok && origin.ok && quantity.ok &&
                        prohibited.ok && low_value.ok;
    const bool any_typology = under.active || mis.active || origin.active || quantity.active || prohibited.active ||
                              low_value.active;
    const bool any_fraud = fraud.fraud_prone_rate > 0 || fraud.honest_rate > 0;
    if (all_ok && !any_typology && any_fraud) {
      Report(table != nullptr ? static_cast<const toml::node&>(*table) : root, "fraud",
             "no fraud typology enabled: enable one of the [fraud.<typology>] tables with weight > 0, "
             "or set fraud.fraud_prone_rate and fraud.honest_rate to 0");
    }
  }

  // ---- [inspection], [inspection.detection_probability]
  void ReadInspection(const toml::table& root, InspectionSpec& inspection) {
    const toml::table* table = SubTable(root, "", "inspection", kInspectionKeys);
    ReadDetectionProbability(table, "detection_probability", inspection.detection_probability);
    ReadDetectionProbability(table, "documentary_detection_probability", inspection.documentary_detection_probability);
    ReadDetectionProbability(table, "audit_detection_probability", inspection.audit_detection_probability);
  }

  void ReadDetectionProbability(const toml::table* table, std::string_view name, DetectionProbabilitySpec& probability) {
    const toml::table* detection =
        table == nullptr ? nullptr : SubTable(*table, "inspection", name, kDetectionProbabilityKeys);
    const std::string path = JoinKey("inspection", name);
    ReadDouble(detection, path, "undervaluation", probability.undervaluation, Between(0, 1));
    ReadDouble(detection, path, "misclassification", probability.misclassification, Between(0, 1));
    ReadDouble(detection, path, "origin_misdeclaration", probability.origin_misdeclaration, Between(0, 1));
    ReadDouble(detection, path, "quantity_misdeclaration", probability.quantity_misdeclaration, Between(0, 1));
    ReadDouble(detection, path, "prohibited_goods", probability.prohibited_goods, Between(0, 1));
    ReadDouble(detection, path, "low_value_splitting", probability.low_value_splitting, Between(0, 1));
  }

  // ---- [risk], [[risk.rules]]; needs the countries and administrations already read.
  void ReadRisk(const toml::table& root, ScenarioSpec& spec) {
    RiskSpec& risk = spec.risk;
    const toml::table* table =
        SubTable(root, "", "risk", kRiskKeys);
    const std::string path = "risk";
    ReadDouble(table, path, "rule_weight", risk.rule_weight, AtLeast(0));
    ReadDouble(table, path, "unit_value_weight", risk.unit_value_weight, AtLeast(0));
    ReadDouble(table, path, "trader_history_weight", risk.trader_history_weight, AtLeast(0));
    ReadDouble(table, path, "declarant_history_weight", risk.declarant_history_weight, AtLeast(0));
    ReadDouble(table, path, "trader_prior_strength", risk.trader_prior_strength, GreaterThan(0));
    ReadInt(table, path, "min_reference_count", risk.min_reference_count, 1, 1000000000);
    ReadCombination(table, path, risk.combination);
    ReadDouble(table, path, "trader_ucb_multiplier", risk.trader_ucb_multiplier, AtLeast(0));
    const toml::table* logistic = table == nullptr ? nullptr : SubTable(*table, path, "logistic", kLogisticKeys);
    const std::string logistic_path = "risk.logistic";
    ReadTrainingSchedule(logistic, logistic_path, risk.logistic.retrain_every_days, risk.logistic.min_training_rows,
                         risk.logistic.max_training_rows);
    ReadDouble(logistic, logistic_path, "l2", risk.logistic.l2, GreaterThan(0));
    ReadGbdt(table == nullptr ? nullptr : SubTable(*table, path, "gbdt", kGbdtKeys), risk.gbdt);
    ReadInt(table, path, "price_window_days", risk.price_window_days, 0, 36500);
    const Field level = ReadString(table, path, "price_reference", risk.price_reference);
    if (level.node != nullptr && level.ok &&
        std::find(kPriceReferenceLevels.begin(), kPriceReferenceLevels.end(), risk.price_reference) ==
            kPriceReferenceLevels.end()) {
      std::string message = fmt::format("unknown price reference \"{}\"", risk.price_reference);
      if (auto hint = DidYouMean(risk.price_reference, kPriceReferenceLevels)) {
        message += fmt::format("; did you mean \"{}\"?", *hint);
      }
      message += fmt::format(" (one of: {})", JoinList(kPriceReferenceLevels));
      Report(*level.node, "risk.price_reference", std::move(message));
    }

    const toml::array* rules = ReadArray(table, path, "rules", "an array of tables ([[risk.rules]])");
    if (rules == nullptr) return;
    if (rules->size() > kMaxRules) {
      Report(*rules, "risk.rules", fmt::format("at most {} rules are allowed, got {}", kMaxRules, rules->size()));
    }
    std::vector<std::string> country_codes;
    for (const CountrySpec& country : spec.countries) country_codes.push_back(country.iso);
    std::map<std::string, std::int64_t> first_line;
    for (std::size_t i = 0; i < rules->size(); ++i) {
      const toml::node& element = *rules->get(i);
      const std::string rule_path = JoinIndex("risk.rules", i);
      const toml::table* rule_table = element.as_table();
      if (rule_table == nullptr) {
        ReportType(element, rule_path, "a table ([[risk.rules]])");
        continue;
      }
      risk.rules.push_back(ReadRule(*rule_table, rule_path, spec, country_codes, first_line));
    }
  }

  RuleSpec ReadRule(const toml::table& table, const std::string& path, const ScenarioSpec& spec,
                    const std::vector<std::string>& country_codes, std::map<std::string, std::int64_t>& first_line) {
    CheckKeys(table, path, kRuleKeys);
    RuleSpec rule;
    const Field name = ReadString(&table, path, "name", rule.name);
    if (name.node == nullptr) {
      Report(table, path + ".name", "missing required key \"name\"");
    } else if (name.ok) {
      if (rule.name.empty()) {
        Report(*name.node, path + ".name", "rule name must not be empty");
      } else if (auto [it, inserted] = first_line.emplace(rule.name, Where(*name.node).line); !inserted) {
        Report(*name.node, path + ".name",
               it->second > 0
                   ? fmt::format("duplicate rule name \"{}\" (first defined at line {})", rule.name, it->second)
                   : fmt::format("duplicate rule name \"{}\"", rule.name));
      }
    }
    ReadDouble(&table, path, "weight", rule.weight, AnyFinite());

    rule.hs_chapters = ReadChapters(table, path, "hs_chapters");
    ReadCountryCodes(&table, path, "origins", country_codes, rule.origins);

    std::vector<StringElement> elements;
    if (ReadStringArray(&table, path, "offices", rule.offices, elements) != nullptr) {
      for (std::size_t i = 0; i < rule.offices.size(); ++i) {
        if (auto message = CheckOfficeName(rule.offices[i], spec.administrations)) {
          Report(*elements[i].node, JoinIndex(path + ".offices", elements[i].index), std::move(*message));
        }
      }
    }

    const Field min = ReadOptionalDouble(&table, path, "unit_value_min", rule.unit_value_min, AtLeast(0));
    const Field max = ReadOptionalDouble(&table, path, "unit_value_max", rule.unit_value_max, GreaterThan(0));
    if (min.ok && max.ok && rule.unit_value_min && rule.unit_value_max && *rule.unit_value_max <= *rule.unit_value_min) {
      Report(*max.node, path + ".unit_value_max",
             fmt::format("must be greater than unit_value_min ({}), got {}", FormatBound(*rule.unit_value_min),
                         FormatBound(*rule.unit_value_max)));
    }
    ReadOptionalDouble(&table, path, "max_trader_age_days", rule.max_trader_age_days, AtLeast(0));

    // Time-limited rule (priority control action): active on days from <= day < until of the run.
    const Field from = ReadOptionalInt(&table, path, "active_from_day", rule.active_from_day, 0, kMaxDays - 1);
    const Field until = ReadOptionalInt(&table, path, "active_until_day", rule.active_until_day, 1, kMaxDays);
    if (from.ok && until.ok && rule.active_from_day && rule.active_until_day &&
        *rule.active_until_day <= *rule.active_from_day) {
      Report(*until.node, path + ".active_until_day",
             fmt::format("must be greater than active_from_day ({}), got {}", *rule.active_from_day,
                         *rule.active_until_day));
    }
    const Field channel = ReadString(&table, path, "channel", rule.channel);
    if (channel.node != nullptr && channel.ok) CheckChoice(*channel.node, path + ".channel", rule.channel, kRuleChannels);
    return rule;
  }

  // A string that must be one of `choices`: reported with a hint and the list.
  void CheckChoice(const toml::node& node, const std::string& key, const std::string& value,
                   const std::vector<std::string>& choices) {
    if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
    std::string message = fmt::format("unknown value \"{}\"", value);
    if (auto hint = DidYouMean(value, choices)) message += fmt::format("; did you mean \"{}\"?", *hint);
    message += fmt::format(" (one of: {})", JoinList(choices));
    Report(node, key, std::move(message));
  }

  // Offices are named "<administration>-<k>", k from 1 to the administration's office count.
  static std::optional<std::string> CheckOfficeName(const std::string& office,
                                                    const std::vector<AdministrationSpec>& administrations) {
    const std::size_t dash = office.rfind('-');
    if (dash != std::string::npos && dash + 1 < office.size()) {
      const std::string prefix = office.substr(0, dash);
      const std::string number = office.substr(dash + 1);
      for (const AdministrationSpec& administration : administrations) {
        if (administration.name != prefix) continue;
        const bool digits = std::all_of(number.begin(), number.end(),
                                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (digits && number.size() <= 6 && number[0] != '0' && std::stoll(number) <= administration.offices) {
          return std::nullopt;
        }
        return fmt::format("office \"{}\" does not exist: administration \"{}\" has offices {}-1 to {}-{}", office,
                           prefix, prefix, prefix, administration.offices);
      }
    }
    std::vector<std::string> names;
    for (const AdministrationSpec& administration : administrations) names.push_back(administration.name);
    std::string message = fmt::format(
        "office \"{}\" does not exist: offices are named \"<administration>-<k>\" with k from 1 (administrations: {})",
        office, JoinList(names));
    if (dash != std::string::npos) {
      if (auto hint = DidYouMean(office.substr(0, dash), names)) {
        message += fmt::format("; did you mean \"{}{}\"?", *hint, office.substr(dash));
      }
    }
    return message;
  }

  // The key `combination` of `table` (risk.combination, strategy.<name>.combination): a registered
  // combination.
  Field ReadCombination(const toml::table* table, const std::string& path, std::string& combination) {
    const Field field = ReadString(table, path, "combination", combination);
    if (field.node == nullptr || !field.ok) return field;
    const std::vector<std::string>& registered = RegisteredCombinations();
    if (std::find(registered.begin(), registered.end(), combination) != registered.end()) return field;
    std::string message = fmt::format("unknown combination \"{}\"", combination);
    if (auto hint = DidYouMean(combination, registered)) message += fmt::format("; did you mean \"{}\"?", *hint);
    message += fmt::format(" (registered: {})", JoinList(registered));
    Report(*field.node, JoinKey(path, "combination"), std::move(message));
    return {field.node, false};
  }

  // retrain_every_days, min_training_rows and max_training_rows (>= min) of a trained risk model.
  void ReadTrainingSchedule(const toml::table* table, const std::string& path, std::int64_t& retrain_every_days,
                            std::int64_t& min_training_rows, std::int64_t& max_training_rows) {
    ReadInt(table, path, "retrain_every_days", retrain_every_days, 1, 10000);
    const Field min_rows = ReadInt(table, path, "min_training_rows", min_training_rows, 2, 1000000000);
    const Field max_rows = ReadInt(table, path, "max_training_rows", max_training_rows, 2, 1000000000);
    if (min_rows.ok && max_rows.ok && max_training_rows < min_training_rows) {
      Report(FirstPresent({max_rows.node, min_rows.node}, *table), JoinKey(path, "max_training_rows"),
             fmt::format("must be at least min_training_rows ({}), got {}", min_training_rows, max_training_rows));
    }
  }

  // ---- [risk.gbdt]
  void ReadGbdt(const toml::table* table, GbdtSpec& gbdt) {
    const std::string path = "risk.gbdt";
    ReadInt(table, path, "trees", gbdt.trees, 1, 10000);
    ReadInt(table, path, "max_depth", gbdt.max_depth, 1, 16);
    const DoubleRange share{0, 1, true, false};  // (0, 1]
    ReadDouble(table, path, "learning_rate", gbdt.learning_rate, share);
    ReadDouble(table, path, "subsample", gbdt.subsample, share);
    ReadDouble(table, path, "colsample_bytree", gbdt.colsample_bytree, share);
    ReadDouble(table, path, "min_child_weight", gbdt.min_child_weight, AtLeast(0));
    ReadDouble(table, path, "scale_pos_weight", gbdt.scale_pos_weight, GreaterThan(0));
    ReadInt(table, path, "max_bin", gbdt.max_bin, 2, 65536);
    ReadTrainingSchedule(table, path, gbdt.retrain_every_days, gbdt.min_training_rows, gbdt.max_training_rows);
  }

  // ---- [strategy.<name>]: needs run.strategies and risk.combination already read.
  void ReadStrategy(const toml::table& root, ScenarioSpec& spec) {
    const std::vector<std::string>& registered = RegisteredStrategyNames();
    const auto is_registered = [&](const std::string& name) {
      return std::find(registered.begin(), registered.end(), name) != registered.end();
    };
    const toml::node* strategy_node = root.get("strategy");
    const toml::table* tables = nullptr;
    if (strategy_node != nullptr && !(tables = strategy_node->as_table())) {
      ReportType(*strategy_node, "strategy", "a table of strategy tables ([strategy.<name>])");
    }
    std::vector<StrategyInstanceSpec> unlisted;
    // A table configures an instance of run.strategies. A table named after a registered strategy
    // that is not listed is still checked but unused (scenarios that set [strategy.hybrid] keep
    // working when run.strategies is overridden).
    if (tables != nullptr) {
      for (auto&& [key, value] : *tables) {
        const std::string name(key.str());
        const std::string table_path = JoinKey("strategy", name);
        if (!value.is_table()) {
          Report(WhereKey(key, value), table_path,
                 fmt::format("expected a table ([{}]), got {}", table_path, Describe(value)));
          continue;
        }
        const bool listed = std::find(spec.run.strategies.begin(), spec.run.strategies.end(), name) !=
                            spec.run.strategies.end();
        if (!listed && !is_registered(name)) {
          std::string message = fmt::format(
              "table [{}] configures no strategy: \"{}\" is not in run.strategies ({})", table_path, name,
              JoinList(spec.run.strategies));
          if (auto hint = DidYouMean(name, spec.run.strategies)) message += fmt::format("; did you mean \"{}\"?", *hint);
          Report(WhereKey(key, value), table_path, std::move(message));
          continue;
        }
        StrategyInstanceSpec instance = ReadStrategyInstance(*value.as_table(), name, spec.risk.combination);
        if (listed) spec.strategy.instances.push_back(std::move(instance));
        else unlisted.push_back(std::move(instance));
      }
    }
    // Every listed name: its table's instance, or the registered strategy of that name.
    std::vector<StrategyInstanceSpec> ordered;
    for (std::size_t i = 0; i < spec.run.strategies.size(); ++i) {
      const std::string& name = spec.run.strategies[i];
      const auto configured = std::find_if(spec.strategy.instances.begin(), spec.strategy.instances.end(),
                                           [&](const StrategyInstanceSpec& instance) { return instance.name == name; });
      if (configured != spec.strategy.instances.end()) {
        ordered.push_back(*configured);
        continue;
      }
      if (!is_registered(name) && i < strategy_nodes_.size()) {
        std::string message = fmt::format("unknown strategy \"{}\"", name);
        if (auto hint = DidYouMean(name, registered)) message += fmt::format("; did you mean \"{}\"?", *hint);
        message += fmt::format(" (registered: {}; a new name needs a [strategy.{}] table with its kind)",
                               JoinList(registered), name);
        Report(*strategy_nodes_[i].node, strategy_nodes_[i].key, std::move(message));
      }
      ordered.push_back(StrategyInstanceSpec{name, name, spec.risk.combination, {}});
    }
    // Then the unlisted tables of registered strategies, so that MakeStrategy(name, spec) still
    // finds their settings (a program may build any registered strategy of a scenario).
    ordered.insert(ordered.end(), unlisted.begin(), unlisted.end());
    spec.strategy.instances = std::move(ordered);
  }

  StrategyInstanceSpec ReadStrategyInstance(const toml::table& table, const std::string& name,
                                            const std::string& default_combination) {
    const std::string path = JoinKey("strategy", name);
    StrategyInstanceSpec instance{name, name, default_combination, {}};
    const Field kind = ReadString(&table, path, "kind", instance.kind);
    const std::vector<std::string>& registered = RegisteredStrategyNames();
    const bool kind_ok = std::find(registered.begin(), registered.end(), instance.kind) != registered.end();
    if (!kind_ok && kind.ok) {
      std::string message =
          kind.node != nullptr
              ? fmt::format("unknown strategy kind \"{}\"", instance.kind)
              : fmt::format("\"{}\" is not a registered strategy: say which one it runs with kind = \"<strategy>\"",
                            instance.kind);
      if (auto hint = DidYouMean(instance.kind, registered)) message += fmt::format("; did you mean \"{}\"?", *hint);
      message += fmt::format(" (registered: {})", JoinList(registered));
      const std::vector<std::string>& combinations = RegisteredCombinations();
      if (std::find(combinations.begin(), combinations.end(), instance.kind) != combinations.end()) {
        message += fmt::format("; \"{}\" is a risk combination: write combination = \"{}\" and a kind such as \"topk\"",
                               instance.kind, instance.kind);
      }
      Report(FirstPresent({kind.node}, table), JoinKey(path, "kind"), std::move(message));
    }
    ReadCombination(&table, path, instance.combination);
    const Field exchange = ReadString(&table, path, "exchange", instance.exchange);
    if (exchange.node != nullptr && exchange.ok) {
      CheckChoice(*exchange.node, JoinKey(path, "exchange"), instance.exchange, RegisteredExchangeModes());
    }
    const Field delay = ReadInt(&table, path, "exchange_delay_days", instance.exchange_delay_days, 0, 3650);
    if (delay.node != nullptr && delay.ok && exchange.ok && instance.exchange != "shared_outcomes" &&
        instance.exchange != "shared_profiles") {
      Report(*delay.node, JoinKey(path, "exchange_delay_days"),
             fmt::format("applies only with exchange = \"shared_outcomes\" or \"shared_profiles\" (exchange is \"{}\")",
                         instance.exchange));
    }
    // The keys every instance has, then its kind's (checked only once the kind is known).
    KeyList kind_keys;
    for (const KindKeys& entry : kKindKeys) {
      if (entry.kind == instance.kind) kind_keys = entry.keys;
    }
    std::vector<std::string_view> allowed(std::begin(kStrategyInstanceKeys), std::end(kStrategyInstanceKeys));
    allowed.insert(allowed.end(), kind_keys.begin(), kind_keys.end());
    if (kind_ok && kind.ok) CheckKeys(table, path, allowed);
    if (instance.kind == "hybrid") {
      ReadDouble(&table, path, "random_share", instance.hybrid.random_share, Between(0, 1));
    } else if (instance.kind == "threshold") {
      ReadDouble(&table, path, "score_threshold", instance.threshold.score_threshold, AnyFinite());
    } else if (instance.kind == "bandit") {
      const Field method = ReadString(&table, path, "method", instance.bandit.method);
      if (method.node != nullptr && method.ok) {
        CheckChoice(*method.node, JoinKey(path, "method"), instance.bandit.method, kBanditMethods);
      }
      ReadDouble(&table, path, "exploration", instance.bandit.exploration, AtLeast(0));
      ReadDouble(&table, path, "weight", instance.bandit.weight, AtLeast(0));
    } else if (instance.kind == "aeo") {
      ReadDouble(&table, path, "selection_factor", instance.aeo.selection_factor, Between(0, 1));
    }
    return instance;
  }

  // ---- [channels], [channels.red|yellow|blue]
  void ReadChannels(const toml::table& root, ChannelsSpec& channels) {
    const toml::table* table = SubTable(root, "", "channels", kChannelsKeys);
    ReadChannel(table, "red", kChannelKeys, channels.red);
    ReadChannel(table, "yellow", kChannelKeys, channels.yellow);
    const toml::table* blue = ReadChannel(table, "blue", kBlueChannelKeys, channels.blue);
    ReadInt(blue, "channels.blue", "delay_days", channels.blue.delay_days, 0, 3650);
  }

  const toml::table* ReadChannel(const toml::table* channels, std::string_view name, KeyList keys, ChannelSpec& channel) {
    const toml::table* table = channels == nullptr ? nullptr : SubTable(*channels, "channels", name, keys);
    const std::string path = JoinKey("channels", name);
    const Field random = ReadDouble(table, path, "random_rate", channel.random_rate, Between(0, 1));
    const Field expected = ReadDouble(table, path, "expected_rate", channel.expected_rate, Between(0, 1));
    if (random.ok && expected.ok && channel.random_rate > channel.expected_rate) {
      Report(FirstPresent({expected.node, random.node}, *table), path + ".expected_rate",
             fmt::format("must be at least random_rate ({}), got {}", FormatBound(channel.random_rate),
                         FormatBound(channel.expected_rate)));
    }
    return table;
  }

  // ---- [intelligence]
  void ReadIntelligence(const toml::table& root, IntelligenceSpec& intelligence) {
    const toml::table* table = SubTable(root, "", "intelligence", kIntelligenceKeys);
    ReadDouble(table, "intelligence", "coverage", intelligence.coverage, Between(0, 1));
    ReadDouble(table, "intelligence", "precision", intelligence.precision, {0, 1, true, false});
  }

  // The first override whose key is, or contains, or lies inside `key`.
  std::size_t RankByKey(const std::string& key) const {
    auto inside = [](const std::string& outer, const std::string& inner) {
      return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
             (inner[outer.size()] == '.' || inner[outer.size()] == '[');
    };
    for (const auto& [index, override_key] : override_keys_) {
      if (key == override_key || inside(key, override_key) || inside(override_key, key)) return index;
    }
    return kUnranked;
  }

  static constexpr std::size_t kUnranked = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t kMaxRank = std::size_t{1} << 40;

  struct StrategyNode {
    std::string key;  // run.strategies[i]
    const toml::node* node = nullptr;
  };

  std::string file_source_;
  std::vector<StrategyNode> strategy_nodes_;  // the valid names of run.strategies, for later problems
  std::vector<InputProblem> problems_;
  std::vector<std::size_t> override_ranks_;  // per problem: the override being applied, or kUnranked
  std::size_t current_override_ = kUnranked;
  std::vector<std::pair<std::size_t, std::string>> override_keys_;
};

// ---------------------------------------------------------------------------------------------
// Overrides.

// One step of an override key: a table key or an array index.
using KeyStep = std::variant<std::string, std::size_t>;

// "administrations[0].offices" -> {"administrations", 0, "offices"}; nullopt when malformed.
std::optional<std::vector<KeyStep>> SplitOverrideKey(std::string_view key) {
  std::vector<KeyStep> steps;
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = key.find_first_of(".[", pos);
    const std::string_view name = key.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (!IsBareKey(name)) return std::nullopt;
    steps.emplace_back(std::string(name));
    pos = end;
    while (pos != std::string_view::npos && key[pos] == '[') {
      const std::size_t close = key.find(']', pos);
      if (close == std::string_view::npos || close == pos + 1 || close - pos > 10) return std::nullopt;
      std::size_t index = 0;
      for (std::size_t i = pos + 1; i < close; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(key[i]))) return std::nullopt;
        index = index * 10 + static_cast<std::size_t>(key[i] - '0');
      }
      steps.emplace_back(index);
      pos = close + 1 < key.size() ? close + 1 : std::string_view::npos;
    }
    if (pos == std::string_view::npos) return steps;
    if (key[pos] != '.') return std::nullopt;
    ++pos;
  }
}

std::string StepsToKey(const std::vector<KeyStep>& steps, std::size_t count) {
  std::string key;
  for (std::size_t i = 0; i < count; ++i) {
    if (const auto* name = std::get_if<std::string>(&steps[i])) {
      key = JoinKey(key, *name);
    } else {
      key = JoinIndex(key, std::get<std::size_t>(steps[i]));
    }
  }
  return key;
}

// The override value as a one-entry table {v = value}: TOML when `v = <text>` parses, else a string.
toml::table ParseOverrideValue(std::string_view text) {
  try {
    toml::table document = toml::parse(fmt::format("v = {}", text), std::string_view(kOverrideSource));
    if (document.size() == 1 && document.contains("v")) return document;
  } catch (const toml::parse_error&) {
    // Not TOML: a bare word such as run.strategies=random is meant as a string.
  }
  toml::table document;
  document.insert("v", std::string(text));
  return document;
}

void ApplyOverride(toml::table& root, const std::string& override_text, std::size_t override_index,
                   ScenarioValidator& validator) {
  const Location where{std::string(kOverrideSource), 0, 0};
  const std::size_t equals = override_text.find('=');
  if (equals == std::string::npos) {
    validator.Report(where, "", fmt::format("override \"{}\" is not of the form key=value", override_text));
    return;
  }
  const std::string_view key_text = Trim(std::string_view(override_text).substr(0, equals));
  if (key_text.empty()) {
    validator.Report(where, "", fmt::format("override \"{}\" has an empty key", override_text));
    return;
  }
  const std::optional<std::vector<KeyStep>> steps = SplitOverrideKey(key_text);
  if (!steps) {
    validator.Report(where, std::string(key_text),
                     "malformed override key: use dotted table keys and [index] for arrays, e.g. run.days or "
                     "administrations[0].offices");
    return;
  }
  toml::table value_document = ParseOverrideValue(Trim(std::string_view(override_text).substr(equals + 1)));
  toml::node& value = *value_document.get("v");
  const std::string full_key = StepsToKey(*steps, steps->size());
  validator.NoteOverrideKey(override_index, full_key);

  toml::node* container = &root;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const bool last = i + 1 == steps->size();
    const bool next_is_index = !last && std::holds_alternative<std::size_t>((*steps)[i + 1]);
    const std::string walked = StepsToKey(*steps, i);
    if (const auto* name = std::get_if<std::string>(&(*steps)[i])) {
      toml::table* table = container->as_table();
      if (table == nullptr) {
        validator.Report(where, full_key,
                         fmt::format("cannot set this key: {} is {}, not a table{}", walked, Describe(*container),
                                     container->is_array() ? fmt::format("; use {}[<index>]", walked) : ""));
        return;
      }
      if (last) {
        table->insert_or_assign(*name, std::move(value));
        return;
      }
      if (table->get(*name) == nullptr) {
        if (next_is_index) {
          table->insert(*name, toml::array{});
        } else {
          table->insert(*name, toml::table{});
        }
      }
      container = table->get(*name);
    } else {
      const std::size_t index = std::get<std::size_t>((*steps)[i]);
      toml::array* array = container->as_array();
      if (array == nullptr) {
        validator.Report(where, full_key,
                         fmt::format("cannot set this key: {} is {}, not an array", walked, Describe(*container)));
        return;
      }
      if (index > array->size()) {
        validator.Report(where, full_key,
                         fmt::format("index {} is out of range: {} has {} element(s) (index {} appends one)", index,
                                     walked, array->size(), array->size()));
        return;
      }
      if (last) {
        if (index == array->size()) {
          array->push_back(std::move(value));
        } else {
          array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), std::move(value));
        }
        return;
      }
      if (index == array->size()) {
        if (next_is_index) {
          array->push_back(toml::array{});
        } else {
          array->push_back(toml::table{});
        }
      }
      container = array->get(index);
    }
  }
}

}  // namespace

ScenarioSpec ParseScenario(const std::string& text, const std::string& source_path,
                           const std::vector<std::string>& overrides) {
  const std::string source = source_path.empty() ? std::string("<string>") : source_path;
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& error) {
    const toml::source_position& begin = error.source().begin;
    throw InputError({InputProblem{source, static_cast<std::int64_t>(begin.line),
                                   static_cast<std::int64_t>(begin.column), "",
                                   fmt::format("TOML syntax error: {}", error.description())}});
  }

  ScenarioValidator validator(source);
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    validator.BeginOverride(i);
    ApplyOverride(root, overrides[i], i, validator);
    validator.EndOverride();
  }

  ScenarioSpec spec;
  spec.source_path = source;
  spec.source_text = text;
  spec.overrides = overrides;
  validator.Validate(root, spec);
  std::vector<InputProblem> problems = validator.TakeProblems();
  if (!problems.empty()) throw InputError(std::move(problems));
  return spec;
}

StrategyInstanceSpec FindStrategyInstance(const ScenarioSpec& spec, const std::string& name) {
  for (const StrategyInstanceSpec& instance : spec.strategy.instances) {
    if (instance.name == name) return instance;
  }
  return StrategyInstanceSpec{name, name, spec.risk.combination, {}};
}

ScenarioSpec LoadScenarioFile(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const std::string reason = std::generic_category().message(errno);
    throw InputError({InputProblem{path, 0, 0, "", fmt::format("cannot open scenario file: {}", reason)}});
  }
  char buffer[65536];
  while (true) {
    const std::size_t count = std::fread(buffer, 1, sizeof buffer, file);
    text.append(buffer, count);
    if (count < sizeof buffer) break;
  }
  const bool failed = std::ferror(file) != 0;
  const int error_number = errno;
  std::fclose(file);
  if (failed) {
    const std::string reason = std::generic_category().message(error_number);
    throw InputError({InputProblem{path, 0, 0, "", fmt::format("cannot read scenario file: {}", reason)}});
  }
  return ParseScenario(text, path, overrides);
}

}  // namespace crsim::sim
