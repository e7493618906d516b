// A small strict JSON reader (RFC 8259) for model files: no third-party JSON library.
//
// Parses the whole text into a flat array of nodes (24 bytes each; a 500-tree XGBoost model of
// depth 8 is about 3M values, 70 MB of nodes) that keep the byte range of every value, so that
// errors about the CONTENT of a file can still say where (line:column and byte offset). Strict:
// no comments, no trailing commas, no NaN/Infinity literals, no leading zeros or '+', no control
// characters in strings, valid escapes and \u surrogate pairs, valid UTF-8, a single top-level
// value followed only by whitespace. Limits: nesting depth <= kMaxJsonDepth, text size <=
// kMaxJsonBytes; exceeding either is an error, not a crash. Syntax errors throw
// crsim::InputError with "source:line:column" and the byte offset in the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crsim::data::json {

inline constexpr std::size_t kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxJsonBytes = std::size_t{1} << 31;  // 2 GiB

enum class Kind : std::uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

const char* KindName(Kind kind);

struct Node {
  Kind kind = Kind::kNull;
  std::uint32_t count = 0;   // array elements, or object members
  std::uint32_t next = 0;    // index of the node after this value's subtree
  std::uint32_t begin = 0;   // byte offset of the value; for a string, of its first character
  std::uint32_t end = 0;     // one past the value (a string: its closing quote)
};

class Document {
 public:
  // Parses `text` (which must outlive the document). Throws crsim::InputError.
  Document(std::string_view text, std::string source);

  std::string_view text() const { return text_; }
  const std::string& source() const { return source_; }
  const Node& node(std::uint32_t index) const { return nodes_[index]; }
  std::uint32_t root() const { return 0; }

  // Children: first child is index + 1, then follow `next`. Object members are key (a string node)
  // then value.
  std::uint32_t FirstChild(std::uint32_t index) const { return index + 1; }
  std::uint32_t Next(std::uint32_t index) const { return nodes_[index].next; }

  // The decoded string of a string node (escapes resolved).
  std::string String(std::uint32_t index) const;
  // The raw literal of a number node.
  std::string_view NumberText(std::uint32_t index) const;
  // Member `key` of an object node, or UINT32_MAX when absent.
  std::uint32_t Find(std::uint32_t object, std::string_view key) const;

  // 1-based line and column of a byte offset.
  void LineColumn(std::size_t offset, std::int64_t& line, std::int64_t& column) const;

 private:
  std::string_view text_;
  std::string source_;
  std::vector<Node> nodes_;
};

inline constexpr std::uint32_t kNotFound = 0xffffffffu;

}  // namespace crsim::data::json
