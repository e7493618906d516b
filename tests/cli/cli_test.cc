// The crsim program end to end: bad input gives exit code 2, a message naming the problem and its
// location, and no results file; a good run writes a complete results file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/data/results_file.h"
#include "cli_runner.h"
#include "small_scenario.h"

namespace crsim {
namespace {

using testing::Outcome;
using testing::RunCli;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crsim-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::string Out() const { return (dir_ / "out").string(); }
  bool ResultsExist() const { return std::filesystem::exists(dir_ / "out" / "results.h5"); }

  std::filesystem::path dir_;
};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

struct BadInput {
  std::string name;
  std::string scenario_text;   // empty: use the small scenario unchanged
  std::string extra_arguments;
  std::vector<std::string> expected;  // substrings of the message
};

TEST_F(CliTest, BadInputExitsWithTwoNamesTheProblemAndWritesNothing) {
  const std::string good = testing::SmallScenarioToml();
  const std::vector<BadInput> cases = {
      {"unknown key", Replace(good, "days = 6", "dayz = 6"), "", {"bad.toml:2:1", "dayz", "did you mean", "days"}},
      {"wrong type", Replace(good, "days = 6", "days = \"six\""), "", {"bad.toml:2:", "run.days", "integer"}},
      {"negative capacity", Replace(good, "inspection_capacity = 60", "inspection_capacity = -5"), "",
       {"bad.toml:25:", "inspection_capacity", "-5"}},
      {"empty strategy list", Replace(good, R"(strategies = ["random", "topk", "hybrid"])", "strategies = []"), "",
       {"bad.toml:5:", "run.strategies"}},
      {"override of unknown key", "", "--set run.dayz=3", {"--set", "run.dayz", "did you mean"}},
      {"override with wrong type", "", "--set run.days=many", {"--set", "run.days"}},
      {"TOML syntax error", Replace(good, "[arrivals]", "[arrivals"), "", {"bad.toml:7:"}},
      {"zero threads", "", "--threads 0", {"threads"}},
      {"GBDT depth out of range", "", "--set risk.gbdt.max_depth=0", {"--set", "risk.gbdt.max_depth", "between 1 and 16"}},
      {"GBDT key misspelt", good + "\n[risk.gbdt]\nlearning_rat = 0.1\n", "",
       {"bad.toml:", "risk.gbdt.learning_rat", "did you mean \"learning_rate\""}},
      {"GBDT rows inconsistent", good + "\n[risk.gbdt]\nmin_training_rows = 10\nmax_training_rows = 5\n", "",
       {"risk.gbdt.max_training_rows", "must be at least min_training_rows (10), got 5"}},
      {"unknown exchange mode", "",
       "--set 'run.strategies=[\"x\"]' --set strategy.x.kind=topk --set strategy.x.exchange=shared",
       {"strategy.x.exchange", "unknown value \"shared\"", "one of: pooled, none, shared_outcomes"}},
      {"exchange delay without sharing", "",
       "--set 'run.strategies=[\"x\"]' --set strategy.x.kind=topk --set strategy.x.exchange_delay_days=3",
       {"strategy.x.exchange_delay_days", "applies only with exchange = \"shared_outcomes\""}},
      {"phoenix key misspelt", good + "\n[fraud.phoenix]\nenabled = true\nfraud_rat = 0.5\n", "",
       {"bad.toml:", "fraud.phoenix.fraud_rat", "did you mean \"fraud_rate\""}},
      {"negative phoenix rate", "", "--set fraud.phoenix.fraud_rate=-0.1", {"--set", "fraud.phoenix.fraud_rate", "-0.1"}},
      {"more complicit declarants than declarants", "",
       "--set traders.declarants=3 --set fraud.phoenix.complicit_declarants=4",
       {"fraud.phoenix.complicit_declarants", "between 1 and 3"}},
      {"negative ring count", "", "--set fraud.rings.rings=-2", {"--set", "fraud.rings.rings", "-2"}},
      {"ring key misspelt", good + "\n[fraud.rings]\nenabled = true\nmember_max = 5\n", "",
       {"bad.toml:", "fraud.rings.member_max", "did you mean \"members_max\""}},
      {"ring sizes inverted", good + "\n[fraud.rings]\nmembers_min = 6\nmembers_max = 4\n", "",
       {"bad.toml:", "fraud.rings.members_max", "must be at least fraud.rings.members_min (6), got 4"}},
      {"more ring members than fraud-prone traders", "",
       "--set fraud.rings.enabled=true --set fraud.rings.rings=100 --set fraud.rings.members_max=10",
       {"fraud.rings.members_max", "must be at most half the fraud-prone traders expected"}},
      {"ring declarant share above one", "", "--set fraud.rings.declarant_share=1.5",
       {"fraud.rings.declarant_share", "1.5"}},
      {"no understatement levels", "", "--set fraud.adaptation.understatement_levels=0",
       {"fraud.adaptation.understatement_levels", "between 1 and 16"}},
      {"negative declarant weight", "", "--set risk.declarant_history_weight=-1", {"risk.declarant_history_weight"}},
      {"e-commerce key misspelt", good + "\n[arrivals.ecommerce]\ndeclarations_per_day = 100\nconsignes = 50\n", "",
       {"bad.toml:", "arrivals.ecommerce.consignes", "did you mean \"consignees\""}},
      {"e-commerce office that does not exist", "", "--set 'arrivals.ecommerce.offices=[\"DE-9\"]' --set 'arrivals.ecommerce.office_weights=[1.0]'",
       {"--set", "arrivals.ecommerce.offices[0]", "does not exist"}},
      {"negative e-commerce rate", "", "--set arrivals.ecommerce.declarations_per_day=-5",
       {"--set", "arrivals.ecommerce.declarations_per_day", "-5"}},
      {"unknown strategy kind", "",
       "--set 'run.strategies=[\"ml\"]' --set strategy.ml.kind=gbdt",
       {"strategy.ml.kind", "unknown strategy kind \"gbdt\"", "registered: random, topk, hybrid",
        "is a risk combination: write combination = \"gbdt\""}},
  };
  for (const BadInput& bad : cases) {
    SCOPED_TRACE(bad.name);
    const std::string path = Write("bad.toml", bad.scenario_text.empty() ? good : bad.scenario_text);
    const Outcome outcome = RunCli("run " + path + " --out " + Out() + " " + bad.extra_arguments);
    EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
    for (const std::string& expected : bad.expected) {
      EXPECT_NE(outcome.output.find(expected), std::string::npos) << "missing \"" << expected << "\" in:\n" << outcome.output;
    }
    EXPECT_FALSE(ResultsExist());
    EXPECT_FALSE(std::filesystem::exists(dir_ / "out")) << "bad input creates no output directory";
  }
}

TEST_F(CliTest, UnreadableScenarioFileExitsWithTwo) {
  const Outcome missing = RunCli("run " + (dir_ / "missing.toml").string() + " --out " + Out());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("missing.toml"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
  const Outcome directory = RunCli("validate " + dir_.string());
  EXPECT_EQ(directory.exit_code, 2) << directory.output;
}

TEST_F(CliTest, ValidateReportsEveryProblemAtOnce) {
  std::string text = Replace(testing::SmallScenarioToml(), "days = 6", "days = 0");
  text = Replace(text, "count = 3000", "cuont = 3000");
  text = Replace(text, "honest_rate = 0.002", "honest_rate = 2.0");
  const Outcome outcome = RunCli("validate " + Write("bad.toml", text));
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.output.find("run.days"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("cuont"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("fraud.honest_rate"), std::string::npos) << outcome.output;
}

TEST_F(CliTest, ValidateAcceptsTheShippedScenarios) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CRSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    const Outcome outcome = RunCli("validate " + entry.path().string());
    EXPECT_EQ(outcome.exit_code, 0) << entry.path() << "\n" << outcome.output;
  }
}

TEST_F(CliTest, InspectDataPrintsPrevalenceDutyAndSeparability) {
  const std::string scenario = Write("small.toml", testing::SmallScenarioToml());
  const Outcome outcome = RunCli("inspect-data " + scenario + " --rows 20000 --set run.seed=3");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const char* expected : {"undervaluation", "misclassification", "prevalence", "duty evaded (EUR)",
                               "univariate ROC AUC", "declaration_id (number)", "trader (category)"}) {
    EXPECT_NE(outcome.output.find(expected), std::string::npos) << expected << "\n" << outcome.output;
  }
  const Outcome bad = RunCli("inspect-data " + scenario + " --set fraud.adaptation.temperature=0");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("fraud.adaptation.temperature"), std::string::npos) << bad.output;
}

TEST_F(CliTest, RunWritesACompleteResultsFileWhateverTheThreadCount) {
  const std::string path = Write("small.toml", testing::SmallScenarioToml());
  std::vector<std::vector<std::int64_t>> hits_per_run;
  for (const int threads : {1, 2}) {
    const std::string out = (dir_ / ("out" + std::to_string(threads))).string();
    const Outcome outcome =
        RunCli("run " + path + " --out " + out + " --threads " + std::to_string(threads) + " --set run.days=3");
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    EXPECT_NE(outcome.output.find("true detection rate"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("revenue recall"), std::string::npos) << outcome.output;
    EXPECT_NE(outcome.output.find("by administration"), std::string::npos) << outcome.output;
    const data::ResultsReader reader(out + "/results.h5");
    EXPECT_EQ(reader.ReadIntegerAttribute("/", "threads"), threads);
    EXPECT_EQ(reader.ReadIntegerAttribute("/", "seed"), 7);
    EXPECT_EQ(reader.ReadIntegerAttribute("/", "days"), 3);
    EXPECT_EQ(reader.ReadStringAttribute("/", "scenario_text"), testing::SmallScenarioToml());
    EXPECT_EQ(reader.ReadStringAttribute("/", "overrides"), "run.days=3");
    EXPECT_FALSE(reader.ReadStringAttribute("/", "git_revision").empty());
    for (const char* strategy : {"random", "topk", "hybrid"}) {
      const std::string base = std::string("/strategies/") + strategy;
      EXPECT_EQ(reader.ReadIntegers(base + "/daily/declarations").size(), 3u);
      EXPECT_EQ(reader.ReadDoubles(base + "/daily/true_detection_rate").size(), 3u);
      // The administrations' counters add up to the union's (AA and BB), day by day.
      for (const char* counter : {"declarations", "inspections", "hits", "frauds", "duty_recovered_cents"}) {
        const std::vector<std::int64_t> all = reader.ReadIntegers(base + "/daily/" + counter);
        const std::vector<std::int64_t> aa = reader.ReadIntegers(base + "/daily/by_administration/AA/" + counter);
        const std::vector<std::int64_t> bb = reader.ReadIntegers(base + "/daily/by_administration/BB/" + counter);
        ASSERT_EQ(aa.size(), all.size());
        ASSERT_EQ(bb.size(), all.size());
        for (std::size_t d = 0; d < all.size(); ++d) EXPECT_EQ(aa[d] + bb[d], all[d]) << counter << " day " << d;
      }
      EXPECT_EQ(reader.ReadDoubles(base + "/total/by_administration/BB/fraud_share").size(), 1u);
      // The typology counters add up to the overall ones (one typology per declaration).
      std::int64_t typology_frauds = 0;
      for (const char* typology : data::kFraudTypeNames) {
        const auto series = reader.ReadIntegers(base + "/total/by_typology/" + typology + "/frauds");
        ASSERT_EQ(series.size(), 1u);
        typology_frauds += series[0];
      }
      EXPECT_EQ(typology_frauds, reader.ReadIntegers(base + "/total/frauds").at(0));
      EXPECT_GT(typology_frauds, 0);
    }
    hits_per_run.push_back(reader.ReadIntegers("/strategies/topk/daily/hits"));
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
      ++files;
      EXPECT_EQ(entry.path().filename(), "results.h5") << "no temporary file is left behind";
    }
    EXPECT_EQ(files, 1u);
  }
  EXPECT_EQ(hits_per_run[0], hits_per_run[1]);
}

// A GBDT strategy instance: its training appears in the throughput table and in results.h5.
TEST_F(CliTest, GbdtInstanceReportsItsTrainings) {
  const std::string path = Write("small.toml", testing::SmallScenarioToml());
  const Outcome outcome = RunCli("run " + path + " --out " + Out() +
                                 " --set run.days=4 --set 'run.strategies=[\"random\",\"gbdt\"]'"
                                 " --set strategy.gbdt.kind=topk --set strategy.gbdt.combination=gbdt"
                                 " --set risk.gbdt.trees=10 --set risk.gbdt.retrain_every_days=2"
                                 " --set risk.gbdt.min_training_rows=100");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const char* expected : {"model training", "s/training", "share"}) {
    EXPECT_NE(outcome.output.find(expected), std::string::npos) << expected << "\n" << outcome.output;
  }
  const data::ResultsReader reader(Out() + "/results.h5");
  EXPECT_EQ(reader.ReadIntegers("/strategies/gbdt/model/trainings"), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(reader.ReadIntegers("/strategies/gbdt/model/trees"), (std::vector<std::int64_t>{10}));
  EXPECT_EQ(reader.ReadIntegers("/strategies/random/model/trainings"), (std::vector<std::int64_t>{0}));
  EXPECT_EQ(reader.ReadDoubles("/strategies/gbdt/timing_seconds/train").size(), 1u);
  EXPECT_GT(reader.ReadDoubles("/strategies/gbdt/timing_seconds/train").at(0), 0.0);
}

// scenarios/channels.toml runs, prints the channel table and the selection-bias rows, and writes
// the channel series: served controls never exceed the channel's total capacity on any day.
TEST_F(CliTest, ChannelScenarioWritesChannelsReleaseTimesAndTheSelectionBiasGap) {
  const Outcome outcome = RunCli("run " + std::string(CRSIM_SOURCE_DIR) + "/scenarios/channels.toml --out " + Out() +
                                 " --set run.days=4 --set run.warmup_days=1");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const char* expected : {"by channel", "release p95 hours", "backlog at end", "estimated compliance rate",
                               "compliance gap", "yellow", "blue"}) {
    EXPECT_NE(outcome.output.find(expected), std::string::npos) << expected << "\n" << outcome.output;
  }
  const data::ResultsReader reader(Out() + "/results.h5");
  const sim::ScenarioSpec spec = sim::LoadScenarioFile(std::string(CRSIM_SOURCE_DIR) + "/scenarios/channels.toml");
  std::int64_t red = 0, yellow = 0;
  for (const sim::AdministrationSpec& administration : spec.administrations) {
    red += administration.offices * administration.inspection_capacity;
    yellow += administration.offices * administration.documentary_capacity;
  }
  for (const std::string& strategy : spec.run.strategies) {
    const std::string base = "/strategies/" + strategy;
    for (const std::int64_t served : reader.ReadIntegers(base + "/daily/by_channel/red/served")) EXPECT_LE(served, red);
    for (const std::int64_t served : reader.ReadIntegers(base + "/daily/by_channel/yellow/served")) EXPECT_LE(served, yellow);
    const double p50 = reader.ReadDoubles(base + "/total/by_channel/red/release_p50_hours").at(0);
    const double p95 = reader.ReadDoubles(base + "/total/by_channel/red/release_p95_hours").at(0);
    EXPECT_GT(p50, 0.0);
    EXPECT_LE(p50, p95);
    EXPECT_EQ(reader.ReadDoubles(base + "/daily/compliance_gap").size(), 4u);
  }
}

TEST_F(CliTest, SeedFlagOverridesTheScenarioSeed) {
  const std::string path = Write("small.toml", testing::SmallScenarioToml());
  const Outcome outcome = RunCli("run " + path + " --out " + Out() + " --seed 99 --set run.days=2");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(data::ResultsReader(Out() + "/results.h5").ReadIntegerAttribute("/", "seed"), 99);
}

TEST_F(CliTest, ReplicationsWriteEachRunAndASummary) {
  const std::string path = Write("small.toml", testing::SmallScenarioToml());
  const Outcome single = RunCli("run " + path + " --out " + Out() + "1 --set run.days=2");
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const Outcome outcome = RunCli("run " + path + " --out " + Out() + "3 --set run.days=2 --replications 3");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("3 replications"), std::string::npos) << outcome.output;
  const data::ResultsReader reader(Out() + "3/results.h5");
  EXPECT_EQ(reader.ReadIntegerAttribute("/", "replications"), 3);
  for (const char* r : {"0", "1", "2"}) {
    EXPECT_EQ(reader.ReadIntegers(std::string("/replications/") + r + "/strategies/topk/daily/hits").size(), 2u);
  }
  EXPECT_EQ(reader.ReadIntegers("/replications/0/strategies/topk/daily/hits"),
            data::ResultsReader(Out() + "1/results.h5").ReadIntegers("/strategies/topk/daily/hits"))
      << "replication 0 is the single run";
  const std::vector<double> summary = reader.ReadDoubles("/summary/strategies/topk/hit_rate");
  ASSERT_EQ(summary.size(), 3u);
  EXPECT_LE(summary[1], summary[0]);
  EXPECT_GE(summary[2], summary[0]);
  EXPECT_EQ(reader.ReadDoubles("/summary/paired/random_minus_topk/hit_rate").size(), 3u);
  // Per administration (AA, BB) and per typology, in the file and in the printed summary.
  EXPECT_EQ(reader.ReadDoubles("/summary/strategies/topk/by_administration/AA/true_detection_rate").size(), 3u);
  EXPECT_EQ(reader.ReadDoubles("/summary/strategies/topk/by_administration/BB/revenue_recall").size(), 3u);
  EXPECT_EQ(reader.ReadDoubles("/summary/strategies/topk/by_typology/undervaluation/hits").size(), 3u);
  EXPECT_EQ(reader.ReadDoubles("/summary/paired/random_minus_topk/by_administration/AA/true_detection_rate").size(), 3u);
  EXPECT_EQ(reader.ReadDoubles("/summary/paired/random_minus_topk/by_typology/undervaluation/true_detection_rate").size(), 3u);
  EXPECT_NE(outcome.output.find("by administration\n"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("by typology\n"), std::string::npos) << outcome.output;
  const Outcome bad = RunCli("run " + path + " --out " + Out() + "0 --replications 0");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("run.replications"), std::string::npos) << bad.output;
}

TEST_F(CliTest, ImportsTheSharedKcsDataWithItsSchema) {
  const std::string kcs = std::string(CRSIM_SOURCE_DIR) + "/../shared/data/kcs-customs/df_syn_valid_eng.csv";
  if (!std::filesystem::exists(kcs)) GTEST_SKIP() << "shared KCS data not present at " << kcs;
  const std::string out = (dir_ / "valid.h5").string();
  const Outcome outcome = RunCli("import --csv " + kcs + " --schema " + std::string(CRSIM_SOURCE_DIR) +
                                 "/data/schemas/kcs.toml --out " + out);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const data::ResultsReader reader(out);
  EXPECT_EQ(reader.ReadIntegerAttribute("/", "rows"), 8134) << "the README's row count";
  const std::vector<std::int64_t> fraud = reader.ReadIntegers("/columns/fraud");
  std::int64_t frauds = 0;
  for (const std::int64_t label : fraud) frauds += label;
  // Counted independently: awk -F, 'NR>1{s+=$21} END{print s}' df_syn_valid_eng.csv
  EXPECT_EQ(frauds, 1704);
  EXPECT_EQ(reader.ReadStrings("/dictionaries/office").front(), "<unknown>");
}

TEST_F(CliTest, ImportsTheKcsSampleFixture) {
  const std::string source = CRSIM_SOURCE_DIR;
  const std::string out = (dir_ / "sample.h5").string();
  const Outcome outcome = RunCli("import --csv " + source + "/tests/data/fixtures/kcs_valid_sample.csv --schema " +
                                 source + "/data/schemas/kcs.toml --out " + out + " --threads 2");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const data::ResultsReader reader(out);
  EXPECT_EQ(reader.ReadIntegerAttribute("/", "rows"), 200);
  std::int64_t frauds = 0;
  for (const std::int64_t label : reader.ReadIntegers("/columns/fraud")) frauds += label;
  // Counted independently: awk -F, 'NR>1{s+=$21} END{print s}'; distinct offices: cut -d, -f3 | sort -u.
  EXPECT_EQ(frauds, 33);
  EXPECT_EQ(reader.ReadStrings("/dictionaries/office").size(), 20u + 1u) << "20 offices and <unknown>";
  EXPECT_EQ(reader.ReadIntegers("/columns/hs6").front(), 760711) << "first row's HS6 code";
}

TEST_F(CliTest, ImportBadInputExitsWithTwoAndWritesNothing) {
  const std::string schema = Write("schema.toml", "[columns]\ndate = \"Date\"\nhs6 = \"HS\"\nvalue = \"Price\"\n");
  const std::string csv = Write("d.csv", "Date,HS,Price\n2020-01-01,440890,10\n2020-01-02,440890,abc\n");
  const std::string out = (dir_ / "d.h5").string();
  const Outcome bad = RunCli("import --csv " + csv + " --schema " + schema + " --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("d.csv:3:19: value: not a number: \"abc\""), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(out));

  const Outcome skipped = RunCli("import --csv " + csv + " --schema " + schema + " --out " + out + " --skip-bad-rows");
  EXPECT_EQ(skipped.exit_code, 0) << skipped.output;
  EXPECT_NE(skipped.output.find("skipped 1 bad row"), std::string::npos) << skipped.output;
  EXPECT_EQ(data::ResultsReader(out).ReadIntegerAttribute("/", "rows"), 1);

  const std::string bad_schema = Write("bad.toml", "[columns]\ndate = \"Date\"\nhs6 = \"HS\"\nvalue = \"Prise\"\n");
  const Outcome missing = RunCli("import --csv " + csv + " --schema " + bad_schema + " --out " + out + "2");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("bad.toml:4:9: columns.value"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::filesystem::exists(out + "2"));
  const Outcome no_file = RunCli("import --csv " + (dir_ / "none.csv").string() + " --schema " + schema + " --out " + out);
  EXPECT_EQ(no_file.exit_code, 2) << no_file.output;
}

// The KCS sample fixture split by date: 2021-01-01..03 (26 rows, 5 frauds) to train, 2021-01-04..05
// (174 rows, 28 frauds) to test. `drop_column` removes one column (by index) from the test file.
struct EvaluateFiles {
  std::string train, test;
};

std::string DropField(const std::string& line, int drop_column) {
  if (drop_column < 0) return line;
  std::string out;
  std::size_t begin = 0;
  int kept = 0;
  for (int field = 0; begin <= line.size(); ++field) {
    std::size_t end = line.find(',', begin);
    if (end == std::string::npos) end = line.size();
    if (field != drop_column) out += (kept++ > 0 ? "," : "") + line.substr(begin, end - begin);
    begin = end + 1;
  }
  return out;
}

EvaluateFiles SplitKcsSample(const std::filesystem::path& dir, const std::string& name, int drop_column = -1,
                             bool test_header_only = false) {
  std::ifstream in(std::string(CRSIM_SOURCE_DIR) + "/tests/data/fixtures/kcs_valid_sample.csv");
  std::string header, line, train, later;
  std::getline(in, header);
  while (std::getline(in, line)) {
    const std::string date = line.substr(line.find(',') + 1, 10);
    if (date < "2021-01-04") {
      train += line + "\n";
    } else if (!test_header_only) {
      later += DropField(line, drop_column) + "\n";
    }
  }
  const EvaluateFiles files{(dir / (name + "_train.csv")).string(), (dir / (name + "_test.csv")).string()};
  std::ofstream(files.train) << header << "\n" << train;
  std::ofstream(files.test) << DropField(header, drop_column) << "\n" << later;
  return files;
}

TEST_F(CliTest, EvaluatePrintsTheTableAndWritesMatchingJson) {
  const EvaluateFiles files = SplitKcsSample(dir_, "good");
  const std::string json = (dir_ / "metrics.json").string();
  const Outcome outcome = RunCli("evaluate --train " + files.train + " --test " + files.test + " --schema " +
                                 std::string(CRSIM_SOURCE_DIR) + "/data/schemas/kcs.toml --threads 2 --json " + json);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("(26 rows)"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("(174 rows, 16.1% fraud)"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("\"Tax Rate\" / 100 x \"Item Price\""), std::string::npos) << outcome.output;
  for (const char* model : {"rules", "unit_value", "trader", "logistic", "xgboost"}) {
    EXPECT_NE(outcome.output.find(std::string("\n") + model + " "), std::string::npos) << model;
  }
  std::ifstream in(json);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"xgboost\": {\"precision@1\": "), std::string::npos) << text;
  EXPECT_NE(text.find("\"auc\": "), std::string::npos) << text;
  // Same run on one thread: the same JSON, byte for byte.
  const Outcome one = RunCli("evaluate --train " + files.train + " --test " + files.test + " --schema " +
                             std::string(CRSIM_SOURCE_DIR) + "/data/schemas/kcs.toml --threads 1 --json " + json + "1");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  std::ifstream in1(json + "1");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in1)), std::istreambuf_iterator<char>()), text);
}

TEST_F(CliTest, EvaluateBadInputExitsWithTwoNamesTheProblemAndWritesNothing) {
  const std::string schema = std::string(CRSIM_SOURCE_DIR) + "/data/schemas/kcs.toml";
  const EvaluateFiles good = SplitKcsSample(dir_, "good");
  const EvaluateFiles no_labels = SplitKcsSample(dir_, "nolabel", 20);  // "Fraud"
  const EvaluateFiles no_tax = SplitKcsSample(dir_, "notax", 15);       // "Tax Rate"
  const EvaluateFiles no_rows = SplitKcsSample(dir_, "norows", -1, true);
  const std::string schema_without_labels = Write("nolabels.toml", [&] {
    std::ifstream in(schema);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.substr(0, text.find("[labels]"));
  }());
  struct Case {
    std::string name, arguments;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"unknown file", "--train " + (dir_ / "none.csv").string() + " --test " + good.test + " --schema " + schema,
       {"none.csv"}},
      {"test without labels", "--train " + good.train + " --test " + no_labels.test + " --schema " + schema,
       {"nolabel_test.csv:1", "no label column \"Fraud\""}},
      {"schema mismatch", "--train " + good.train + " --test " + no_tax.test + " --schema " + schema,
       {"\"Tax Rate\" is not in the header of", "notax_test.csv"}},
      {"no rows", "--train " + good.train + " --test " + no_rows.test + " --schema " + schema,
       {"norows_test.csv", "no rows"}},
      {"test period not after training", "--train " + good.test + " --test " + good.train + " --schema " + schema,
       {"good_train.csv", "starts on 2021-01-01", "not after the training period (which ends on 2021-01-05)"}},
      {"schema without labels", "--train " + good.train + " --test " + good.test + " --schema " + schema_without_labels,
       {"no [labels] column"}},
      {"unknown label", "--train " + good.train + " --test " + good.test + " --schema " + schema + " --label fraudd",
       {"no label \"fraudd\""}},
      {"json directory missing", "--train " + good.train + " --test " + good.test + " --schema " + schema +
                                     " --json " + (dir_ / "nodir" / "m.json").string(),
       {"--json", "does not exist"}},
  };
  const std::string json = (dir_ / "metrics.json").string();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string arguments = c.arguments.find("--json") == std::string::npos ? c.arguments + " --json " + json : c.arguments;
    const Outcome outcome = RunCli("evaluate " + arguments + " --export-features " + (dir_ / "features").string());
    EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
    for (const std::string& expected : c.expected) {
      EXPECT_NE(outcome.output.find(expected), std::string::npos) << expected << "\n" << outcome.output;
    }
    EXPECT_FALSE(std::filesystem::exists(json));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "features"));
  }
}

TEST(CliModelInfoTest, DescribesAGoodXgboostModel) {
  const std::string fixture = std::string(CRSIM_SOURCE_DIR) + "/tests/data/fixtures/xgboost_small.json";
  const Outcome outcome = RunCli("model-info --model " + fixture + " --features 5");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  for (const char* line : {"objective: binary:logistic", "trees: 4\n", "max depth: 3\n", "features: 5\n",
                           "bins: u8\n", "leaves: "}) {
    EXPECT_NE(outcome.output.find(line), std::string::npos) << line << " in\n" << outcome.output;
  }
}

TEST(CliModelInfoTest, BadModelsExitWithTwoAndSayWhy) {
  const std::string fixture = std::string(CRSIM_SOURCE_DIR) + "/tests/data/fixtures/xgboost_small.json";
  std::string json;
  {
    std::ifstream in(fixture, std::ios::binary);
    json.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(json.empty());
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "crsim_cli_model_info";
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  };
  const std::string truncated = write("truncated.json", json.substr(0, json.size() / 2));
  Outcome outcome = RunCli("model-info --model " + truncated);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find(truncated + ":1:"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("truncated"), std::string::npos) << outcome.output;

  std::string multi_class = json;
  multi_class.replace(multi_class.find("\"num_class\":\"0\""), 15, "\"num_class\":\"4\"");
  outcome = RunCli("model-info --model " + write("multi.json", multi_class));
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("multi-class"), std::string::npos) << outcome.output;

  outcome = RunCli("model-info --model " + fixture + " --features 16");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("the model has 5 features but --features says 16"), std::string::npos)
      << outcome.output;

  outcome = RunCli("model-info --model " + (dir / "absent.json").string());
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("cannot open"), std::string::npos) << outcome.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crsim
