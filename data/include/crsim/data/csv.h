// CsvDocument: a CSV file in memory, indexed by record, for parallel parsing.
//
// Format: RFC 4180. Fields are separated by a one-byte delimiter; a field may be quoted with '"',
// in which case it may contain the delimiter, newlines and doubled quotes ("" stands for ").
// Records end at "\n" or "\r\n". The first record is the header. Blank lines are skipped. Bytes
// are passed through unchanged (UTF-8 stays UTF-8).
//
// How: Load maps the file into memory (mmap: no copy) and indexes record boundaries in one sequential pass (memchr for
// newlines; quote parity is only tracked on lines that contain a quote), so that records can then
// be split into fields from any thread, in any order. Memory: the file plus 16 bytes per record.
//
// Limits: a record's fields are returned as views valid until the next call with the same scratch
// string. An unterminated quote, or text after a closing quote, is a malformed record: Fields
// reports it with the 1-based column where the problem starts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace crsim::data {

class CsvDocument {
 public:
  // Throws InputError naming the file when it cannot be read or has no header.
  static CsvDocument Load(const std::filesystem::path& path, char delimiter = ',');
  // The same from text already in memory (source_name is used in messages).
  static CsvDocument FromText(std::string text, std::string source_name, char delimiter = ',');

  const std::string& source_name() const { return source_name_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t record_count() const { return record_begin_.size(); }  // data records, header excluded
  std::size_t byte_size() const { return text_.size(); }
  // Whether a field view points into the document itself (not into a Fields scratch copy).
  bool InDocument(std::string_view field) const {
    return field.data() >= text_.data() && field.data() + field.size() <= text_.data() + text_.size();
  }

  CsvDocument(CsvDocument&& other) noexcept;
  CsvDocument& operator=(CsvDocument&& other) noexcept;
  CsvDocument(const CsvDocument&) = delete;
  CsvDocument& operator=(const CsvDocument&) = delete;
  ~CsvDocument();
  std::int64_t line(std::size_t record) const { return record_line_[record]; }  // 1-based line of its start

  struct Problem {
    std::int64_t column = 0;  // 1-based byte column in the record's first line
    std::string message;
  };

  // Splits data record `record` into fields. Returns false and fills problem when the record is
  // malformed. Views point into the document or into scratch.
  bool Fields(std::size_t record, std::vector<std::string_view>& fields, std::string& scratch,
              Problem& problem) const;

  // 1-based byte column of field `index` of a record split by Fields (for messages).
  std::int64_t FieldColumn(std::size_t record, const std::vector<std::string_view>& fields, std::size_t index) const;

 private:
  CsvDocument() = default;
  void Index();
  void RequireHeader() const;
  bool SplitRange(std::size_t begin, std::size_t end, std::vector<std::string_view>& fields, std::string& scratch,
                  Problem& problem) const;

  std::string source_name_;
  std::string owned_text_;      // FromText
  void* mapping_ = nullptr;     // Load: the mapped file
  std::size_t mapping_size_ = 0;
  std::string_view text_;       // the document, in owned_text_ or mapping_
  char delimiter_ = ',';
  std::vector<std::string> header_;
  std::vector<std::uint64_t> record_begin_;  // byte offsets
  std::vector<std::uint64_t> record_end_;    // exclusive, before the line ending
  std::vector<std::int64_t> record_line_;
};

}  // namespace crsim::data
