#include "crsim/data/declaration_import.h"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>
#include <string>

namespace crsim::data {
namespace {

const char* kSchema = R"([csv]
date_format = "YYYY-MM-DD"

[columns]
date = "Date"
hs6 = "HS"
value = "Price"
mass_kg = "Mass"
office = "Office"

[categories]
payment = "Pay"

[labels]
fraud = "Fraud"
)";

const char* kHeader = "Date,HS,Price,Mass,Office,Pay,Fraud\n";

ImportedDeclarations Import(const std::string& rows, const ImportOptions& options = {}) {
  const CsvDocument csv = CsvDocument::FromText(std::string(kHeader) + rows, "decl.csv");
  return ImportDeclarations(csv, ParseImportSchema(kSchema, "schema.toml"), options);
}

// The first problem of a failing import.
InputProblem FirstProblem(const std::string& rows) {
  try {
    Import(rows);
  } catch (const InputError& error) {
    return error.problems().front();
  }
  ADD_FAILURE() << "expected an InputError";
  return {};
}

TEST(Import, ConvertsEveryKindOfField) {
  const ImportedDeclarations imported = Import(
      "2020-01-02,440890,100.5,3,30,A,0\n"
      "2021-03-01,010121,7,,40,B,1\n"
      "2020-01-02,620822,0,1.5,30,A,0\n");
  EXPECT_EQ(imported.rows, 3);
  const ImportedColumn* date = imported.Find("date");
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(date->integers, (std::vector<std::int32_t>{18263, 18687, 18263})) << "days since 1970-01-01";
  EXPECT_EQ(imported.Find("hs6")->integers, (std::vector<std::int32_t>{440890, 10121, 620822}));
  EXPECT_EQ(imported.Find("hs_chapter")->integers, (std::vector<std::int32_t>{44, 1, 62}));
  EXPECT_EQ(imported.Find("value")->numbers[0], 100.5);
  EXPECT_TRUE(std::isnan(imported.Find("mass_kg")->numbers[1])) << "an optional number may be empty";
  const ImportedColumn* office = imported.Find("office");
  EXPECT_EQ(office->integers, (std::vector<std::int32_t>{1, 2, 1})) << "dense ids from 1 in first-seen order";
  EXPECT_EQ(office->dictionary, (std::vector<std::string>{"<unknown>", "30", "40"}));
  EXPECT_EQ(imported.Find("payment")->dictionary, (std::vector<std::string>{"<unknown>", "A", "B"}));
  EXPECT_EQ(imported.Find("fraud")->labels, (std::vector<std::int8_t>{0, 1, 0}));
}

TEST(Import, ResultIsIdenticalForAnyThreadCountAndChunkSize) {
  std::string rows;
  for (int i = 0; i < 5000; ++i) {
    rows += "2020-01-" + std::string(i % 28 < 9 ? "0" : "") + std::to_string(i % 28 + 1) + "," +
            std::to_string(100000 + (i * 7919) % 800000) + "," + std::to_string(i % 977) + ".25," +
            std::to_string(i % 13) + "," + std::to_string((i * 31) % 17) + ",P" + std::to_string((i * 7) % 11) + "," +
            std::to_string(i % 5 == 0 ? 1 : 0) + "\n";
  }
  ImportedDeclarations reference;
  tbb::task_arena(1).execute([&] { reference = Import(rows, {false, 1 << 20}); });
  for (const int threads : {2, 3}) {
    for (const std::size_t chunk : {1u, 64u, 1000u}) {
      ImportedDeclarations other;
      tbb::task_arena(threads).execute([&] { other = Import(rows, {false, chunk}); });
      ASSERT_EQ(other.columns.size(), reference.columns.size());
      for (std::size_t c = 0; c < reference.columns.size(); ++c) {
        EXPECT_EQ(other.columns[c].integers, reference.columns[c].integers) << reference.columns[c].name;
        EXPECT_EQ(other.columns[c].numbers, reference.columns[c].numbers) << reference.columns[c].name;
        EXPECT_EQ(other.columns[c].labels, reference.columns[c].labels) << reference.columns[c].name;
        EXPECT_EQ(other.columns[c].dictionary, reference.columns[c].dictionary) << reference.columns[c].name;
      }
    }
  }
}

// Plain decimals are parsed in line (Clinger's fast path), everything else by std::from_chars:
// either way the value is std::from_chars's, bit for bit.
TEST(Import, NumbersEqualFromCharsBitForBit) {
  std::vector<std::string> texts = {"0", "0.1", "0.3", "1.5", "123456789012345", "1234567890123456", "99999999999999.9",
                                    "0.000000000000001", "12345.678901234567", "1e3", "2.5E-3", "007.50", "3.14159265358979",
                                    "4503599627370497", "0.1000000000000000055511151231257827"};
  std::uint64_t state = 42;
  for (int i = 0; i < 3000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const int whole = static_cast<int>((state >> 20) % 1000000);
    const int places = static_cast<int>((state >> 50) % 10);
    std::string fraction = std::to_string((state >> 8) % 10000000000ULL);
    fraction = fraction.substr(0, static_cast<std::size_t>(places));
    texts.push_back(std::to_string(whole) + (places ? "." + fraction : ""));
  }
  std::string rows;
  for (const std::string& text : texts) rows += "2020-01-02,440890," + text + ",1,30,A,0\n";
  const ImportedDeclarations imported = Import(rows);
  const std::vector<double>& values = imported.Find("value")->numbers;
  ASSERT_EQ(values.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    double expected = 0.0;
    std::from_chars(texts[i].data(), texts[i].data() + texts[i].size(), expected);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(values[i]), std::bit_cast<std::uint64_t>(expected)) << texts[i];
  }
}

// Quoted identifiers are unquoted into scratch space that the next records reuse: the dictionary
// must keep its own copies, across blocks and chunks.
TEST(Import, QuotedIdentifiersSurviveBlocksAndChunks) {
  std::string rows;
  for (int i = 0; i < 2000; ++i) rows += "2020-01-02,440890,1,1,\"" + std::to_string(i % 37) + ",x\",\"P\"\"" + std::to_string(i % 3) + "\",0\n";
  for (const std::size_t chunk : {std::size_t{100}, std::size_t{1} << 20}) {
    const ImportedDeclarations imported = Import(rows, {false, chunk});
    const ImportedColumn* office = imported.Find("office");
    ASSERT_EQ(office->dictionary.size(), 38u);
    for (int i = 0; i < 2000; ++i) {
      EXPECT_EQ(office->dictionary[static_cast<std::size_t>(office->integers[static_cast<std::size_t>(i)])],
                std::to_string(i % 37) + ",x");
    }
    EXPECT_EQ(imported.Find("payment")->dictionary, (std::vector<std::string>{"<unknown>", "P\"0", "P\"1", "P\"2"}));
  }
}

// A row with several bad fields reports the first in column order (date before label), once.
TEST(Import, ARowReportsItsFirstBadField) {
  try {
    Import("2020-01-01,440890,1,1,30,A,0\n2020-13-01,440890,1,1,30,A,7\n");
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    ASSERT_EQ(error.problems().size(), 1u);
    EXPECT_EQ(error.problems()[0].key, "date");
  }
}

TEST(Import, BadRowsNameFileLineColumnFieldAndText) {
  struct Case {
    const char* name;
    std::string rows;
    std::int64_t line, column;
    std::string key, message;
  };
  const std::vector<Case> cases = {
      {"wrong field count", "2020-01-02,440890,1,1,30,A\n", 2, 1, "", "expected 7 fields"},
      {"bad number", "2020-01-02,440890,1,2x,30,A,0\n", 2, 21, "mass_kg", "\"2x\""},
      {"negative value", "2020-01-02,440890,-5,1,30,A,0\n", 2, 19, "value", ">= 0"},
      {"bad date", "2020-02-30,440890,1,1,30,A,0\n", 2, 1, "date", "\"2020-02-30\""},
      {"empty required", "2020-01-02,,1,1,30,A,0\n", 2, 12, "hs6", "required"},
      {"short HS code", "2020-01-02,10121,1,1,30,A,0\n", 2, 12, "hs6", "leading zero"},
      {"label not 0/1", "2020-01-02,440890,1,1,30,A,2\n", 2, 28, "fraud", "0 or 1"},
      {"bad quoting", "2020-01-02,440890,1,1,30,\"A\"B,0\n", 2, 29, "", "closing quote"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const InputProblem problem = FirstProblem("2020-01-01,440890,1,1,30,A,0\n" + std::string(c.rows));
    EXPECT_EQ(problem.source, "decl.csv");
    EXPECT_EQ(problem.line, c.line + 1);
    EXPECT_EQ(problem.column, c.column);
    EXPECT_EQ(problem.key, c.key);
    EXPECT_NE(problem.message.find(c.message), std::string::npos) << problem.message;
  }
}

TEST(Import, SkipBadRowsCountsAndKeepsExamples) {
  ImportOptions options;
  options.skip_bad_rows = true;
  const ImportedDeclarations imported =
      Import("2020-01-01,440890,1,1,30,A,0\nbad-date,440890,1,1,30,A,0\n2020-01-03,440890,1,1,30,A,1\n", options);
  EXPECT_EQ(imported.rows, 2);
  EXPECT_EQ(imported.skipped_rows, 1);
  ASSERT_EQ(imported.skipped_examples.size(), 1u);
  EXPECT_EQ(imported.skipped_examples[0].line, 3);
  EXPECT_EQ(imported.Find("fraud")->labels, (std::vector<std::int8_t>{0, 1}));
}

TEST(Import, ManyBadRowsAreSummarised) {
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += "x,440890,1,1,30,A,0\n";
  try {
    Import(rows);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    ASSERT_EQ(error.problems().size(), 21u);
    EXPECT_NE(error.problems().back().message.find("10 more bad rows"), std::string::npos);
  }
}

TEST(ImportSchema, ErrorsNameTheSchemaKey) {
  auto problems = [](const std::string& text) {
    try {
      ParseImportSchema(text, "s.toml");
    } catch (const InputError& error) {
      return error.problems();
    }
    return std::vector<InputProblem>{};
  };
  const auto unknown = problems("[columns]\ndate = \"D\"\nhs6 = \"H\"\nvalu = \"V\"\n");
  ASSERT_FALSE(unknown.empty());
  EXPECT_EQ(unknown[0].key, "columns.valu");
  EXPECT_EQ(unknown[0].line, 4);
  EXPECT_NE(unknown[0].message.find("did you mean \"value\""), std::string::npos);
  bool missing_value = false;
  for (const auto& p : unknown) missing_value |= p.key == "columns.value";
  EXPECT_TRUE(missing_value) << "value is required";
  EXPECT_FALSE(problems("[colums]\n").empty());
  EXPECT_FALSE(problems("[csv]\ndelimiter = \"ab\"\n[columns]\ndate=\"D\"\nhs6=\"H\"\nvalue=\"V\"\n").empty());
  EXPECT_FALSE(problems("[csv]\ndate_format = \"MM/DD/YY\"\n[columns]\ndate=\"D\"\nhs6=\"H\"\nvalue=\"V\"\n").empty());
  EXPECT_FALSE(problems("[columns]\ndate = 3\nhs6=\"H\"\nvalue=\"V\"\n").empty());
  EXPECT_FALSE(problems("not toml [").empty());
}

TEST(ImportSchema, ColumnMissingFromTheCsvIsReportedAtTheSchemaLine) {
  const ImportSchema schema = ParseImportSchema("[columns]\ndate = \"Date\"\nhs6 = \"HS\"\nvalue = \"Prize\"\n", "s.toml");
  const CsvDocument csv = CsvDocument::FromText(kHeader + std::string("2020-01-01,440890,1,1,30,A,0\n"), "d.csv");
  try {
    ImportDeclarations(csv, schema);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    const InputProblem& problem = error.problems().front();
    EXPECT_EQ(problem.source, "s.toml");
    EXPECT_EQ(problem.line, 4);
    EXPECT_EQ(problem.key, "columns.value");
    EXPECT_NE(problem.message.find("did you mean \"Price\""), std::string::npos) << problem.message;
  }
  const CsvDocument header_only = CsvDocument::FromText(kHeader, "d.csv");
  EXPECT_THROW(ImportDeclarations(header_only, ParseImportSchema(kSchema, "s.toml")), InputError);
}

}  // namespace
}  // namespace crsim::data
