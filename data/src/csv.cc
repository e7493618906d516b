#include "crsim/data/csv.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "crsim/data/input_error.h"

namespace crsim::data {

CsvDocument CsvDocument::Load(const std::filesystem::path& path, char delimiter) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InputError({{path.string(), 0, 0, "", "cannot read the CSV file: it is a directory"}});
  }
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    throw InputError({{path.string(), 0, 0, "", std::string("cannot read the CSV file: ") + std::strerror(errno)}});
  }
  struct stat status {};
  if (::fstat(descriptor, &status) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(descriptor);
    throw InputError({{path.string(), 0, 0, "", "cannot read the CSV file: " + reason}});
  }
  CsvDocument document;
  document.source_name_ = path.string();
  document.delimiter_ = delimiter;
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size > 0) {
    void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, descriptor, 0);
    if (mapping == MAP_FAILED) {
      const std::string reason = std::strerror(errno);
      ::close(descriptor);
      throw InputError({{path.string(), 0, 0, "", "cannot map the CSV file: " + reason}});
    }
    ::madvise(mapping, size, MADV_SEQUENTIAL);
    document.mapping_ = mapping;
    document.mapping_size_ = size;
    document.text_ = std::string_view(static_cast<const char*>(mapping), size);
  }
  ::close(descriptor);
  document.Index();
  document.RequireHeader();
  return document;
}

CsvDocument CsvDocument::FromText(std::string text, std::string source_name, char delimiter) {
  CsvDocument document;
  document.source_name_ = std::move(source_name);
  document.owned_text_ = std::move(text);
  document.text_ = document.owned_text_;
  document.delimiter_ = delimiter;
  document.Index();
  document.RequireHeader();
  return document;
}

void CsvDocument::RequireHeader() const {
  if (header_.empty()) {
    throw InputError({{source_name_, 0, 0, "", "the CSV file is empty: it has no header line"}});
  }
}

CsvDocument::CsvDocument(CsvDocument&& other) noexcept { *this = std::move(other); }

CsvDocument& CsvDocument::operator=(CsvDocument&& other) noexcept {
  if (this == &other) return *this;
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
  const bool owned = other.mapping_ == nullptr;
  source_name_ = std::move(other.source_name_);
  owned_text_ = std::move(other.owned_text_);
  mapping_ = std::exchange(other.mapping_, nullptr);
  mapping_size_ = std::exchange(other.mapping_size_, 0);
  text_ = owned ? std::string_view(owned_text_) : std::string_view(static_cast<const char*>(mapping_), mapping_size_);
  other.text_ = {};
  delimiter_ = other.delimiter_;
  header_ = std::move(other.header_);
  record_begin_ = std::move(other.record_begin_);
  record_end_ = std::move(other.record_end_);
  record_line_ = std::move(other.record_line_);
  return *this;
}

CsvDocument::~CsvDocument() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
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
