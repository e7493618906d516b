#include "crsim/data/csv.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crsim/data/input_error.h"

namespace crsim::data {
namespace {

std::vector<std::string> Record(const CsvDocument& csv, std::size_t record) {
  std::vector<std::string_view> fields;
  std::string scratch;
  CsvDocument::Problem problem;
  EXPECT_TRUE(csv.Fields(record, fields, scratch, problem)) << problem.message;
  return {fields.begin(), fields.end()};
}

TEST(CsvDocument, SplitsPlainAndQuotedFields) {
  const CsvDocument csv = CsvDocument::FromText(
      "a,b,c\n1,2,3\r\n\"x,y\",\"say \"\"hi\"\"\",\n\n\"multi\nline\",,z\nlast,row,nonewline", "t.csv");
  EXPECT_EQ(csv.header(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(csv.record_count(), 4u) << "the blank line is skipped";
  EXPECT_EQ(Record(csv, 0), (std::vector<std::string>{"1", "2", "3"})) << "CRLF line ending";
  EXPECT_EQ(Record(csv, 1), (std::vector<std::string>{"x,y", "say \"hi\"", ""})) << "trailing empty field";
  EXPECT_EQ(Record(csv, 2), (std::vector<std::string>{"multi\nline", "", "z"}));
  EXPECT_EQ(Record(csv, 3), (std::vector<std::string>{"last", "row", "nonewline"}));
  EXPECT_EQ(csv.line(0), 2);
  EXPECT_EQ(csv.line(1), 3);
  EXPECT_EQ(csv.line(2), 5) << "records keep the line where they start";
  EXPECT_EQ(csv.line(3), 7);
}

// Records without quotes take a word-at-a-time path: every field length from 0 to 20 (so
// delimiters fall at every position of an 8-byte word and fields straddle words), trailing
// delimiters and a delimiter in the first and last byte, against a plain split.
TEST(CsvDocument, UnquotedRecordsSplitLikeAPlainScan) {
  std::string text = "h\n";
  std::vector<std::vector<std::string>> expected;
  std::uint32_t state = 12345;
  for (int record = 0; record < 400; ++record) {
    std::vector<std::string> fields;
    const int count = 1 + record % 23;
    std::string line;
    for (int f = 0; f < count; ++f) {
      state = state * 1664525u + 1013904223u;
      std::string field(static_cast<std::size_t>((state >> 8) % 21), 'a' + static_cast<char>(f % 26));
      if (!field.empty()) field[0] = static_cast<char>('0' + record % 10);
      fields.push_back(field);
      line += (f ? "," : "") + field;
    }
    if (line.empty()) continue;  // a blank line is skipped, not a record
    expected.push_back(fields);
    text += line + "\n";
  }
  const CsvDocument csv = CsvDocument::FromText(text, "t.csv");
  ASSERT_EQ(csv.record_count(), expected.size());
  for (std::size_t r = 0; r < expected.size(); ++r) EXPECT_EQ(Record(csv, r), expected[r]) << "record " << r;
}

TEST(CsvDocument, OtherDelimiter) {
  const CsvDocument csv = CsvDocument::FromText("a;b\n1,5;2\n", "t.csv", ';');
  EXPECT_EQ(Record(csv, 0), (std::vector<std::string>{"1,5", "2"}));
}

TEST(CsvDocument, MalformedQuotesAreReportedWithTheirColumn) {
  const CsvDocument csv = CsvDocument::FromText("a,b\nok,\"bad\"x\n", "t.csv");
  std::vector<std::string_view> fields;
  std::string scratch;
  CsvDocument::Problem problem;
  EXPECT_FALSE(csv.Fields(0, fields, scratch, problem));
  EXPECT_EQ(problem.column, 9);
  EXPECT_NE(problem.message.find("after a closing quote"), std::string::npos);
  // An unterminated quote swallows the rest of the file into one record, which is then malformed.
  const CsvDocument open = CsvDocument::FromText("a,b\n1,\"open\n2,3\n", "t.csv");
  ASSERT_EQ(open.record_count(), 1u);
  EXPECT_FALSE(open.Fields(0, fields, scratch, problem));
  EXPECT_NE(problem.message.find("unterminated"), std::string::npos);
}

TEST(CsvDocument, FieldColumnPointsAtTheFieldInTheLine) {
  const CsvDocument csv = CsvDocument::FromText("a,b,c\nxx,\"q\"\"q\",zz\n", "t.csv");
  std::vector<std::string_view> fields;
  std::string scratch;
  CsvDocument::Problem problem;
  ASSERT_TRUE(csv.Fields(0, fields, scratch, problem));
  EXPECT_EQ(csv.FieldColumn(0, fields, 0), 1);
  EXPECT_EQ(csv.FieldColumn(0, fields, 1), 4);
  EXPECT_EQ(csv.FieldColumn(0, fields, 2), 11);
}

TEST(CsvDocument, EmptyOrMissingFilesAreInputErrors) {
  EXPECT_THROW(CsvDocument::FromText("", "empty.csv"), InputError);
  EXPECT_THROW(CsvDocument::FromText("\n\n", "blank.csv"), InputError);
  EXPECT_THROW(CsvDocument::Load("/nonexistent/x.csv"), InputError);
  EXPECT_THROW(CsvDocument::FromText("\"open header\n", "bad.csv"), InputError);
}

}  // namespace
}  // namespace crsim::data
