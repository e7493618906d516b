// ScenarioSpec: the typed, validated form of a scenario file.
//
// Each struct mirrors one TOML table and each field is named exactly as its TOML key; the comment
// on a field gives its unit, its default and its valid range. docs/scenarios.md documents the same
// keys for users; tests/sim/scenario_test.cc checks that every key is documented there.
//
// Loading is strict: an unknown key (with a "did you mean" hint), a wrong type, an out-of-range
// value or inconsistent settings are all collected and thrown together as one crsim::InputError
// whose problems name file:line:column and the dotted key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace crsim::sim {

// [run]
struct RunSpec {
  std::int64_t days = 20;           // simulated days; 1..36500
  std::uint64_t seed = 1;           // master seed of every random stream; 0..2^63-1
  std::int64_t warmup_days = 0;     // first days left out of the totals (still in the daily series); 0..days-1
  // Names of the strategy instances compared; non-empty, unique. A name is a registered strategy
  // (RegisteredStrategyNames()) or has a [strategy.<name>] table that says its kind.
  std::vector<std::string> strategies = {"random", "topk", "hybrid"};
  std::int64_t chunk_size = 16384;  // declarations per parallel generation chunk; 64..16777216; never changes results
  std::int64_t replications = 1;    // independent replications (distinct random streams); 1..10000
};

// [arrivals]
// [arrivals.ecommerce]: low-value (e-commerce) consignments, a declaration stream of its own, as
// the EU's H7 data set is: parcels bought online by many consignees (mostly private persons), lodged
// by a few intermediaries (platforms, express couriers, postal operators), at a few express and
// postal hubs. Off by default (declarations_per_day = 0); docs/scenarios.md and crsim/sim/ecommerce.h.
struct EcommerceSpec {
  double declarations_per_day = 0.0;  // mean of the daily Poisson count; 0 = no stream; 0..1e8
  // Consignment value (EUR, customs value of the whole parcel) is log-normal: log value ~
  // N(value_log_mean, value_log_sd^2). Defaults: median e^3 = 20 EUR, 97% below 150 EUR.
  double value_log_mean = 3.0;        // finite, -10..15
  double value_log_sd = 1.0;          // 0..5
  // HS chapters of the goods and their weights; empty = the consumer-goods chapters of
  // kDefaultEcommerceChapters present in the catalogue, equal weights. Each chapter must have codes
  // in the catalogue. Within a chapter every code is equally likely (an explicit catalogue: by its weight).
  std::vector<std::int64_t> hs_chapters;       // 1..97, not 77, unique
  std::vector<double> hs_chapter_weights;      // > 0 each, one per chapter; empty = equal
  // Origins and their weights; empty = by [countries] trade weight.
  std::vector<std::string> origins;            // ISO codes, each in [countries], unique
  std::vector<double> origin_weights;          // > 0 each, one per origin
  // Offices where the stream is lodged ("<administration>-<k>", e.g. the express and postal hubs)
  // and their weights; empty = every office, each administration by trade_share, its offices equally.
  std::vector<std::string> offices;            // office names, unique
  std::vector<double> office_weights;          // > 0 each, one per office
  std::int64_t consignees = 100000;   // distinct consignees (the trader column), each equally likely; 1..1e7
  std::int64_t intermediaries = 10;   // declarants of the stream (platforms, couriers, postal operators); 1..10000
  double intermediary_zipf_exponent = 1.0;  // share of intermediary k ~ 1/(k+1)^exponent; 0..5
  // Probability that a consignment is a fraud attempt (by the seller, who is not modelled as a
  // trader). The attempt's typology is undervaluation below the relief threshold, low-value
  // splitting or prohibited goods, by the weights of [fraud.*] (docs/fraud.md); 0..1.
  double fraud_rate = 0.02;
};

// The consumer-goods chapters an e-commerce stream draws from when hs_chapters is empty: cosmetics
// (33), plastics articles (39), leather goods and bags (42), apparel (61, 62), home textiles (63),
// footwear (64), jewellery (71), machines and computers (84), electrical and electronic goods
// (85), optics and watches (90, 91), furniture and lamps (94), toys and sports goods (95),
// miscellaneous articles (96).
inline constexpr std::int64_t kDefaultEcommerceChapters[] = {33, 39, 42, 61, 62, 63, 64, 71,
                                                             84, 85, 90, 91, 94, 95, 96};

struct ArrivalSpec {
  double declarations_per_day = 500000.0;  // mean of the daily Poisson count; 1..1e8
  double indirect_route_share = 0.15;      // share of consignments shipped via a third country (declared departure != origin); 0..1
  // Hub (departure) countries of indirect routes and their weights; empty = by [countries] trade weight.
  std::vector<std::string> hub_countries;       // ISO codes, each in [countries], unique
  std::vector<double> hub_weights;              // > 0 each, one per hub country
  // Modes of transport declared, and their shares; empty = no mode declared (column left at 0).
  std::vector<std::string> transport_modes;     // labels (e.g. "10" sea), unique, non-empty
  std::vector<double> transport_mode_weights;   // > 0 each, one per mode
  EcommerceSpec ecommerce;                      // [arrivals.ecommerce]; off by default
};

// [[catalogue.additional_duties]]: an anti-dumping or additional duty on goods of some chapters
// from some origins, on top of the ad valorem tariff.
struct AdditionalDutySpec {
  std::vector<std::int64_t> hs_chapters;  // HS chapters (1..97, not 77) it applies to; non-empty
  std::vector<std::string> origins;       // ISO codes, each in [countries]; non-empty
  double rate = 0.25;                     // extra duty, fraction of customs value; > 0..1
};

// [[catalogue.codes]] (usually written inline: codes = [{hs6 = 392690, ...}, ...]): one HS6 code of
// an explicit catalogue, as written by `crsim calibrate`.
struct CatalogueCodeSpec {
  std::int64_t hs6 = 0;              // six-digit HS code as an integer (071080 is 71080); chapter 1..97, not 77; unique
  double weight = 1.0;               // relative popularity (probability of a trader portfolio slot); > 0
  double tariff = 0.0;               // ad valorem duty rate, fraction of value; 0..10 (some agricultural tariffs exceed 100%)
  double log_price_mean = 0.0;       // mean of log(unit price per unit of quantity); finite; required
  double log_price_sd = 0.5;         // sd of log unit price; >= 0
  double log_quantity_mean = 3.0;    // mean of log(quantity) of a consignment of this code; finite; required
  double log_quantity_sd = 1.0;      // sd of log quantity; >= 0
};

// catalogue.chapter_origins: the origins of goods of one HS chapter (written by `crsim calibrate`).
struct ChapterOriginsSpec {
  std::int64_t chapter = 0;          // HS chapter 1..97, not 77; unique
  std::vector<std::string> origins;  // ISO codes, each in [countries], unique, non-empty
  std::vector<double> weights;       // > 0 each, one per origin
};

// [catalogue]
struct CatalogueSpec {
  std::int64_t chapters = 96;                 // real HS chapters used (N of 01..97 without 77, spread evenly: SyntheticCatalogueChapter); 1..96
  std::int64_t headings_per_chapter = 4;      // HS4 headings per chapter; 1..99
  std::int64_t subheadings_per_heading = 5;   // HS6 codes per heading; 1..99
  double tariff_min = 0.0;                    // ad valorem duty rate, fraction of value; 0..1
  double tariff_max = 0.2;                    // >= tariff_min; 0..1
  double log_price_mean = 2.5;                // mean of chapter log unit-price levels, log(EUR per unit)
  double log_price_chapter_sd = 1.2;          // sd of chapter levels around log_price_mean; >= 0
  double log_price_code_sd = 0.5;             // sd of an HS6 code's level around its chapter's; >= 0
  double log_price_sigma_min = 0.25;          // smallest within-code sd of log unit price; > 0
  double log_price_sigma_max = 0.6;           // largest within-code sd; >= log_price_sigma_min
  double specific_duty_share = 0.0;           // share of HS6 codes that also carry a specific (per-unit) duty; 0..1
  double specific_duty_min = 0.05;            // specific duty per unit as a fraction of the code's median unit price; >= 0
  double specific_duty_max = 0.3;             // >= specific_duty_min
  double duty_relief_threshold_eur = 0.0;     // consignments declared below this value owe no duty (0 = no relief); >= 0
  std::vector<AdditionalDutySpec> additional_duties;  // [[catalogue.additional_duties]]
  // Explicit catalogue; when non-empty it replaces the synthetic one (chapters .. log_price_sigma_max
  // must then be left out), codes are drawn into portfolios by weight and consignment quantities
  // come from the code's log-normal instead of the trader's.
  std::vector<CatalogueCodeSpec> codes;
  // Per HS chapter, the origin distribution of its goods; a declaration of a listed chapter draws its
  // origin from it instead of from the trader's origin portfolio. Empty = portfolios only.
  std::vector<ChapterOriginsSpec> chapter_origins;
};

// [countries]: ISO 3166 alpha-2 code = relative trade weight (> 0). At least one country.
struct CountrySpec {
  std::string iso;  // two upper-case letters
  double weight = 1.0;
};

// [[administrations]]: at least one.
struct AdministrationSpec {
  std::string name;                        // unique, letters/digits/'-'/'_'; offices are named "<name>-<k>", k from 1
  std::int64_t offices = 1;                // customs offices; 1..1000
  std::int64_t inspection_capacity = 100;  // physical inspections (red channel) per office per day; 0..1e7
  double trade_share = 1.0;                // relative share of traders based here; > 0
  std::vector<double> office_weights;      // relative share of each office (home offices and other lodgings); empty = equal; else one per office, > 0
  std::vector<std::string> office_labels;  // real office codes, reported by crsim fidelity; empty = none; else one per office, unique
  std::int64_t documentary_capacity = 0;   // documentary checks (yellow channel) per office per day; 0..1e7
  std::int64_t audit_capacity = 0;         // post-clearance audits started (blue channel) per office per day; 0..1e7
  // Pre-arrival tips of the administration's own (a third-country agreement): share of the frauds
  // lodged at its offices named by a tip; 0..1; absent = its offices take [intelligence]'s tips.
  std::optional<double> tip_coverage;
  double tip_precision = 1.0;              // share of its own tips that name a fraud; > 0..1; only with tip_coverage
};

// [traders]
struct TraderSpec {
  std::int64_t count = 50000;            // number of traders; 1..1e8
  double volume_zipf_exponent = 1.1;     // trader k (1-based rank) declares in proportion to k^-s; 0..5
  std::int64_t portfolio_hs6 = 6;        // HS6 codes per trader; 1..100
  std::int64_t portfolio_origins = 3;    // origin countries per trader; 1..100
  double fraud_prone_share = 0.08;       // share of traders with a fraud-prone profile; 0..1
  double home_office_share = 0.8;        // share of a trader's declarations lodged at its home office; 0..1
  std::int64_t max_age_days = 3650;      // established traders registered up to this many days before day 0; 1..36500
  double honest_new_share = 0.05;        // share of honest traders who register during the run; 0..1
  double fraud_prone_new_share = 0.3;    // share of fraud-prone traders who register during the run; 0..1
  std::vector<std::string> labels;       // real identifiers of traders by volume rank (label k = trader k); at most count, unique
  double aeo_share = 0.0;                // share of traders who are authorised economic operators (AEO); 0..1
  double aeo_fraud_prone_share = 0.02;   // share of AEOs with a fraud-prone profile; 0..1 (consistent with fraud_prone_share)
  std::int64_t declarants = 20;          // customs brokers (declarants) who lodge declarations; 1..65535
  double declarant_zipf_exponent = 1.0;  // declarant k (1-based rank) serves traders in proportion to k^-s; 0..5
};

// [fraud.undervaluation]
struct UndervaluationSpec {
  bool enabled = true;
  double weight = 0.6;       // relative frequency among the typologies available for a declaration; >= 0
  double factor_min = 0.3;   // declared value = true value x U(factor_min, factor_max); 0 < min <= max < 1
  double factor_max = 0.8;
};

// [fraud.misclassification]
struct MisclassificationSpec {
  bool enabled = true;
  double weight = 0.4;  // relative frequency; >= 0. Declares a code of the same heading (else chapter) with a lower tariff.
};

// [fraud.origin_misdeclaration]: goods of a (chapter, origin) under an additional duty declared as
// originating in a transit country without it.
struct OriginMisdeclarationSpec {
  bool enabled = false;
  double weight = 0.2;                          // relative frequency; >= 0
  std::vector<std::string> transit_countries;   // ISO codes declared instead, each in [countries]; non-empty when enabled
  double route_reveal_probability = 0.3;        // P(the declared departure country is the true origin); 0..1
};

// [fraud.quantity_misdeclaration]: declared quantity (mass) understated on goods with a specific duty.
struct QuantityMisdeclarationSpec {
  bool enabled = false;
  double weight = 0.2;       // relative frequency; >= 0
  double factor_min = 0.4;   // declared quantity = true quantity x U(factor_min, factor_max); 0 < min <= max < 1
  double factor_max = 0.8;
};

// [fraud.prohibited_goods]: prohibited or restricted goods concealed in an ordinary declaration.
struct ProhibitedGoodsSpec {
  bool enabled = false;
  double weight = 0.05;       // relative frequency; >= 0
  double severity_min = 1.0;  // severity weight ~ U(severity_min, severity_max); > 0
  double severity_max = 10.0; // >= severity_min
};

// [fraud.low_value_splitting]: a consignment split so that the declared part falls below the duty
// relief threshold (catalogue.duty_relief_threshold_eur).
struct LowValueSplittingSpec {
  bool enabled = false;
  double weight = 0.2;            // relative frequency; >= 0
  double value_share_min = 0.5;   // declared value = threshold x U(value_share_min, value_share_max); 0 < min <= max < 1
  double value_share_max = 0.99;
};

// [fraud.adaptation]: fraud-prone traders who learn where inspections fall and move their frauds
// (docs/fraud.md, "Adaptive fraudsters"). Money-like quantities are in multiples of the duty a
// fraud evades, the gain of an undetected fraud.
struct AdaptationSpec {
  bool enabled = false;                      // off: fraud-prone traders cheat at the rate and places drawn as usual
  double learning_rate = 0.1;                // weight of one experienced outcome in a belief (exponential average); 0 < x <= 1
  double switching_cost = 0.05;              // cost of declaring at another office or HS code than the consignment's usual one, x duty; >= 0
  double penalty_per_detection = 1.0;        // fine on a detected fraud, x the duty evaded (which is also recovered); >= 0
  double temperature = 0.05;                 // softmax temperature over expected net gain, x duty; > 0
  double prior_inspection_probability = 0.05; // belief about an option before any experience of it; 0..1
  bool across_administrations = false;       // true: a fraud may be lodged at any office of any administration (port shopping); false: its own administration's
  std::int64_t understatement_levels = 1;    // undervaluation: the factor range split into this many levels, chosen by belief (1 = no choice); 1..16
  bool choose_route = false;                 // transshipment: declare a direct route or one via a hub by belief (false: as drawn)
};

// [fraud.phoenix]: shell importers (docs/fraud.md, "Phoenix importers"). `firms` fraud
// organisations each trade through one importer identity at a time; an identity is registered
// shortly before it starts trading, cheats at fraud_rate, and is abandoned when one of its frauds is
// detected or after lifetime_days, the next identity of the firm taking over the next day.
struct PhoenixSpec {
  bool enabled = false;
  std::int64_t firms = 20;                  // concurrent shell firms; 1..10000
  std::int64_t identities_per_firm = 100;   // identities a firm can use over the run (then it stops); 1..10000
  double volume_share = 0.01;               // share of all declarations lodged by the active identities; 0 < x < 1
  double fraud_rate = 0.6;                  // probability that a declaration of an identity is a fraud attempt; 0..1
  std::int64_t lifetime_days = 60;          // an identity not caught is abandoned after this many days; >= 1
  std::int64_t shelf_days_max = 1095;       // an identity was registered U{0..shelf_days_max} days before its first day (aged shelf companies); 0..36500
  std::int64_t complicit_declarants = 2;    // declarants who serve the firms (firm f uses complicit declarant f mod n); 1..traders.declarants
  double declarant_loyalty = 0.7;           // share of identities lodging through their firm's complicit declarant (others: any); 0..1
};

// [fraud.rings]: fraud rings and complicit declarants, typology 8 (docs/fraud.md, "Fraud rings").
// `rings` groups of fraud-prone traders, each sharing a complicit declarant (customs broker) who
// lodges a share of their declarations; with [fraud.adaptation] on, a ring learns as one (beliefs
// held per ring, updated by every member's inspections).
struct RingsSpec {
  bool enabled = false;
  std::int64_t rings = 5;              // number of rings; 1..10000
  std::int64_t members_min = 3;        // members of a ring ~ U{members_min..members_max}, fraud-prone traders; >= 1
  std::int64_t members_max = 8;        // >= members_min; rings x members_max <= traders.count x traders.fraud_prone_share / 2
  double fraud_rate = 0.3;             // probability that a declaration of a member is a fraud attempt (instead of fraud.fraud_prone_rate); 0..1
  double declarant_share = 0.5;        // share of a member's declarations lodged through its ring's complicit declarant (the rest: its own); 0..1
};

// [fraud]
struct FraudSpec {
  double fraud_prone_rate = 0.3;  // probability that a declaration of a fraud-prone trader is fraudulent; 0..1
  double honest_rate = 0.002;     // the same for honest traders (opportunistic fraud); 0..1
  UndervaluationSpec undervaluation;
  MisclassificationSpec misclassification;
  OriginMisdeclarationSpec origin_misdeclaration;
  QuantityMisdeclarationSpec quantity_misdeclaration;
  ProhibitedGoodsSpec prohibited_goods;
  LowValueSplittingSpec low_value_splitting;
  PhoenixSpec phoenix;
  RingsSpec rings;
  AdaptationSpec adaptation;
};

// [inspection.detection_probability] (red: physical examination), and the same keys in
// [inspection.documentary_detection_probability] (yellow) and [inspection.audit_detection_probability]
// (blue): P(a control of that channel finds the fraud), per fraud type.
struct DetectionProbabilitySpec {
  double undervaluation = 0.85;           // 0..1
  double misclassification = 0.7;         // 0..1
  double origin_misdeclaration = 0.5;     // 0..1
  double quantity_misdeclaration = 0.8;   // 0..1
  double prohibited_goods = 0.6;          // 0..1
  double low_value_splitting = 0.75;      // 0..1
};

// [inspection]
struct InspectionSpec {
  DetectionProbabilitySpec detection_probability;  // red
  // yellow: papers show a wrong code or origin more often than concealed goods or a short weight
  DetectionProbabilitySpec documentary_detection_probability{0.6, 0.8, 0.55, 0.3, 0.05, 0.7};
  // blue: the trader's books and payments, months later; the goods are gone
  DetectionProbabilitySpec audit_detection_probability{0.9, 0.75, 0.7, 0.5, 0.0, 0.8};
};

// [channels.red], [channels.yellow], [channels.blue]: the selectivity of one control channel
// (docs/scenarios.md, "Selection order").
struct ChannelSpec {
  double random_rate = 0.0;    // minimum share of an office's declarations sent here at random; 0..1
  double expected_rate = 1.0;  // share of an office's declarations the channel aims at (random + top-up); 0..1
};

struct BlueChannelSpec : ChannelSpec {
  std::int64_t delay_days = 30;  // days from the start of an audit to its result (detection, recovery, feedback); 0..3650
};

// [channels]
struct ChannelsSpec {
  ChannelSpec red;
  ChannelSpec yellow;
  BlueChannelSpec blue;
};

// [intelligence]: tips from law enforcement or third countries, produced outside the strategies.
struct IntelligenceSpec {
  double coverage = 0.0;   // share of frauds tipped; 0..1 (0 = no tips)
  double precision = 1.0;  // share of tips that name a fraud; > 0..1
};

// [[risk.rules]]: at most 64 (kernels::kMaxRules). Omitted conditions always hold.
struct RuleSpec {
  std::string name;                          // unique
  double weight = 1.0;                       // added to the rule score when the rule matches
  std::vector<std::int64_t> hs_chapters;     // HS chapter numbers (1..97) the rule targets; empty = any
  std::vector<std::string> origins;          // ISO codes, each in [countries]; empty = any
  std::vector<std::string> offices;          // office names "<administration>-<k>"; empty = any
  std::optional<double> unit_value_min;      // EUR per unit, inclusive; >= 0
  std::optional<double> unit_value_max;      // EUR per unit, exclusive; > unit_value_min
  std::optional<double> max_trader_age_days; // matches traders registered at most this many days ago; >= 0
  std::optional<std::int64_t> active_from_day;   // day of the run (0-based) the rule starts, inclusive; 0..36499; none = from the start
  std::optional<std::int64_t> active_until_day;  // day it stops, exclusive; 1..36500, > active_from_day; none = to the end
  std::string channel;                       // "" (a score only), or "red" | "yellow" | "blue": mandatory control in that channel
};

// [risk.logistic]: the logistic model of combination = "logistic" (kernels/logistic.h).
struct LogisticSpec {
  std::int64_t retrain_every_days = 7;       // days of feedback between two trainings; 1..10000
  double l2 = 1.0;                           // L2 penalty on the standardised weights; > 0
  std::int64_t min_training_rows = 1000;     // inspected declarations needed before the first training; 2..1e9
  std::int64_t max_training_rows = 500000;   // most recent inspected declarations kept for training; 2..1e9, >= min
};

// [risk.gbdt]: the gradient-boosted trees of combination = "gbdt", trained with XGBoost (crsim/sim/gbdt_model.h).
struct GbdtSpec {
  std::int64_t trees = 100;                  // boosting rounds (trees) per training; 1..10000
  std::int64_t max_depth = 6;                // deepest split level of a tree; 1..16
  double learning_rate = 0.1;                // shrinkage (XGBoost eta); > 0..1
  double subsample = 0.8;                    // share of training rows sampled for each tree; > 0..1
  double colsample_bytree = 1.0;             // share of features sampled for each tree; > 0..1
  double min_child_weight = 1.0;             // least hessian sum in a leaf; >= 0
  double scale_pos_weight = 1.0;             // weight of a hit (label 1) relative to a non-hit (class weight); > 0
  std::int64_t max_bin = 256;                // histogram bins per feature (tree_method "hist"); 2..65536
  std::int64_t retrain_every_days = 7;       // days of feedback between two trainings; 1..10000
  std::int64_t min_training_rows = 1000;     // inspected declarations needed before the first training; 2..1e9
  std::int64_t max_training_rows = 500000;   // most recent inspected declarations kept for training; 2..1e9, >= min
};

// [risk]
struct RiskSpec {
  double rule_weight = 1.0;                // weight of the rule score in the risk score; >= 0
  double unit_value_weight = 1.0;          // weight of max(0, -z) of the unit-value kernel; >= 0
  double trader_history_weight = 4.0;      // weight of the trader's posterior hit rate; >= 0
  double declarant_history_weight = 0.0;   // weight of the declarant's posterior hit rate (weighted_sum, max); >= 0
  double trader_prior_strength = 10.0;     // pseudo-inspections of the prior (the overall hit rate so far); > 0
  std::int64_t min_reference_count = 30;   // declarations of a price-reference group (in the window) needed before it is used; 1..1e9
  std::string price_reference = "hs6";     // price-reference groups: "hs6", or "hs6_origin" (HS6 x origin, falling back to HS6 when thin)
  std::int64_t price_window_days = 0;      // days of history in the price references; 0 = all history; 0..36500
  std::string combination = "weighted_sum";  // "weighted_sum" | "max" | "logistic" | "gbdt" (RegisteredCombinations())
  double trader_ucb_multiplier = 1.0;      // c of the trader uncertainty bonus c x posterior sd (a logistic feature); >= 0
  LogisticSpec logistic;
  GbdtSpec gbdt;
  std::vector<RuleSpec> rules;
};

// [strategy.<name>] with kind "hybrid"
struct HybridSpec {
  double random_share = 0.1;  // share of each office's capacity spent on uniformly random picks; 0..1
};

// [strategy.<name>] with kind "threshold"
struct ThresholdSpec {
  double score_threshold = 3.0;  // inspect declarations whose risk score exceeds this (highest first, up to capacity); finite
};

// [strategy.<name>] with kind "bandit"
struct BanditSpec {
  std::string method = "ucb";  // "ucb" (optimism: + exploration x posterior sd) or "thompson" (+ sd x a normal draw)
  double exploration = 2.0;    // c: posterior standard deviations of the trader's hit rate added (ucb); >= 0
  double weight = 4.0;         // risk-score units per unit of hit rate of that bonus or draw; >= 0
};

// [strategy.<name>] with kind "aeo"
struct AeoSpec {
  double selection_factor = 0.2;  // AEO declarations are inspected at this fraction of the office's inspection rate; 0..1
};

// [strategy.<name>]: one strategy instance of run.strategies. A name without a table is the
// registered strategy of that name with the default settings.
struct StrategyInstanceSpec {
  std::string name;         // the instance name (as in run.strategies, reports and results)
  std::string kind;         // registered strategy it runs; default: name
  std::string combination;  // its risk engine's score combination; default: risk.combination
  HybridSpec hybrid;        // kind "hybrid" only
  ThresholdSpec threshold;  // kind "threshold" only
  BanditSpec bandit;        // kind "bandit" only
  AeoSpec aeo;              // kind "aeo" only
  // What its administrations' risk engines share (crsim/sim/exchange.h): "pooled" (default: one
  // engine learns from every administration's inspections) | "none" (one engine per administration,
  // learning from its own inspections only) | "shared_outcomes" (as "none", plus the other
  // administrations' trader and declarant inspection outcomes, exchange_delay_days later) |
  // "shared_profiles" (as "none", plus the other administrations' risk-profile evidence: price
  // observations, overall/chapter/origin hit counts, model training rows, exchange_delay_days
  // later). RegisteredExchangeModes().
  std::string exchange = "pooled";
  std::int64_t exchange_delay_days = 0;  // "shared_outcomes" and "shared_profiles" only; days; 0..3650
};

struct StrategySpec {
  // One per run.strategies entry, in that order; then the [strategy.<registered name>] tables that
  // run.strategies does not list (checked, unused by runs; MakeStrategy(name) finds them).
  std::vector<StrategyInstanceSpec> instances;
};

struct ScenarioSpec {
  std::string source_path;  // the file it was loaded from ("<string>" when parsed from text)
  std::string source_text;  // the file's text as read, before overrides (recorded in results)
  std::vector<std::string> overrides;  // the --set key=value strings applied, in order
  RunSpec run;
  ArrivalSpec arrivals;
  CatalogueSpec catalogue;
  std::vector<CountrySpec> countries;  // in file order
  std::vector<AdministrationSpec> administrations;
  TraderSpec traders;
  FraudSpec fraud;
  InspectionSpec inspection;
  RiskSpec risk;
  StrategySpec strategy;
  ChannelsSpec channels;
  IntelligenceSpec intelligence;
};

// The score combinations of [risk] combination, in a stable order.
const std::vector<std::string>& RegisteredCombinations();

// The exchange modes of [strategy.<name>] exchange: "pooled", "none", "shared_outcomes", "shared_profiles".
const std::vector<std::string>& RegisteredExchangeModes();

// The strategy names the simulator knows, in a stable order.
const std::vector<std::string>& RegisteredStrategyNames();

// The instance `name` of spec.strategy.instances, or (for a spec not made by the loader) the
// registered strategy of that name with default settings and risk.combination.
StrategyInstanceSpec FindStrategyInstance(const ScenarioSpec& spec, const std::string& name);

// Parses and validates; throws crsim::InputError listing every problem. An override is "key=value"
// with a dotted key and a TOML value (a bare word that is not valid TOML is taken as a string);
// it is validated exactly like the same key written in the file, and reported with source "--set".
ScenarioSpec LoadScenarioFile(const std::string& path, const std::vector<std::string>& overrides = {});
ScenarioSpec ParseScenario(const std::string& text, const std::string& source_path,
                           const std::vector<std::string>& overrides = {});

}  // namespace crsim::sim
