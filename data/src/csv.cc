#include "crsim/data/csv.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdint>
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

namespace {

// The position of the first `byte` in data[i, end), or end. Eight bytes at a time: a byte of
// word ^ pattern is zero exactly where the word holds `byte`, and ((x & 0x7f..) + 0x7f..) | x has
// its high bit clear exactly in x's zero bytes (no borrow crosses bytes, unlike the shorter
// (x - 0x01..) & ~x test). Fields are short (a few bytes), where this beats a call to memchr.
std::size_t FindByte(const char* data, std::size_t i, std::size_t end, char byte) {
  static_assert(std::endian::native == std::endian::little, "the first byte in memory is the lowest");
  constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  const std::uint64_t pattern = 0x0101010101010101ULL * static_cast<unsigned char>(byte);
  for (; i + 8 <= end; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, sizeof word);
    const std::uint64_t x = word ^ pattern;
    const std::uint64_t zero_bytes = ~(((x & kLow7) + kLow7) | x | kLow7);
    if (zero_bytes != 0) return i + static_cast<std::size_t>(std::countr_zero(zero_bytes)) / 8;
  }
  for (; i < end; ++i) {
    if (data[i] == byte) return i;
  }
  return end;
}

}  // namespace

bool CsvDocument::SplitRange(std::size_t begin, std::size_t end, std::vector<std::string_view>& fields,
                             std::string& scratch, Problem& problem) const {
  fields.clear();
  const char* data = text_.data();
  if (FindByte(data, begin, end, '"') == end) {
    // No quote anywhere in the record (the usual case): every delimiter ends a field. Word at a
    // time, each word's delimiter bytes as a bit mask, one field per set bit.
    constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
    const std::uint64_t pattern = 0x0101010101010101ULL * static_cast<unsigned char>(delimiter_);
    std::size_t field_start = begin, i = begin;
    for (; i + 8 <= end; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, data + i, sizeof word);
      const std::uint64_t x = word ^ pattern;
      for (std::uint64_t delimiters = ~(((x & kLow7) + kLow7) | x | kLow7); delimiters != 0; delimiters &= delimiters - 1) {
        const std::size_t at = i + static_cast<std::size_t>(std::countr_zero(delimiters)) / 8;
        fields.emplace_back(data + field_start, at - field_start);
        field_start = at + 1;
      }
    }
    for (; i < end; ++i) {
      if (data[i] != delimiter_) continue;
      fields.emplace_back(data + field_start, i - field_start);
      field_start = i + 1;
    }
    fields.emplace_back(data + field_start, end - field_start);  // the last field, empty after a trailing delimiter
    return true;
  }
  scratch.clear();
  scratch.reserve(end - begin);  // unquoted text is never longer: views into scratch stay valid
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
      const std::size_t field_end = FindByte(data, i, end, delimiter_);
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
