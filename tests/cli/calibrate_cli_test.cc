// crsim calibrate and crsim fidelity end to end: a calibrated scenario validates, runs and passes
// fidelity; bad input (missing file, schema mismatch, empty file, a scenario that does not validate,
// an output directory that does not exist) gives a message naming what and where, exit code 2, and
// no output file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_runner.h"

namespace crsim {
namespace {

using testing::Outcome;
using testing::RunCli;

const std::string kSource = CRSIM_SOURCE_DIR;
const std::string kFixture = kSource + "/tests/data/fixtures/kcs_valid_sample.csv";
const std::string kSchema = kSource + "/data/schemas/kcs.toml";

class CalibrateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("crsim-calibrate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return Path(name);
  }
  // The directory holds nothing but the inputs written by the test.
  std::size_t Files() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

  std::filesystem::path dir_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(CalibrateCliTest, CalibratedFixtureValidatesRunsAndReportsFidelity) {
  const std::string scenario = Path("kcs.toml");
  const Outcome calibrate = RunCli("calibrate --csv " + kFixture + " --schema " + kSchema + " --out " + scenario);
  ASSERT_EQ(calibrate.exit_code, 0) << calibrate.output;
  EXPECT_NE(ReadText(scenario).find("# Calibrated by crsim calibrate from " + kFixture), std::string::npos);
  EXPECT_EQ(RunCli("validate " + scenario).exit_code, 0);
  const Outcome run = RunCli("run " + scenario + " --out " + Path("out") + " --threads 2");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::filesystem::exists(Path("out/results.h5")));

  const Outcome fidelity = RunCli("fidelity --real " + kFixture + " --schema " + kSchema + " --scenario " + scenario +
                                  " --rows 400 --json " + Path("f.json"));
  ASSERT_EQ(fidelity.exit_code, 0) << fidelity.output;
  EXPECT_NE(fidelity.output.find("real rows: 200, generated rows: 400"), std::string::npos) << fidelity.output;
  for (const char* column : {"log_value", "log_mass", "office", "transport_mode", "hs_chapter", "hs6", "origin",
                             "departure", "importer", "tariff_percent", "fraud", "hs_chapter x origin"}) {
    EXPECT_NE(fidelity.output.find(std::string("\n") + column + " "), std::string::npos) << column;
  }
  const std::string json = ReadText(Path("f.json"));
  // 197 rows with a positive value (awk -F, 'NR>1 && $20>0'): the log columns leave out the others.
  EXPECT_NE(json.find("\"column\": \"log_value\", \"measure\": \"KS\", \"real_n\": 197"), std::string::npos) << json;

  // Same input and seed: the same scenario, byte for byte.
  const std::string again = Path("again.toml");
  ASSERT_EQ(RunCli("calibrate --csv " + kFixture + " --schema " + kSchema + " --out " + again).exit_code, 0);
  EXPECT_EQ(ReadText(again), ReadText(scenario));
}

// The shared KCS training split (when present): its calibrated scenario (hundreds of KB, 2,368 codes)
// validates and runs, results file included.
TEST_F(CalibrateCliTest, SharedTrainingSplitCalibratesValidatesAndRuns) {
  const std::string train = "/work/shared/data/kcs-customs/df_syn_train_eng.csv";
  if (!std::filesystem::exists(train)) GTEST_SKIP() << "shared KCS data not present at " << train;
  const std::string scenario = Path("kcs.toml");
  const Outcome calibrate = RunCli("calibrate --csv " + train + " --schema " + kSchema + " --out " + scenario);
  ASSERT_EQ(calibrate.exit_code, 0) << calibrate.output;
  EXPECT_EQ(RunCli("validate " + scenario).exit_code, 0);
  const Outcome run = RunCli("run " + scenario + " --out " + Path("out") + " --threads 2");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::filesystem::exists(Path("out/results.h5")));
}

TEST_F(CalibrateCliTest, CalibrateBadInputExitsWithTwoAndWritesNothing) {
  const std::string out = Path("s.toml");
  // Missing CSV file.
  Outcome bad = RunCli("calibrate --csv " + Path("none.csv") + " --schema " + kSchema + " --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("none.csv"), std::string::npos) << bad.output;
  // Missing schema file.
  bad = RunCli("calibrate --csv " + kFixture + " --schema " + Path("none.toml") + " --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("none.toml"), std::string::npos) << bad.output;
  // Schema that names a column the file lacks.
  const std::string mismatch = Write("mismatch.toml", "[columns]\ndate = \"Date\"\nhs6 = \"HS Code\"\nvalue = \"Item Price\"\n");
  bad = RunCli("calibrate --csv " + kFixture + " --schema " + mismatch + " --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("mismatch.toml:3:7: columns.hs6"), std::string::npos) << bad.output;
  // Schema without a field calibrate needs.
  const std::string partial = Write("partial.toml", "[columns]\ndate = \"Date\"\nhs6 = \"HS6 Code\"\nvalue = \"Item Price\"\n");
  bad = RunCli("calibrate --csv " + kFixture + " --schema " + partial + " --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("columns.mass_kg: crsim calibrate needs the field \"mass_kg\""), std::string::npos)
      << bad.output;
  // Header but no rows.
  const std::string empty = Write("empty.csv", ReadText(kFixture).substr(0, ReadText(kFixture).find('\n') + 1));
  bad = RunCli("calibrate --csv " + empty + " --schema " + kSchema + " --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("empty.csv: the CSV file has a header but no rows"), std::string::npos) << bad.output;
  // 200 rows over 36500 days: fewer than one declaration per day.
  bad = RunCli("calibrate --csv " + kFixture + " --schema " + kSchema + " --out " + out + " --days 36500");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--days: 200 rows over 36500 days: a scenario needs 1..36500 days and at least one "
                            "declaration per day"),
            std::string::npos)
      << bad.output;
  // Output directory that does not exist.
  bad = RunCli("calibrate --csv " + kFixture + " --schema " + kSchema + " --out " + Path("no/such/dir.toml"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--out: directory"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(Files(), 3u) << "only mismatch.toml, partial.toml and empty.csv";
}

TEST_F(CalibrateCliTest, FidelityBadInputExitsWithTwoAndWritesNothing) {
  const std::string json = Path("f.json");
  const std::string invalid = Write("invalid.toml", "[run]\ndayz = 3\n[countries]\nCN = 1\n[[administrations]]\nname = \"X\"\n");
  Outcome bad = RunCli("fidelity --real " + kFixture + " --schema " + kSchema + " --scenario " + invalid + " --json " + json);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("invalid.toml:2:1: run.dayz: unknown key \"dayz\"; did you mean \"days\"?"),
            std::string::npos)
      << bad.output;
  bad = RunCli("fidelity --real " + kFixture + " --schema " + kSchema + " --scenario " + Path("none.toml") + " --json " + json);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("none.toml: cannot open scenario file"), std::string::npos) << bad.output;
  const std::string valid = Write("valid.toml", "[countries]\nCN = 1\n[[administrations]]\nname = \"X\"\n");
  bad = RunCli("fidelity --real " + Path("none.csv") + " --schema " + kSchema + " --scenario " + valid + " --json " + json);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("none.csv"), std::string::npos) << bad.output;
  bad = RunCli("fidelity --real " + kFixture + " --schema " + kSchema + " --scenario " + valid + " --json " +
               Path("no/such/f.json"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--json: directory"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::filesystem::exists(json));
}

}  // namespace
}  // namespace crsim
