#include "json_reader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crsim/data/input_error.h"

namespace crsim::data::json {

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kFalse:
    case Kind::kTrue: return "a boolean";
    case Kind::kNumber: return "a number";
    case Kind::kString: return "a string";
    case Kind::kArray: return "an array";
    case Kind::kObject: return "an object";
  }
  return "?";
}

namespace {

class Parser {
 public:
  Parser(const Document& document, std::string_view text, std::vector<Node>& nodes)
      : document_(document), text_(text), nodes_(nodes) {}

  void Parse() {
    SkipSpace();
    if (pos_ == text_.size()) Fail("empty input: expected a JSON value");
    ParseValue(0);
    SkipSpace();
    if (pos_ != text_.size()) Fail("unexpected data after the JSON value");
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const { FailAt(pos_, message); }
  [[noreturn]] void FailAt(std::size_t offset, const std::string& message) const {
    std::int64_t line = 0;
    std::int64_t column = 0;
    document_.LineColumn(offset, line, column);
    std::string text = message;
    if (offset >= text_.size()) {
      text += " (at end of input, byte " + std::to_string(offset) + ": truncated?)";
    } else {
      text += " (byte offset " + std::to_string(offset) + ")";
    }
    throw InputError({{document_.source(), line, column, "", text}});
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  std::uint32_t NewNode(Kind kind) {
    if (nodes_.size() >= 0xfffffff0u) Fail("too many JSON values");
    nodes_.push_back(Node{kind, 0, 0, static_cast<std::uint32_t>(pos_), 0});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  void Finish(std::uint32_t index) {
    nodes_[index].end = static_cast<std::uint32_t>(pos_);
    nodes_[index].next = static_cast<std::uint32_t>(nodes_.size());
  }

  void ParseValue(std::size_t depth) {
    if (pos_ >= text_.size()) Fail("expected a JSON value");
    const char c = text_[pos_];
    switch (c) {
      case '{': ParseObject(depth + 1); return;
      case '[': ParseArray(depth + 1); return;
      case '"': {
        const std::uint32_t index = NewNode(Kind::kString);
        ++pos_;
        nodes_[index].begin = static_cast<std::uint32_t>(pos_);
        ScanString();
        nodes_[index].end = static_cast<std::uint32_t>(pos_);
        nodes_[index].next = static_cast<std::uint32_t>(nodes_.size());
        ++pos_;  // closing quote
        return;
      }
      case 't': ParseLiteral("true", Kind::kTrue); return;
      case 'f': ParseLiteral("false", Kind::kFalse); return;
      case 'n': ParseLiteral("null", Kind::kNull); return;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          ParseNumber();
          return;
        }
        if (c == 'N' || c == 'I') Fail("NaN and Infinity are not JSON");
        Fail(std::string("unexpected character ") + Printable(c) + ": expected a JSON value");
    }
  }

  static std::string Printable(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) return std::string("'") + c + "'";
    static const char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
  }

  void ParseLiteral(std::string_view word, Kind kind) {
    if (text_.substr(pos_, word.size()) != word) Fail("invalid literal: expected " + std::string(word));
    const std::uint32_t index = NewNode(kind);
    pos_ += word.size();
    Finish(index);
  }

  void ParseNumber() {
    const std::uint32_t index = NewNode(Kind::kNumber);
    const auto digit = [&](std::size_t at) { return at < text_.size() && text_[at] >= '0' && text_[at] <= '9'; };
    if (text_[pos_] == '-') ++pos_;
    if (!digit(pos_)) Fail("invalid number: expected a digit");
    if (text_[pos_] == '0') {
      ++pos_;
      if (digit(pos_)) Fail("invalid number: leading zero");
    } else {
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digit(pos_)) Fail("invalid number: expected a digit after '.'");
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digit(pos_)) Fail("invalid number: expected a digit in the exponent");
      while (digit(pos_)) ++pos_;
    }
    Finish(index);
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  unsigned ReadHex4() {
    if (pos_ + 4 > text_.size()) Fail("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = HexValue(text_[pos_ + static_cast<std::size_t>(i)]);
      if (digit < 0) FailAt(pos_ + static_cast<std::size_t>(i), "invalid \\u escape: expected 4 hex digits");
      value = value * 16 + static_cast<unsigned>(digit);
    }
    pos_ += 4;
    return value;
  }

  // Scans to the closing quote (pos_ ends on it), validating escapes and UTF-8.
  void ScanString() {
    while (true) {
      if (pos_ >= text_.size()) Fail("unterminated string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') return;
      if (c < 0x20) Fail("control character " + Printable(static_cast<char>(c)) + " in a string (escape it)");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= text_.size()) Fail("unterminated string");
        const char e = text_[pos_];
        if (e == 'u') {
          ++pos_;
          const unsigned unit = ReadHex4();
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") Fail("unpaired surrogate in \\u escape");
            pos_ += 2;
            const unsigned low = ReadHex4();
            if (low < 0xDC00 || low > 0xDFFF) Fail("invalid low surrogate in \\u escape");
          } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
            Fail("unpaired surrogate in \\u escape");
          }
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          Fail(std::string("invalid escape \\") + Printable(e));
        }
        ++pos_;
        continue;
      }
      if (c < 0x80) {
        ++pos_;
        continue;
      }
      // UTF-8 sequence: lead byte, continuation bytes, no overlongs or surrogates.
      std::size_t length;
      unsigned code;
      if ((c & 0xE0) == 0xC0) {
        length = 2;
        code = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        length = 3;
        code = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        length = 4;
        code = c & 0x07;
      } else {
        Fail("invalid UTF-8 byte " + Printable(static_cast<char>(c)) + " in a string");
      }
      if (pos_ + length > text_.size()) Fail("truncated UTF-8 sequence");
      for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text_[pos_ + i]);
        if ((next & 0xC0) != 0x80) FailAt(pos_ + i, "invalid UTF-8 continuation byte in a string");
        code = (code << 6) | (next & 0x3F);
      }
      static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (code < kMin[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        Fail("invalid UTF-8 sequence in a string");
      }
      pos_ += length;
    }
  }

  void CheckDepth(std::size_t depth) const {
    if (depth > kMaxJsonDepth) Fail("nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }

  void ParseArray(std::size_t depth) {
    CheckDepth(depth);
    const std::uint32_t index = NewNode(Kind::kArray);
    ++pos_;
    SkipSpace();
    std::uint32_t count = 0;
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        ParseValue(depth);
        ++count;
        SkipSpace();
        if (pos_ >= text_.size()) Fail("unterminated array: expected ',' or ']'");
        if (text_[pos_] == ',') {
          ++pos_;
          SkipSpace();
          if (pos_ < text_.size() && text_[pos_] == ']') Fail("trailing comma in an array");
          continue;
        }
        if (text_[pos_] == ']') {
          ++pos_;
          break;
        }
        Fail("expected ',' or ']' in an array, found " + Printable(text_[pos_]));
      }
    }
    nodes_[index].count = count;
    Finish(index);
  }

  void ParseObject(std::size_t depth) {
    CheckDepth(depth);
    const std::uint32_t index = NewNode(Kind::kObject);
    ++pos_;
    SkipSpace();
    std::uint32_t count = 0;
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        if (pos_ >= text_.size()) Fail("unterminated object");
        if (text_[pos_] != '"') Fail("expected a string key in an object, found " + Printable(text_[pos_]));
        ParseValue(depth);  // the key
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ':') Fail("expected ':' after an object key");
        ++pos_;
        SkipSpace();
        ParseValue(depth);
        ++count;
        SkipSpace();
        if (pos_ >= text_.size()) Fail("unterminated object: expected ',' or '}'");
        if (text_[pos_] == ',') {
          ++pos_;
          SkipSpace();
          if (pos_ < text_.size() && text_[pos_] == '}') Fail("trailing comma in an object");
          continue;
        }
        if (text_[pos_] == '}') {
          ++pos_;
          break;
        }
        Fail("expected ',' or '}' in an object, found " + Printable(text_[pos_]));
      }
    }
    nodes_[index].count = count;
    Finish(index);
  }

  const Document& document_;
  std::string_view text_;
  std::vector<Node>& nodes_;
  std::size_t pos_ = 0;
};

void AppendUtf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

unsigned Hex4(std::string_view text, std::size_t at) {
  unsigned value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const char c = text[at + i];
    value = value * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return value;
}

}  // namespace

Document::Document(std::string_view text, std::string source) : text_(text), source_(std::move(source)) {
  if (text.size() > kMaxJsonBytes) {
    throw InputError({{source_, 0, 0, "",
                       "file of " + std::to_string(text.size()) + " bytes exceeds the JSON reader's limit of " +
                           std::to_string(kMaxJsonBytes) + " bytes"}});
  }
  Parser(*this, text, nodes_).Parse();
}

std::string Document::String(std::uint32_t index) const {
  const Node& n = nodes_[index];
  std::string out;
  for (std::size_t i = n.begin; i < n.end; ++i) {
    const char c = text_[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    const char e = text_[++i];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        unsigned code = Hex4(text_, i + 1);
        i += 4;
        if (code >= 0xD800 && code <= 0xDBFF) {
          const unsigned low = Hex4(text_, i + 3);
          i += 6;
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(out, code);
        break;
      }
      default: out += e; break;  // " \ /
    }
  }
  return out;
}

std::string_view Document::NumberText(std::uint32_t index) const {
  const Node& n = nodes_[index];
  return text_.substr(n.begin, n.end - n.begin);
}

std::uint32_t Document::Find(std::uint32_t object, std::string_view key) const {
  const Node& n = nodes_[object];
  std::uint32_t child = FirstChild(object);
  for (std::uint32_t m = 0; m < n.count; ++m) {
    const std::uint32_t value = Next(child);
    const Node& k = nodes_[child];
    const std::string_view raw = text_.substr(k.begin, k.end - k.begin);
    if (raw == key || (raw.find('\\') != std::string_view::npos && String(child) == key)) return value;
    child = Next(value);
  }
  return kNotFound;
}

void Document::LineColumn(std::size_t offset, std::int64_t& line, std::int64_t& column) const {
  line = 1;
  std::size_t line_start = 0;
  const std::size_t limit = std::min(offset, text_.size());
  for (std::size_t i = 0; i < limit; ++i) {
    if (text_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  column = static_cast<std::int64_t>(offset - line_start) + 1;
}

}  // namespace crsim::data::json
