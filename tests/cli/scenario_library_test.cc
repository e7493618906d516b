// The scenario library cannot rot: every scenarios/*.toml validates and runs end to end for two
// small days (few declarations and traders, set from the command line), writes a complete results
// file, and compares its strategies on common arrivals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "crsim/data/results_file.h"
#include "crsim/sim/scenario.h"
#include "cli_runner.h"

namespace crsim {
namespace {

using testing::Outcome;
using testing::RunCli;

std::vector<std::filesystem::path> ShippedScenarios() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CRSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() == ".toml") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Small enough for the sanitizer build: 2 days of 3 000 declarations from 2 000 traders.
const std::string kSmall =
    " --set run.days=2 --set run.warmup_days=0 --set run.replications=1"
    " --set arrivals.declarations_per_day=3000 --set traders.count=2000";

TEST(ScenarioLibraryTest, EveryShippedScenarioValidatesAndRunsTwoSmallDays) {
  const std::vector<std::filesystem::path> scenarios = ShippedScenarios();
  // The library of scenarios/README.md; a file removed or renamed fails here.
  for (const char* name : {"baseline", "channels", "adaptive_fraud", "ml_selection", "random_controls", "capacity_cut",
                           "aeo_programme", "priority_control_area", "ecommerce_surge", "information_exchange", "phoenix_importers",
                           "fraud_rings"}) {
    EXPECT_TRUE(std::filesystem::exists(std::string(CRSIM_SOURCE_DIR) + "/scenarios/" + name + ".toml")) << name;
  }
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("crsim-library-" + std::to_string(::getpid()));
  for (const std::filesystem::path& path : scenarios) {
    SCOPED_TRACE(path.string());
    const Outcome valid = RunCli("validate " + path.string());
    EXPECT_EQ(valid.exit_code, 0) << valid.output;

    const std::string out = (root / path.stem()).string();
    // The e-commerce stream of ecommerce_surge is made as small as the ordinary flow.
    const std::string small_stream = path.stem() == "ecommerce_surge"
                                         ? " --set arrivals.ecommerce.declarations_per_day=3000"
                                           " --set arrivals.ecommerce.consignees=2000"
                                         : "";
    const Outcome run = RunCli("run " + path.string() + " --out " + out + kSmall + small_stream);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("true detection rate"), std::string::npos) << run.output;

    const sim::ScenarioSpec spec = sim::LoadScenarioFile(path.string());
    const data::ResultsReader reader(out + "/results.h5");
    std::int64_t declarations = -1;
    std::int64_t frauds = -1;
    for (const std::string& strategy : spec.run.strategies) {
      const std::string total = "/strategies/" + strategy + "/total/";
      const std::int64_t lodged = reader.ReadIntegers(total + "declarations").at(0);
      const std::int64_t inspected = reader.ReadIntegers(total + "inspections").at(0);
      EXPECT_GT(lodged, 0) << strategy;
      EXPECT_GT(inspected, 0) << strategy;
      EXPECT_LE(inspected, lodged) << strategy;
      EXPECT_EQ(reader.ReadIntegers("/strategies/" + strategy + "/daily/hits").size(), 2u) << strategy;
      if (spec.arrivals.ecommerce.declarations_per_day > 0.0) {
        // The streams split the totals: ordinary + e-commerce = all.
        for (const char* name : {"declarations", "inspections", "hits", "frauds", "duty_recovered_cents"}) {
          const std::int64_t all = reader.ReadIntegers(total + name).at(0);
          const std::int64_t ecommerce = reader.ReadIntegers(total + "by_stream/ecommerce/" + name).at(0);
          EXPECT_GT(ecommerce, name == std::string("declarations") ? 0 : -1) << strategy << " " << name;
          EXPECT_EQ(reader.ReadIntegers(total + "by_stream/ordinary/" + name).at(0) + ecommerce, all) << strategy << " " << name;
        }
      }
      // Common random numbers: every strategy sees the same arrivals, and the same frauds unless
      // the fraudsters adapt to the strategy they face (adaptive fraudsters, or phoenix firms that
      // replace an identity once it is caught).
      if (declarations < 0) declarations = lodged;
      EXPECT_EQ(lodged, declarations) << strategy;
      const std::int64_t strategy_frauds = reader.ReadIntegers(total + "frauds").at(0);
      if (frauds < 0) frauds = strategy_frauds;
      if (!spec.fraud.adaptation.enabled && !spec.fraud.phoenix.enabled) {
        EXPECT_EQ(strategy_frauds, frauds) << strategy;
      }
    }
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace crsim
