#include "crsim/data/declaration_import.h"

#include <toml++/toml.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string_view>

#include "crsim/data/did_you_mean.h"
#include "crsim/data/results_file.h"

namespace crsim::data {

namespace {

constexpr std::size_t kMaxReportedProblems = 20;
constexpr std::size_t kSkippedExamples = 5;
constexpr const char* kUnknownCategory = "<unknown>";
const std::vector<std::string> kDateFormats = {"YYYY-MM-DD", "YYYYMMDD", "DD/MM/YYYY"};

}  // namespace

const std::vector<ImportField>& ImportFields() {
  static const std::vector<ImportField> fields = {
      {"declaration_id", ImportFieldKind::kIdentifier, false},
      {"date", ImportFieldKind::kDate, true},
      {"office", ImportFieldKind::kIdentifier, false},
      {"importer", ImportFieldKind::kIdentifier, false},
      {"declarant", ImportFieldKind::kIdentifier, false},
      {"hs6", ImportFieldKind::kHs6, true},
      {"origin", ImportFieldKind::kIdentifier, false},
      {"departure", ImportFieldKind::kIdentifier, false},
      {"mode", ImportFieldKind::kIdentifier, false},
      {"mass_kg", ImportFieldKind::kNumber, false},
      {"value", ImportFieldKind::kNumber, true},
      {"tariff_rate_percent", ImportFieldKind::kNumber, false},
  };
  return fields;
}

const ImportedColumn* ImportedDeclarations::Find(const std::string& name) const {
  for (const ImportedColumn& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

// ------------------------------------------------------------------------------------------------
// Schema

ImportSchema ParseImportSchema(const std::string& text, const std::string& source_path) {
  ImportSchema schema;
  schema.source_path = source_path;
  schema.text = text;
  std::vector<InputProblem> problems;
  auto report = [&](const toml::source_region& where, const std::string& key, const std::string& message) {
    problems.push_back({source_path, static_cast<std::int64_t>(where.begin.line),
                        static_cast<std::int64_t>(where.begin.column), key, message});
  };
  toml::table root;
  try {
    root = toml::parse(text, source_path);
  } catch (const toml::parse_error& error) {
    throw InputError({{source_path, static_cast<std::int64_t>(error.source().begin.line),
                       static_cast<std::int64_t>(error.source().begin.column), "",
                       "TOML syntax error: " + std::string(error.description())}});
  }
  const std::vector<std::string> tables = {"csv", "columns", "categories", "labels"};
  std::vector<std::string> field_names;
  for (const ImportField& field : ImportFields()) field_names.push_back(field.name);

  auto read_mappings = [&](const std::string& table_name, std::map<std::string, ColumnMapping>& out,
                           const std::vector<std::string>* allowed) {
    const toml::table* table = root[table_name].as_table();
    if (table == nullptr) return;
    for (const auto& [key, node] : *table) {
      const std::string name(key.str());
      const std::string dotted = table_name + "." + name;
      if (allowed != nullptr && std::find(allowed->begin(), allowed->end(), name) == allowed->end()) {
        report(key.source(), dotted, "unknown field \"" + name + "\"" + HintSuffix(name, *allowed));
        continue;
      }
      const auto* value = node.as_string();
      if (value == nullptr || value->get().empty()) {
        report(node.source(), dotted, "expected the CSV column name as a non-empty string");
        continue;
      }
      out[name] = ColumnMapping{value->get(), static_cast<std::int64_t>(node.source().begin.line),
                                static_cast<std::int64_t>(node.source().begin.column)};
    }
  };

  for (const auto& [key, node] : root) {
    const std::string name(key.str());
    if (std::find(tables.begin(), tables.end(), name) == tables.end()) {
      report(key.source(), name, "unknown table [" + name + "]" + HintSuffix(name, tables));
    } else if (!node.is_table()) {
      report(node.source(), name, "expected a table [" + name + "]");
    }
  }
  if (const toml::table* csv = root["csv"].as_table()) {
    for (const auto& [key, node] : *csv) {
      const std::string name(key.str());
      if (name == "delimiter") {
        const auto* value = node.as_string();
        if (value == nullptr || value->get().size() != 1 || value->get() == "\"" || value->get() == "\n") {
          report(node.source(), "csv.delimiter", "expected one character other than a quote or newline");
        } else {
          schema.delimiter = value->get()[0];
        }
      } else if (name == "date_format") {
        const auto* value = node.as_string();
        if (value == nullptr || std::find(kDateFormats.begin(), kDateFormats.end(), value->get()) == kDateFormats.end()) {
          report(node.source(), "csv.date_format", "expected one of \"YYYY-MM-DD\", \"YYYYMMDD\", \"DD/MM/YYYY\"");
        } else {
          schema.date_format = value->get();
        }
      } else {
        const std::vector<std::string> allowed = {"delimiter", "date_format"};
        report(key.source(), "csv." + name, "unknown key \"" + name + "\"" + HintSuffix(name, allowed));
      }
    }
  }
  read_mappings("columns", schema.columns, &field_names);
  read_mappings("categories", schema.categories, nullptr);
  read_mappings("labels", schema.labels, nullptr);
  for (const ImportField& field : ImportFields()) {
    if (field.required && !schema.columns.count(field.name)) {
      problems.push_back({source_path, 0, 0, "columns." + field.name,
                          "required: name the CSV column that holds the " + field.name});
    }
  }
  if (!problems.empty()) throw InputError(std::move(problems));
  return schema;
}

ImportSchema LoadImportSchema(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::error_code error;
  if (!file || std::filesystem::is_directory(path, error)) {
    throw InputError({{path.string(), 0, 0, "", "cannot read the schema file"}});
  }
  std::stringstream text;
  text << file.rdbuf();
  return ParseImportSchema(text.str(), path.string());
}

// ------------------------------------------------------------------------------------------------
// Parsing fields

namespace {

std::optional<std::int32_t> ParseDate(std::string_view text, const std::string& format) {
  auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
    if (at + length > text.size()) return std::nullopt;
    int value = 0;
    const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + length, value);
    if (error != std::errc() || end != text.data() + at + length) return std::nullopt;
    return value;
  };
  std::optional<int> year, month, day;
  if (format == "YYYY-MM-DD") {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    year = number(0, 4), month = number(5, 2), day = number(8, 2);
  } else if (format == "YYYYMMDD") {
    if (text.size() != 8) return std::nullopt;
    year = number(0, 4), month = number(4, 2), day = number(6, 2);
  } else {  // DD/MM/YYYY
    if (text.size() != 10 || text[2] != '/' || text[5] != '/') return std::nullopt;
    day = number(0, 2), month = number(3, 2), year = number(6, 4);
  }
  if (!year || !month || !day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return static_cast<std::int32_t>(std::chrono::sys_days(date).time_since_epoch().count());
}

// Plain decimals ("123", "0.25") with at most 15 significant digits, the bulk of any customs
// export, are parsed in line: the digits form an integer m < 10^15 < 2^53 and the value is m or
// m / 10^k (k <= 15), each exact in a double, so the one division is correctly rounded and the
// result equals std::from_chars's bit for bit (Clinger's fast path). Anything else (signs,
// exponents, more digits, stray characters) goes to std::from_chars.
std::optional<double> ParsePlainDecimal(std::string_view text) {
  static constexpr double kPowersOf10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  std::uint64_t mantissa = 0;
  std::size_t digits = 0, fraction_digits = 0, i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) mantissa = mantissa * 10 + static_cast<std::uint64_t>(text[i] - '0');
  if (digits == 0) return std::nullopt;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++fraction_digits) {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(text[i] - '0');
    }
    if (fraction_digits == 0 || i != text.size()) return std::nullopt;
  }
  if (digits + fraction_digits > 15) return std::nullopt;
  return static_cast<double>(mantissa) / kPowersOf10[fraction_digits];
}

std::optional<double> ParseNumber(std::string_view text) {
  if (const auto plain = ParsePlainDecimal(text)) return plain;
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// One output column being filled: where its text comes from and how to convert it.
struct ColumnPlan {
  std::string name;
  ImportFieldKind kind;
  bool required;
  std::size_t csv_index;
};

// The bytes of p[0, n) packed into a word, n <= 8, without reading past p + n and without a call
// (a variable-length memcpy is one): two overlapping loads for 4..8 bytes, three bytes for 1..3.
// Different strings of the same length give different words.
std::uint64_t LoadShort(const char* p, std::size_t n) {
  if (n >= 4) {
    std::uint32_t low, high;
    std::memcpy(&low, p, 4);
    std::memcpy(&high, p + n - 4, 4);
    return low | static_cast<std::uint64_t>(high) << 32;
  }
  if (n == 0) return 0;
  const auto byte = [p](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
  return byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
}

// A 64-bit hash of a short string, inline: eight bytes at a time (the last word overlapping the
// one before when the length is not a multiple of 8), each word mixed in by a multiply, and a final
// avalanche (the finaliser of MurmurHash3) so that the low bits used for the slot depend on every
// byte. Identifier fields are a few bytes to a few dozen; the library's std::hash (an out-of-line
// call) cost twice as many instructions for them.
std::uint64_t HashKey(std::string_view key) {
  constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;
  const char* p = key.data();
  const std::size_t n = key.size();
  std::uint64_t hash = n * kMultiplier;
  if (n <= 8) {
    hash = (hash ^ LoadShort(p, n)) * kMultiplier;
  } else {
    std::uint64_t word;
    std::size_t i = 0;
    for (; i + 8 < n; i += 8) {
      std::memcpy(&word, p + i, sizeof word);
      hash = (hash ^ word) * kMultiplier;
      hash ^= hash >> 29;
    }
    std::memcpy(&word, p + n - 8, sizeof word);
    hash = (hash ^ word) * kMultiplier;
  }
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  return hash ^ (hash >> 33);
}

// a == b for short strings, inline (word compares; no call to memcmp).
bool SameKey(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n <= 8) return LoadShort(a.data(), n) == LoadShort(b.data(), n);  // LoadShort is one-to-one for a given n
  std::uint64_t x, y;
  for (std::size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  std::memcpy(&x, a.data() + n - 8, 8);
  std::memcpy(&y, b.data() + n - 8, 8);
  return x == y;
}

// String -> dense id, open addressing with linear probing over a power-of-two table of slots that
// keep the hash, so most probes compare one integer. Keys are views: the caller keeps their text
// alive. (A node-based std::unordered_map spent 30% of an import chasing pointers; see
// bench/RESULTS.md.)
class IdMap {
 public:
  // The id of key (whose HashKey is hash); when absent, inserts stable_key() (the same text, in
  // storage that outlives the map) with id next_id. Returns (id, inserted). One probe sequence.
  template <class StableKey>
  std::pair<std::int32_t, bool> FindOrInsert(std::string_view key, std::uint64_t hash, std::int32_t next_id,
                                             const StableKey& stable_key) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = Slot{hash, stable_key(), next_id};
        ++count_;
        return {next_id, true};
      }
      if (slot.hash == hash && SameKey(slot.key, key)) return {slot.id, false};
    }
  }

  // Room for `count` keys without growing.
  void Reserve(std::size_t count) {
    std::size_t slots = 64;
    while (count * 4 > slots * 3) slots *= 2;
    if (slots > slots_.size()) Rehash(slots);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::string_view key;
    std::int32_t id = -1;
  };

  void Grow() { Rehash(slots_.empty() ? 64 : slots_.size() * 2); }

  void Rehash(std::size_t slots) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(slots, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.id < 0) continue;
      std::size_t i = slot.hash & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

// What one chunk of records produced. Identifier ids are chunk-local until the merge; the local
// dictionaries are views into the CSV text, or into `owned` for fields that had to be unquoted, so
// both stay valid until the import ends and no string is copied before the merge.
struct ChunkResult {
  std::vector<ImportedColumn> columns;
  std::vector<IdMap> local_ids;
  std::vector<std::vector<std::string_view>> local_dictionary;
  std::vector<std::vector<std::uint64_t>> local_hashes;  // HashKey of each local_dictionary entry
  std::deque<std::string> owned;
  std::vector<std::pair<std::size_t, InputProblem>> problems;  // (record, problem)
  std::int64_t rows = 0;
};

std::string Excerpt(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string excerpt(text.substr(0, kMax));
  if (text.size() > kMax) excerpt += "...";
  return "\"" + excerpt + "\"";
}

// Records per block of ParseChunk: the block's field views (records x fields x 16 bytes) and its
// converted values stay in L2 while every column is processed in turn.
constexpr std::size_t kBlockRecords = 256;

// Parses records [first, last) block by block. Each block is split into fields record by record,
// then converted column by column (one column's dictionary, and its code path, stay hot for a
// whole block instead of 20-odd of them taking turns for every record). A record's first bad field
// (in column order) is its problem: a column pass skips records an earlier column found bad, which
// also keeps the dictionaries exactly as a record-by-record pass would leave them. Problems come
// out in record order.
void ParseChunk(const CsvDocument& csv, const ImportSchema& schema, const std::vector<ColumnPlan>& plans,
                std::size_t first, std::size_t last, ChunkResult& result) {
  const std::size_t columns = plans.size();
  result.columns.resize(columns);
  result.local_ids.resize(columns);
  result.local_dictionary.resize(columns);
  result.local_hashes.resize(columns);
  for (std::size_t c = 0; c < columns; ++c) {
    ImportedColumn& column = result.columns[c];
    column.name = plans[c].name;
    column.kind = plans[c].kind;
    switch (plans[c].kind) {
      case ImportFieldKind::kNumber: column.numbers.reserve(last - first); break;
      case ImportFieldKind::kLabel: column.labels.reserve(last - first); break;
      default: column.integers.reserve(last - first); break;
    }
  }
  const std::size_t expected_fields = csv.header().size();
  std::vector<std::string_view> fields;
  std::string scratch;
  std::deque<std::string> block_copies;  // unquoted copies of quoted fields, for the block
  std::vector<std::string_view> cells(kBlockRecords * expected_fields);
  std::vector<std::uint8_t> bad(kBlockRecords);
  std::vector<std::int32_t> integers(kBlockRecords * columns);
  std::vector<double> numbers(kBlockRecords * columns);
  std::vector<std::pair<std::size_t, InputProblem>> block_problems;

  for (std::size_t block = first; block < last; block += kBlockRecords) {
    const std::size_t count = std::min(last, block + kBlockRecords) - block;
    block_copies.clear();
    block_problems.clear();
    for (std::size_t r = 0; r < count; ++r) {
      const std::size_t record = block + r;
      CsvDocument::Problem split_problem;
      bad[r] = 1;
      if (!csv.Fields(record, fields, scratch, split_problem)) {
        block_problems.push_back({record, {csv.source_name(), csv.line(record), split_problem.column, "", split_problem.message}});
        continue;
      }
      if (fields.size() != expected_fields) {
        block_problems.push_back({record, {csv.source_name(), csv.line(record), 1, "",
                                           "expected " + std::to_string(expected_fields) +
                                               " fields as in the header, found " + std::to_string(fields.size())}});
        continue;
      }
      bad[r] = 0;
      std::string_view* row = cells.data() + r * expected_fields;
      for (std::size_t f = 0; f < expected_fields; ++f) {
        // Fields unquoted into scratch are overwritten by the next record: keep a copy for the block.
        row[f] = csv.InDocument(fields[f]) ? fields[f] : std::string_view(block_copies.emplace_back(fields[f]));
      }
    }

    for (std::size_t c = 0; c < columns; ++c) {
      const ColumnPlan& plan = plans[c];
      const auto text_of = [&](std::size_t r) { return cells[r * expected_fields + plan.csv_index]; };
      const auto problem = [&](std::size_t r, const std::string& message) {
        const std::size_t record = block + r;
        // FieldColumn needs the record's fields as Fields splits them.
        CsvDocument::Problem unused;
        csv.Fields(record, fields, scratch, unused);
        block_problems.push_back({record, {csv.source_name(), csv.line(record),
                                           csv.FieldColumn(record, fields, plan.csv_index), plan.name, message}});
        bad[r] = 1;
      };
      std::int32_t* integer = integers.data() + c * kBlockRecords;
      double* number = numbers.data() + c * kBlockRecords;
      // convert(r, text) for each record not already bad whose field is not a required one left empty.
      const auto for_each_field = [&](const auto& convert) {
        for (std::size_t r = 0; r < count; ++r) {
          if (bad[r]) continue;
          const std::string_view text = text_of(r);
          if (text.empty() && plan.required) problem(r, "empty, but the field is required");
          else convert(r, text);
        }
      };
      switch (plan.kind) {
        case ImportFieldKind::kIdentifier: {
          IdMap& ids = result.local_ids[c];
          auto& dictionary = result.local_dictionary[c];
          auto& hashes = result.local_hashes[c];
          for_each_field([&](std::size_t r, std::string_view text) {
            const std::uint64_t hash = HashKey(text);
            integer[r] = ids.FindOrInsert(text, hash, static_cast<std::int32_t>(dictionary.size()), [&] {
                           // A copy made for this block does not outlive it: keep one for the import.
                           dictionary.push_back(csv.InDocument(text) ? text
                                                                     : std::string_view(result.owned.emplace_back(text)));
                           hashes.push_back(hash);
                           return dictionary.back();
                         }).first;
          });
          break;
        }
        case ImportFieldKind::kDate: {
          for_each_field([&](std::size_t r, std::string_view text) {
            const auto day = ParseDate(text, schema.date_format);
            if (!day) problem(r, "not a valid date in the format " + schema.date_format + ": " + Excerpt(text));
            else integer[r] = *day;
          });
          break;
        }
        case ImportFieldKind::kHs6: {
          for_each_field([&](std::size_t r, std::string_view text) {
            const bool digits = text.size() >= 6 && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
            if (!digits) {
              problem(r, "not an HS code of at least 6 digits: " + Excerpt(text) +
                             (text.size() == 5 ? " (a leading zero lost by a spreadsheet?)" : ""));
            } else {
              integer[r] = (text[0] - '0') * 100000 + (text[1] - '0') * 10000 + (text[2] - '0') * 1000 +
                           (text[3] - '0') * 100 + (text[4] - '0') * 10 + (text[5] - '0');
            }
          });
          break;
        }
        case ImportFieldKind::kNumber: {
          for_each_field([&](std::size_t r, std::string_view text) {
            if (text.empty()) {
              number[r] = std::nan("");  // an optional number left empty
              return;
            }
            const auto value = ParseNumber(text);
            if (!value || !std::isfinite(*value)) problem(r, "not a number: " + Excerpt(text));
            else if (*value < 0.0) problem(r, "must be >= 0, got " + std::string(text));
            else number[r] = *value;
          });
          break;
        }
        case ImportFieldKind::kLabel: {
          for_each_field([&](std::size_t r, std::string_view text) {
            if (text != "0" && text != "1") problem(r, "a label must be 0 or 1, got " + Excerpt(text));
            else integer[r] = text == "1" ? 1 : 0;
          });
          break;
        }
      }
    }

    std::stable_sort(block_problems.begin(), block_problems.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& problem : block_problems) result.problems.push_back(std::move(problem));
    for (std::size_t c = 0; c < columns; ++c) {
      ImportedColumn& column = result.columns[c];
      const std::int32_t* integer = integers.data() + c * kBlockRecords;
      const double* number = numbers.data() + c * kBlockRecords;
      const auto append_good = [&](auto& out, const auto* values) {
        for (std::size_t r = 0; r < count; ++r) {
          if (!bad[r]) out.push_back(static_cast<std::remove_reference_t<decltype(out[0])>>(values[r]));
        }
      };
      switch (plans[c].kind) {
        case ImportFieldKind::kNumber: append_good(column.numbers, number); break;
        case ImportFieldKind::kLabel: append_good(column.labels, integer); break;
        default: append_good(column.integers, integer); break;
      }
    }
    for (std::size_t r = 0; r < count; ++r) result.rows += bad[r] ? 0 : 1;
  }
}

}  // namespace

ImportedDeclarations ImportDeclarations(const CsvDocument& csv, const ImportSchema& schema, const ImportOptions& options) {
  // Resolve every mapping against the header first: a missing column is a schema problem.
  std::vector<ColumnPlan> plans;
  std::vector<InputProblem> problems;
  const auto& header = csv.header();
  auto plan = [&](const std::string& table, const std::string& name, const ColumnMapping& mapping,
                  ImportFieldKind kind, bool required) {
    const auto it = std::find(header.begin(), header.end(), mapping.csv_column);
    if (it == header.end()) {
      problems.push_back({schema.source_path, mapping.line, mapping.column, table + "." + name,
                          "column \"" + mapping.csv_column + "\" is not in the header of " + csv.source_name() +
                              HintSuffix(mapping.csv_column, header)});
      return;
    }
    plans.push_back({name, kind, required, static_cast<std::size_t>(it - header.begin())});
  };
  for (const ImportField& field : ImportFields()) {
    const auto it = schema.columns.find(field.name);
    if (it != schema.columns.end()) plan("columns", field.name, it->second, field.kind, field.required);
  }
  for (const auto& [name, mapping] : schema.categories) plan("categories", name, mapping, ImportFieldKind::kIdentifier, false);
  for (const auto& [name, mapping] : schema.labels) plan("labels", name, mapping, ImportFieldKind::kLabel, true);
  if (!problems.empty()) throw InputError(std::move(problems));
  if (csv.record_count() == 0) throw InputError({{csv.source_name(), 0, 0, "", "the CSV file has a header but no rows"}});

  const std::size_t chunk = std::max<std::size_t>(1, options.chunk_records);
  const std::size_t chunks = (csv.record_count() + chunk - 1) / chunk;
  std::vector<ChunkResult> results(chunks);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t c = range.begin(); c != range.end(); ++c) {
      ParseChunk(csv, schema, plans, c * chunk, std::min(csv.record_count(), (c + 1) * chunk), results[c]);
    }
  });

  ImportedDeclarations imported;
  imported.source_path = csv.source_name();
  std::vector<std::pair<std::size_t, InputProblem>> bad;
  for (ChunkResult& result : results) {
    for (auto& problem : result.problems) bad.push_back(std::move(problem));
  }
  if (!bad.empty() && !options.skip_bad_rows) {
    std::vector<InputProblem> reported;
    for (std::size_t i = 0; i < bad.size() && i < kMaxReportedProblems; ++i) reported.push_back(bad[i].second);
    if (bad.size() > kMaxReportedProblems) {
      reported.push_back({csv.source_name(), 0, 0, "",
                          "... and " + std::to_string(bad.size() - kMaxReportedProblems) +
                              " more bad rows (use --skip-bad-rows to import without them)"});
    }
    throw InputError(std::move(reported));
  }
  imported.skipped_rows = static_cast<std::int64_t>(bad.size());
  for (std::size_t i = 0; i < bad.size() && i < kSkippedExamples; ++i) imported.skipped_examples.push_back(bad[i].second);

  // Merge the chunks in file order, each column on its own task (columns are independent, chunks
  // within a column are merged in order). Identifier ids become global, in order of first
  // appearance, after the reserved id 0.
  std::vector<std::size_t> chunk_row_offset(results.size() + 1, 0);
  for (std::size_t k = 0; k < results.size(); ++k) chunk_row_offset[k + 1] = chunk_row_offset[k] + static_cast<std::size_t>(results[k].rows);
  imported.rows = static_cast<std::int64_t>(chunk_row_offset.back());
  imported.columns.resize(plans.size());
  tbb::parallel_for(std::size_t{0}, plans.size(), [&](std::size_t c) {
    ImportedColumn& out = imported.columns[c];
    out.name = plans[c].name;
    out.kind = plans[c].kind;
    const std::size_t rows = chunk_row_offset.back();
    switch (plans[c].kind) {
      case ImportFieldKind::kNumber: out.numbers.resize(rows); break;
      case ImportFieldKind::kLabel: out.labels.resize(rows); break;
      default: out.integers.resize(rows); break;
    }
    if (plans[c].kind != ImportFieldKind::kIdentifier) {
      // Only the vector of the column's kind holds values: offsetting the others' (possibly null)
      // storage would be undefined behaviour, as the fuzz target found.
      const auto append = [&](auto member) {
        for (std::size_t k = 0; k < results.size(); ++k) {
          const auto& part = results[k].columns[c].*member;
          std::copy(part.begin(), part.end(), (out.*member).begin() + static_cast<std::ptrdiff_t>(chunk_row_offset[k]));
        }
      };
      switch (plans[c].kind) {
        case ImportFieldKind::kNumber: append(&ImportedColumn::numbers); break;
        case ImportFieldKind::kLabel: append(&ImportedColumn::labels); break;
        default: append(&ImportedColumn::integers); break;
      }
      return;
    }
    IdMap global;
    std::size_t local_entries = 0;
    for (const ChunkResult& result : results) local_entries += result.local_dictionary[c].size();
    global.Reserve(local_entries);  // an upper bound of the global count: the table never grows
    std::vector<std::string_view> dictionary = {kUnknownCategory};
    std::vector<std::int32_t> remap;
    for (std::size_t k = 0; k < results.size(); ++k) {
      const auto& local = results[k].local_dictionary[c];
      const auto& hashes = results[k].local_hashes[c];
      remap.resize(local.size());
      for (std::size_t id = 0; id < local.size(); ++id) {
        const auto [global_id, inserted] = global.FindOrInsert(
            local[id], hashes[id], static_cast<std::int32_t>(dictionary.size()), [&] {
              dictionary.push_back(local[id]);
              return local[id];
            });
        remap[id] = global_id;
      }
      const std::vector<std::int32_t>& ids = results[k].columns[c].integers;
      auto target = out.integers.begin() + static_cast<std::ptrdiff_t>(chunk_row_offset[k]);
      for (const std::int32_t id : ids) *target++ = remap[static_cast<std::size_t>(id)];
    }
    out.dictionary.assign(dictionary.begin(), dictionary.end());
  });
  // hs_chapter right after hs6, derived.
  for (std::size_t c = 0; c < imported.columns.size(); ++c) {
    if (imported.columns[c].kind != ImportFieldKind::kHs6) continue;
    ImportedColumn chapter{"hs_chapter", ImportFieldKind::kHs6, {}, {}, {}, {}};
    for (const std::int32_t code : imported.columns[c].integers) chapter.integers.push_back(code / 10000);
    imported.columns.insert(imported.columns.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(chapter));
    break;
  }
  return imported;
}

void WriteImportedDeclarations(const std::filesystem::path& path, const ImportedDeclarations& imported,
                               const ImportSchema& schema, const std::string& version) {
  ResultsFile file = ResultsFile::Create(path);
  file.SetAttribute("/", "crsim_version", version);
  file.SetAttribute("/", "source_csv", imported.source_path);
  file.SetAttribute("/", "schema_path", schema.source_path);
  file.SetAttribute("/", "schema_text", schema.text);
  file.SetAttribute("/", "rows", imported.rows);
  file.SetAttribute("/", "skipped_rows", imported.skipped_rows);
  for (const ImportedColumn& column : imported.columns) {
    const std::string dataset = "/columns/" + column.name;
    switch (column.kind) {
      case ImportFieldKind::kNumber: file.WriteSeries(dataset, column.numbers); break;
      case ImportFieldKind::kLabel: file.WriteSeries(dataset, column.labels); break;
      default: file.WriteSeries(dataset, column.integers); break;
    }
    if (column.kind == ImportFieldKind::kIdentifier) file.WriteStrings("/dictionaries/" + column.name, column.dictionary);
  }
  file.Commit();
}

}  // namespace crsim::data
