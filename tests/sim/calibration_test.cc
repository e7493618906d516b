// crsim calibrate and crsim fidelity as a library: the distances against hand-computed values, the
// round trip (generate from a known scenario -> CSV -> calibrate -> the known parameters), the
// calibrated scenario on the KCS fixture, fidelity of calibrate's own output, determinism, and the
// scenario keys calibrate writes.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "crsim/data/csv.h"
#include "crsim/data/declaration_import.h"
#include "crsim/data/input_error.h"
#include "crsim/sim/calibration.h"
#include "crsim/sim/experiment.h"
#include "crsim/sim/fidelity.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {
namespace {

const std::string kSourceDir = CRSIM_SOURCE_DIR;

// ---- Distances on tiny examples, computed by hand.

TEST(KolmogorovSmirnovTest, EqualsHandComputedValues) {
  // a = {1, 2, 3}, b = {2.5}: after 1: |1/3 - 0|; after 2: |2/3 - 0| = 2/3; after 2.5: |2/3 - 1|.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov({1, 2, 3}, {2.5}), 2.0 / 3.0);
  // Identical samples: 0. Disjoint samples: 1.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov({4, 1, 3}, {3, 4, 1}), 0.0);
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov({1, 2}, {5, 6, 7}), 1.0);
  // Ties within and across samples: a = {1, 1, 2, 2}, b = {1, 2, 2, 2}.
  // At 1: F_a = 2/4, F_b = 1/4 -> 1/4 (a pairwise walk that splits the tie would see 2/4 or 3/4).
  // At 2: both 1 -> 0. D = 1/4.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov({1, 1, 2, 2}, {1, 2, 2, 2}), 0.25);
  // a = {0, 0, 0}, b = {0, 1}: at 0: 1 vs 1/2 -> 1/2.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov({0, 0, 0}, {0, 1}), 0.5);
  // Symmetric.
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov({0, 1}, {0, 0, 0}), 0.5);
  EXPECT_TRUE(std::isnan(KolmogorovSmirnov({}, {1})));
}

TEST(TopCategoryTvdTest, EqualsHandComputedValues) {
  // real: a a a b b c (3/6, 2/6, 1/6); generated: a b b b x (1/5, 3/5, 0, x is not a real category).
  const std::vector<std::string> real = {"a", "a", "a", "b", "b", "c"};
  const std::vector<std::string> generated = {"a", "b", "b", "b", "x"};
  // Top 3 + other: |3/6-1/5| + |2/6-3/5| + |1/6-0| + |0-1/5| = 0.3 + 0.2667 + 0.1667 + 0.2 = 0.9333; /2.
  EXPECT_NEAR(TopCategoryTvd(real, generated, 50), 0.5 * (0.3 + 4.0 / 15.0 + 1.0 / 6.0 + 0.2), 1e-12);
  // Top 1: cells a and other. |3/6 - 1/5| + |3/6 - 4/5| = 0.6; /2 = 0.3.
  EXPECT_NEAR(TopCategoryTvd(real, generated, 1), 0.3, 1e-12);
  // Ties in frequency are broken by label: real {b, a} each once, top 1 is "a".
  EXPECT_NEAR(TopCategoryTvd({"b", "a"}, {"a", "a"}, 1), 0.5, 1e-12);
  EXPECT_NEAR(TopCategoryTvd({"b", "a"}, {"b", "b"}, 1), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(TopCategoryTvd(real, real, 50), 0.0);
  EXPECT_TRUE(std::isnan(TopCategoryTvd(real, {}, 50)));
}

TEST(FormatPercentTest, MatchesRealAndGeneratedRates) {
  EXPECT_EQ(FormatPercent(8.0), "8");
  EXPECT_EQ(FormatPercent(6.5), "6.5");
  EXPECT_EQ(FormatPercent(100.0 * static_cast<double>(0.032f)), "3.2");  // float tariff of 3.2%
  EXPECT_EQ(FormatPercent(0.0), "0");
}

// ---- A known scenario, its data as a CSV, and calibrate on it.

const char* kKnownScenario = R"(
[run]
days = 10
seed = 7

[arrivals]
declarations_per_day = 3000
indirect_route_share = 0.2
hub_countries = ["NL", "DE"]
hub_weights = [3, 1]
transport_modes = ["sea", "air", "road"]
transport_mode_weights = [6, 3, 1]

[countries]
CN = 5
US = 3
DE = 1.5
NL = 0.5

[[administrations]]
name = "X"
offices = 3
office_weights = [5, 3, 2]
office_labels = ["A1", "B2", "C3"]

[traders]
count = 3000
volume_zipf_exponent = 0.6
portfolio_hs6 = 4
portfolio_origins = 2
fraud_prone_share = 0.0
honest_new_share = 0.0
fraud_prone_new_share = 0.0

[fraud]
fraud_prone_rate = 0.0
honest_rate = 0.05

[fraud.misclassification]
enabled = false  # a misclassified row carries another code's price and quantity

[catalogue]
codes = [
  {hs6 = 10121, weight = 4, tariff = 0.05, log_price_mean = 2.0, log_price_sd = 0.5, log_quantity_mean = 3.0, log_quantity_sd = 1.0},
  {hs6 = 10129, weight = 1, tariff = 0.0, log_price_mean = 1.0, log_price_sd = 0.3, log_quantity_mean = 2.0, log_quantity_sd = 0.5},
  {hs6 = 392690, weight = 3, tariff = 0.08, log_price_mean = 3.0, log_price_sd = 0.8, log_quantity_mean = 5.0, log_quantity_sd = 1.5},
  {hs6 = 940350, weight = 2, tariff = 0.12, log_price_mean = 4.0, log_price_sd = 0.6, log_quantity_mean = 1.0, log_quantity_sd = 1.2},
]
)";

const char* kCsvSchema = R"([columns]
date = "Date"
office = "Office"
importer = "Importer"
hs6 = "HS6"
origin = "Origin"
departure = "Departure"
mode = "Mode"
mass_kg = "Mass"
value = "Value"
tariff_rate_percent = "Tariff"

[labels]
fraud = "Fraud"
)";

// The sample as a CSV with the columns of kCsvSchema (days 0..27 become 2020-01-01..28).
std::string SampleCsv(const DeclarationSample& sample) {
  std::string csv = "Date,Office,Importer,HS6,Origin,Departure,Mode,Mass,Value,Tariff,Fraud\n";
  for (std::size_t i = 0; i < static_cast<std::size_t>(sample.rows); ++i) {
    csv += fmt::format("2020-01-{:02d},{},{},{},{},{},{},{:.9g},{:.9g},{},{}\n", sample.day[i] + 1, sample.office[i],
                       sample.importer[i], sample.hs6[i], sample.origin[i], sample.departure[i],
                       sample.transport_mode[i], sample.mass[i], sample.value[i], sample.tariff_percent[i],
                       sample.fraud[i]);
  }
  return csv;
}

struct Calibrated {
  data::ImportedDeclarations imported;
  std::string text;
  ScenarioSpec spec;
};

Calibrated CalibrateCsv(const std::string& csv_text, const std::string& schema_text) {
  const data::ImportSchema schema = data::ParseImportSchema(schema_text, "schema.toml");
  Calibrated result;
  result.imported = data::ImportDeclarations(data::CsvDocument::FromText(csv_text, "known.csv", schema.delimiter), schema);
  CalibrationOptions options;
  options.source_description = "known.csv";
  result.text = CalibrateScenario(result.imported, schema, options);
  result.spec = ParseScenario(result.text, "calibrated.toml");
  return result;
}

std::map<std::string, double> Normalised(const std::vector<std::string>& labels, const std::vector<double>& weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::map<std::string, double> shares;
  for (std::size_t i = 0; i < labels.size(); ++i) shares[labels[i]] = weights[i] / total;
  return shares;
}

void ExpectSharesNear(const std::map<std::string, double>& expected, const std::map<std::string, double>& actual,
                      double tolerance, const std::string& what) {
  for (const auto& [label, share] : expected) {
    const auto it = actual.find(label);
    ASSERT_NE(it, actual.end()) << what << " " << label;
    EXPECT_NEAR(it->second, share, tolerance) << what << " " << label;
  }
}

class RoundTripTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    known_ = new ScenarioSpec(ParseScenario(kKnownScenario, "known.toml"));
    sample_ = new DeclarationSample(GenerateSample(*known_, 30000));
    calibrated_ = new Calibrated(CalibrateCsv(SampleCsv(*sample_), kCsvSchema));
  }
  static void TearDownTestSuite() {
    delete known_;
    delete sample_;
    delete calibrated_;
  }
  static ScenarioSpec* known_;
  static DeclarationSample* sample_;
  static Calibrated* calibrated_;
};
ScenarioSpec* RoundTripTest::known_ = nullptr;
DeclarationSample* RoundTripTest::sample_ = nullptr;
Calibrated* RoundTripTest::calibrated_ = nullptr;

// Sampling error: offices, origins and codes are per trader (home office, portfolios), so their
// shares vary with the traders' volumes: sd = sqrt(p (1 - p) sum_t v_t^2) with sum_t v_t^2 = 1.5e-5
// for 3000 traders of Zipf exponent 0.6, below 0.002. Modes are per declaration (sd < 0.003 for
// 30000). The tolerance 0.02 is several sd above both.
TEST_F(RoundTripTest, RecoversTheSharesWithinSamplingError) {
  const ScenarioSpec& fit = calibrated_->spec;
  EXPECT_EQ(fit.run.days, 10);
  EXPECT_NEAR(fit.arrivals.declarations_per_day, 3000.0, 1e-9);
  ExpectSharesNear(Normalised(known_->arrivals.transport_modes, known_->arrivals.transport_mode_weights),
                   Normalised(fit.arrivals.transport_modes, fit.arrivals.transport_mode_weights), 0.02, "mode");
  ASSERT_EQ(fit.administrations.size(), 1u);
  ExpectSharesNear(Normalised(known_->administrations[0].office_labels, known_->administrations[0].office_weights),
                   Normalised(fit.administrations[0].office_labels, fit.administrations[0].office_weights), 0.02,
                   "office");
  std::vector<std::string> known_iso, fit_iso;
  std::vector<double> known_weight, fit_weight;
  for (const CountrySpec& c : known_->countries) known_iso.push_back(c.iso), known_weight.push_back(c.weight);
  for (const CountrySpec& c : fit.countries) fit_iso.push_back(c.iso), fit_weight.push_back(c.weight);
  ExpectSharesNear(Normalised(known_iso, known_weight), Normalised(fit_iso, fit_weight), 0.02, "origin");

  std::vector<std::string> known_codes, fit_codes;
  std::vector<double> known_code_weight, fit_code_weight;
  for (const CatalogueCodeSpec& c : known_->catalogue.codes) {
    known_codes.push_back(std::to_string(c.hs6));
    known_code_weight.push_back(c.weight);
  }
  for (const CatalogueCodeSpec& c : fit.catalogue.codes) {
    fit_codes.push_back(std::to_string(c.hs6));
    fit_code_weight.push_back(c.weight);
  }
  ExpectSharesNear(Normalised(known_codes, known_code_weight), Normalised(fit_codes, fit_code_weight), 0.02, "hs6");
}

// Per code: the tariff exactly (every row of a code carries it), the log-normal means and sds within
// 0.1 (thousands of rows per code: sampling sd of a mean below 0.03; undervaluation of 5% of the
// taxed rows shifts declared log values by 0.05 x E[-log U(0.3, 0.8)] = 0.03), the fraud rate within
// 0.01 (sd of the fraud share of 30000 rows: 0.0013), the Zipf exponent within 0.1.
TEST_F(RoundTripTest, RecoversCodesTariffsAndFraudRate) {
  const ScenarioSpec& fit = calibrated_->spec;
  ASSERT_EQ(fit.catalogue.codes.size(), known_->catalogue.codes.size());
  for (const CatalogueCodeSpec& known : known_->catalogue.codes) {
    const auto it = std::find_if(fit.catalogue.codes.begin(), fit.catalogue.codes.end(),
                                 [&](const CatalogueCodeSpec& c) { return c.hs6 == known.hs6; });
    ASSERT_NE(it, fit.catalogue.codes.end()) << known.hs6;
    EXPECT_NEAR(it->tariff, known.tariff, 1e-6) << known.hs6;
    EXPECT_NEAR(it->log_price_mean, known.log_price_mean, 0.1) << known.hs6;
    EXPECT_NEAR(it->log_price_sd, known.log_price_sd, 0.1) << known.hs6;
    EXPECT_NEAR(it->log_quantity_mean, known.log_quantity_mean, 0.1) << known.hs6;
    EXPECT_NEAR(it->log_quantity_sd, known.log_quantity_sd, 0.1) << known.hs6;
  }
  EXPECT_NEAR(fit.fraud.honest_rate, known_->fraud.honest_rate, 0.01);
  EXPECT_NEAR(fit.traders.volume_zipf_exponent, known_->traders.volume_zipf_exponent, 0.1);
  EXPECT_EQ(fit.administrations[0].office_labels.size(), 3u);
}

// Fidelity of calibrate's own output on 30000 rows: every target met.
TEST_F(RoundTripTest, FidelityOfTheCalibratedScenarioMeetsTheTargets) {
  const FidelityReport report =
      CompareSamples(SampleFromImport(calibrated_->imported), GenerateSample(calibrated_->spec, 30000));
  EXPECT_TRUE(report.not_compared.empty());
  int with_target = 0;
  for (const FidelityRow& row : report.rows) {
    if (!row.target) continue;
    ++with_target;
    EXPECT_TRUE(row.pass()) << row.column << " " << row.measure << " = " << row.distance << " (target " << *row.target
                            << ")";
  }
  EXPECT_EQ(with_target, 11) << FormatFidelityReport(report);
}

TEST_F(RoundTripTest, SameInputSameScenarioAndSameSampleWhateverTheThreads) {
  EXPECT_EQ(CalibrateCsv(SampleCsv(*sample_), kCsvSchema).text, calibrated_->text);
  DeclarationSample one, two;
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 1);
    one = GenerateSample(calibrated_->spec, 5000);
  }
  {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
    ScenarioSpec small_chunks = calibrated_->spec;
    small_chunks.run.chunk_size = 64;
    two = GenerateSample(small_chunks, 5000);
  }
  EXPECT_EQ(one.hs6, two.hs6);
  EXPECT_EQ(one.office, two.office);
  EXPECT_EQ(one.transport_mode, two.transport_mode);
  EXPECT_EQ(one.departure, two.departure);
  EXPECT_EQ(one.importer, two.importer);
  EXPECT_EQ(one.value, two.value);
  EXPECT_EQ(one.mass, two.mass);
  EXPECT_EQ(one.fraud, two.fraud);
}

// ---- The KCS fixture (200 rows of the validation split): a scenario that validates and runs.

TEST(CalibrateKcsTest, FixtureGivesAScenarioThatValidatesAndRuns) {
  const data::ImportSchema schema = data::LoadImportSchema(kSourceDir + "/data/schemas/kcs.toml");
  const data::ImportedDeclarations imported = data::ImportDeclarations(
      data::CsvDocument::Load(kSourceDir + "/tests/data/fixtures/kcs_valid_sample.csv", schema.delimiter), schema);
  const std::string text = CalibrateScenario(imported, schema, {});
  const ScenarioSpec spec = ParseScenario(text, "kcs_sample.toml");
  EXPECT_EQ(text.rfind("# Calibrated by crsim calibrate", 0), 0u);
  EXPECT_EQ(spec.administrations.at(0).office_labels.size(), 20u) << "20 offices in the fixture";
  const ExperimentResult result = RunExperiment(spec, 0);
  EXPECT_GT(result.strategies.size(), 0u);
}

// On the shared KCS training split (when present): the issue's targets.
TEST(CalibrateKcsTest, SharedTrainingSplitMeetsTheTargets) {
  const std::string train = "/work/shared/data/kcs-customs/df_syn_train_eng.csv";
  if (!std::filesystem::exists(train)) GTEST_SKIP() << "shared KCS data not present at " << train;
  const data::ImportSchema schema = data::LoadImportSchema(kSourceDir + "/data/schemas/kcs.toml");
  const data::ImportedDeclarations imported =
      data::ImportDeclarations(data::CsvDocument::Load(train, schema.delimiter), schema);
  const ScenarioSpec spec = ParseScenario(CalibrateScenario(imported, schema, {}), "kcs.toml");
  const FidelityReport report = CompareSamples(SampleFromImport(imported), GenerateSample(spec, imported.rows));
  for (const FidelityRow& row : report.rows) {
    if (row.target) {
      EXPECT_TRUE(row.pass()) << row.column << " = " << row.distance;
    }
  }
}

TEST(CalibrateKcsTest, MissingRequiredFieldIsAnInputErrorNamingIt) {
  const data::ImportSchema schema =
      data::ParseImportSchema("[columns]\ndate = \"D\"\nhs6 = \"H\"\nvalue = \"V\"\n", "s.toml");
  const data::ImportedDeclarations imported =
      data::ImportDeclarations(data::CsvDocument::FromText("D,H,V\n2020-01-01,440890,1\n", "d.csv"), schema);
  try {
    CalibrateScenario(imported, schema, {});
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("s.toml: columns.mass_kg: crsim calibrate needs the field \"mass_kg\""),
              std::string::npos)
        << error.what();
  }
}

// ---- The scenario keys calibrate writes are strict.

std::string Minimal(const std::string& arrivals, const std::string& administration, const std::string& rest) {
  return "[arrivals]\n" + arrivals + "\n[countries]\nCN = 1\nUS = 1\n[[administrations]]\nname = \"X\"\noffices = 2\n" +
         administration + "\n" + rest;
}

std::string Problems(const std::string& text) {
  try {
    ParseScenario(text, "t.toml");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(CalibratedKeysTest, BadValuesAreReportedWithKeyAndPosition) {
  EXPECT_NE(Problems(Minimal("hub_countries = [\"CN\", \"FR\"]\nhub_weights = [1, 2]", "", ""))
                .find("arrivals.hub_countries[1]: hub country \"FR\" is not in [countries]"),
            std::string::npos);
  EXPECT_NE(Problems(Minimal("hub_countries = [\"CN\"]\nhub_weights = [1, 2]", "", ""))
                .find("arrivals.hub_weights: must have one weight per element of arrivals.hub_countries (1), got 2"),
            std::string::npos);
  EXPECT_NE(Problems(Minimal("transport_modes = [\"10\", \"10\"]\ntransport_mode_weights = [1, 1]", "", ""))
                .find("arrivals.transport_modes[1]: duplicate transport mode \"10\""),
            std::string::npos);
  EXPECT_NE(Problems(Minimal("transport_modes = [\"10\"]", "", ""))
                .find("arrivals.transport_mode_weights: arrivals.transport_modes and "
                      "arrivals.transport_mode_weights go together"),
            std::string::npos);
  EXPECT_NE(Problems(Minimal("", "office_weights = [1, 0]", "")).find("administrations[0].office_weights[1]: must be greater than 0, got 0"),
            std::string::npos);
  EXPECT_NE(Problems(Minimal("", "office_labels = [\"a\"]", ""))
                .find("administrations[0].office_labels: must have one label per office (2), got 1"),
            std::string::npos);
  EXPECT_NE(Problems(Minimal("", "", "[traders]\ncount = 1\nlabels = [\"a\", \"b\"]"))
                .find("traders.labels: at most one label per trader (1), got 2"),
            std::string::npos);
  const std::string codes =
      "[catalogue]\nchapters = 3\ncodes = [{hs6 = 770101, log_price_mean = 1, log_quantity_mean = 1},"
      " {hs6 = 10121, log_price_mean = 1}, {hs6 = 10121, log_price_mean = 1, log_quantity_mean = 1, tarif = 0.1}]";
  const std::string problems = Problems(Minimal("", "", codes));
  EXPECT_NE(problems.find("t.toml:11:12: catalogue.chapters: has no effect with an explicit catalogue"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find("catalogue.codes[0].hs6: HS chapter 77 does not exist"), std::string::npos) << problems;
  EXPECT_NE(problems.find("catalogue.codes[1].log_quantity_mean: missing required key"), std::string::npos) << problems;
  EXPECT_NE(problems.find("catalogue.codes[2].hs6: duplicate HS6 code 010121"), std::string::npos) << problems;
  EXPECT_NE(problems.find("catalogue.codes[2].tarif: unknown key \"tarif\"; did you mean \"tariff\"?"),
            std::string::npos)
      << problems;
  const std::string origins = Problems(Minimal(
      "", "",
      "[catalogue]\nchapter_origins = [{chapter = 77, origins = [\"CN\"], weights = [1]},"
      " {chapter = 39, origins = [\"CN\", \"FR\"], weights = [1, 2]}, {chapter = 39, origins = [\"US\"], weights = [1, 2]}]"));
  EXPECT_NE(origins.find("catalogue.chapter_origins[0].chapter: HS chapter 77 does not exist"), std::string::npos)
      << origins;
  EXPECT_NE(origins.find("catalogue.chapter_origins[1].origins[1]: origin \"FR\" is not in [countries]"),
            std::string::npos)
      << origins;
  EXPECT_NE(origins.find("catalogue.chapter_origins[2].chapter: duplicate chapter 39 (first at "
                         "catalogue.chapter_origins[1])"),
            std::string::npos)
      << origins;
  EXPECT_NE(origins.find("catalogue.chapter_origins[2].weights: must have one weight per element of "
                         "catalogue.chapter_origins[2].origins (1), got 2"),
            std::string::npos)
      << origins;
}

// A chapter's origin table decides the origin of its declarations; other chapters keep portfolios.
TEST(CalibratedKeysTest, ChapterOriginsDecideTheOriginOfTheirChapter) {
  const ScenarioSpec spec = ParseScenario(
      Minimal("", "",
              "[catalogue]\nchapters = 2\nheadings_per_chapter = 1\nsubheadings_per_heading = 1\n"
              "chapter_origins = [{chapter = 1, origins = [\"US\"], weights = [1]}]"),
      "t.toml");
  const DeclarationSample sample = GenerateSample(spec, 4000);
  std::map<std::string, std::map<std::string, int>> counts;
  for (std::size_t i = 0; i < sample.hs6.size(); ++i) ++counts[sample.hs_chapter[i]][sample.origin[i]];
  EXPECT_EQ(counts["01"].size(), 1u);
  EXPECT_GT(counts["01"]["US"], 0);
  EXPECT_EQ(counts["97"].size(), 2u) << "chapter 97 draws from portfolios over CN and US";
}

// Scenarios without the new keys build the same world as before: uniform offices, labels = names,
// no transport mode.
TEST(CalibratedKeysTest, DefaultsLeaveTheSyntheticWorldAlone) {
  const ScenarioSpec spec = ParseScenario(Minimal("", "", ""), "t.toml");
  const World world = BuildWorld(spec);
  EXPECT_FALSE(world.catalogue.is_explicit());
  EXPECT_EQ(world.offices[1].label, "X-2");
  EXPECT_EQ(world.administration_office_table[0].size(), 0u);
  const DeclarationSample sample = GenerateSample(spec, 100);
  EXPECT_TRUE(sample.transport_mode.empty());
}

}  // namespace
}  // namespace crsim::sim
