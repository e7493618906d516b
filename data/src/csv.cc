#include "crsim/data/csv.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crsim/data/input_error.h"

namespace crsim::data {

CsvDocument CsvDocument::Load(const std::filesystem::path& path, char delimiter) {
  std::ifstream file(path, std::ios::binary);
  std::error_code error;
  if (!file || std::filesystem::is_directory(path, error)) {
    const std::string reason = std::filesystem::is_directory(path, error) ? "is a directory" : std::strerror(errno);
    throw InputError({{path.string(), 0, 0, "", "cannot read the CSV file: " + reason}});
  }
  std::string text;
  file.seekg(0, std::ios::end);
  text.resize(static_cast<std::size_t>(file.tellg()));
  file.seekg(0, std::ios::beg);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!file) throw InputError({{path.string(), 0, 0, "", "error while reading the CSV file"}});
  return FromText(std::move(text), path.string(), delimiter);
}

CsvDocument CsvDocument::FromText(std::string text, std::string source_name, char delimiter) {
  CsvDocument document;
  document.source_name_ = std::move(source_name);
  document.text_ = std::move(text);
  document.delimiter_ = delimiter;
  document.Index();
  if (document.record_begin_.empty() && document.header_.empty()) {
    throw InputError({{document.source_name_, 0, 0, "", "the CSV file is empty: it has no header line"}});
  }
  return document;
}

void CsvDocument::Index() {
  const char* data = text_.data();
  const std::size_t size = text_.size();
  std::size_t position = 0;
  std::int64_t line = 1;
  bool have_header = false;
  while (position < size) {
    const std::size_t begin = position;
    const std::int64_t begin_line = line;
    bool in_quotes = false;
    std::size_t end = size;
    // Find the record's end: the first newline outside quotes.
    for (;;) {
      const void* newline = std::memchr(data + position, '\n', size - position);
      const std::size_t line_end = newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - data) : size;
      if (std::memchr(data + position, '"', line_end - position) != nullptr) {
        for (std::size_t i = position; i < line_end; ++i) in_quotes ^= (data[i] == '"');
      }
      if (!in_quotes || line_end == size) {
        end = line_end;
        position = line_end == size ? size : line_end + 1;
        ++line;
        break;
      }
      position = line_end + 1;  // the newline is inside a quoted field
      ++line;
    }
    std::size_t content_end = end;
    if (content_end > begin && data[content_end - 1] == '\r') --content_end;
    if (content_end == begin) continue;  // blank line
    if (!have_header) {
      std::vector<std::string_view> fields;
      std::string scratch;
      Problem problem;
      if (!SplitRange(begin, content_end, fields, scratch, problem)) {
        throw InputError({{source_name_, begin_line, problem.column, "", "malformed header: " + problem.message}});
      }
      for (const std::string_view field : fields) header_.emplace_back(field);
      have_header = true;
      continue;
    }
    record_begin_.push_back(begin);
    record_end_.push_back(content_end);
    record_line_.push_back(begin_line);
  }
}

bool CsvDocument::Fields(std::size_t record, std::vector<std::string_view>& fields, std::string& scratch,
                         Problem& problem) const {
  return SplitRange(record_begin_[record], record_end_[record], fields, scratch, problem);
}

bool CsvDocument::SplitRange(std::size_t begin, std::size_t end, std::vector<std::string_view>& fields,
                             std::string& scratch, Problem& problem) const {
  fields.clear();
  scratch.clear();
  scratch.reserve(end - begin);  // unquoted text is never longer: views into scratch stay valid
  const char* data = text_.data();
  std::size_t i = begin;
  for (;;) {
    if (i < end && data[i] == '"') {
      const std::size_t field_start = i;
      const std::size_t scratch_start = scratch.size();
      ++i;
      bool closed = false;
      while (i < end) {
        if (data[i] == '"') {
          if (i + 1 < end && data[i + 1] == '"') {
            scratch.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        scratch.push_back(data[i++]);
      }
      if (!closed) {
        problem = {static_cast<std::int64_t>(field_start - begin) + 1, "unterminated quoted field"};
        return false;
      }
      if (i < end && data[i] != delimiter_) {
        problem = {static_cast<std::int64_t>(i - begin) + 1, "text after a closing quote"};
        return false;
      }
      fields.emplace_back(scratch.data() + scratch_start, scratch.size() - scratch_start);
    } else {
      const void* next = std::memchr(data + i, delimiter_, end - i);
      const std::size_t field_end = next ? static_cast<std::size_t>(static_cast<const char*>(next) - data) : end;
      fields.emplace_back(data + i, field_end - i);
      i = field_end;
    }
    if (i >= end) break;
    ++i;  // skip the delimiter
    if (i == end) {
      fields.emplace_back();  // a trailing delimiter ends with an empty field
      break;
    }
  }
  return true;
}

std::int64_t CsvDocument::FieldColumn(std::size_t record, const std::vector<std::string_view>& fields,
                                      std::size_t index) const {
  const char* begin = text_.data() + record_begin_[record];
  const char* end = text_.data() + record_end_[record];
  const char* field = fields[index].data();
  if (field >= begin && field <= end) return static_cast<std::int64_t>(field - begin) + 1;
  // An unquoted copy lives in scratch: count delimiters outside quotes to find the field's start.
  std::size_t seen = 0;
  bool in_quotes = false;
  for (const char* p = begin; p < end; ++p) {
    if (seen == index) return static_cast<std::int64_t>(p - begin) + 1;
    if (*p == '"') in_quotes = !in_quotes;
    if (*p == delimiter_ && !in_quotes) ++seen;
  }
  return 0;
}

}  // namespace crsim::data
