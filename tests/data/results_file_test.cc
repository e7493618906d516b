#include "crsim/data/results_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace crsim::data {
namespace {

std::filesystem::path ScratchDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("crsim-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(ResultsFile, RoundTripsSeriesAndAttributes) {
  const auto dir = ScratchDir("roundtrip");
  const auto path = dir / "results.h5";
  {
    ResultsFile file = ResultsFile::Create(path);
    EXPECT_FALSE(std::filesystem::exists(path)) << "nothing may appear under the final name before Commit";
    EXPECT_TRUE(std::filesystem::exists(file.temporary_path()));
    file.WriteSeries("/strategies/topk/daily/hits", std::vector<std::int64_t>{3, 1, 4, 1, 5});
    file.WriteSeries("/strategies/topk/daily/hit_rate", std::vector<double>{0.5, 0.25});
    file.WriteSeries("/empty", std::vector<double>{});
    file.SetAttribute("/", "scenario_text", std::string("[run]\ndays = 5\n"));
    file.SetAttribute("/", "seed", std::int64_t{42});
    file.SetAttribute("/strategies/topk", "note", std::string(""));
    file.Commit();
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  ResultsReader reader(path);
  EXPECT_EQ(reader.ReadIntegers("/strategies/topk/daily/hits"), (std::vector<std::int64_t>{3, 1, 4, 1, 5}));
  EXPECT_EQ(reader.ReadDoubles("/strategies/topk/daily/hit_rate"), (std::vector<double>{0.5, 0.25}));
  EXPECT_TRUE(reader.ReadDoubles("/empty").empty());
  EXPECT_EQ(reader.ReadStringAttribute("/", "scenario_text"), "[run]\ndays = 5\n");
  EXPECT_EQ(reader.ReadIntegerAttribute("/", "seed"), 42);
  EXPECT_EQ(reader.ReadStringAttribute("/strategies/topk", "note"), "");
  EXPECT_FALSE(reader.Exists("/strategies/random"));
  std::filesystem::remove_all(dir);
}

// A calibrated scenario's text is hundreds of KB; an attribute over the 64 KB object-header limit
// needs the dense attribute storage of the 1.8 format (the earliest format fails to create it).
TEST(ResultsFile, AttributeLargerThanAnObjectHeaderRoundTrips) {
  const auto dir = ScratchDir("large-attribute");
  const auto path = dir / "results.h5";
  std::string text;
  for (int i = 0; text.size() < 400000; ++i) text += "  {hs6 = " + std::to_string(100000 + i) + ", weight = 1},\n";
  {
    ResultsFile file = ResultsFile::Create(path);
    file.SetAttribute("/", "scenario_text", text);
    file.Commit();
  }
  EXPECT_EQ(ResultsReader(path).ReadStringAttribute("/", "scenario_text"), text);
  std::filesystem::remove_all(dir);
}

TEST(ResultsFile, AbandonedWriterLeavesNoFile) {
  const auto dir = ScratchDir("abandon");
  const auto path = dir / "results.h5";
  std::filesystem::path temporary;
  try {
    ResultsFile file = ResultsFile::Create(path);
    temporary = file.temporary_path();
    file.WriteSeries("/a", std::vector<double>{1.0});
    throw std::runtime_error("interrupted");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(ResultsFile, CommitReplacesAnOlderFileWhole) {
  const auto dir = ScratchDir("replace");
  const auto path = dir / "results.h5";
  for (std::int64_t run = 1; run <= 2; ++run) {
    ResultsFile file = ResultsFile::Create(path);
    file.WriteSeries("/run", std::vector<std::int64_t>{run});
    file.Commit();
  }
  EXPECT_EQ(ResultsReader(path).ReadIntegers("/run"), (std::vector<std::int64_t>{2}));
  std::filesystem::remove_all(dir);
}

TEST(ResultsFile, CreateInMissingDirectoryThrows) {
  EXPECT_THROW(ResultsFile::Create("/nonexistent-crsim-dir/results.h5"), std::runtime_error);
}

}  // namespace
}  // namespace crsim::data
