#include "crsim/data/declaration_import.h"

#include <toml++/toml.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
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

std::optional<double> ParseNumber(std::string_view text) {
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

// String -> dense id, open addressing with linear probing over a power-of-two table of slots that
// keep the hash, so most probes compare one integer. Keys are views: the caller keeps their text
// alive. (A node-based std::unordered_map spent 30% of an import chasing pointers; see
// bench/RESULTS.md.)
class IdMap {
 public:
  // The id of key, or -1.
  std::int32_t Find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const std::size_t hash = std::hash<std::string_view>{}(key);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return -1;
      if (slot.hash == hash && slot.key == key) return slot.id;
    }
  }

  // The id of key, inserting it with next_id if absent. Returns (id, inserted).
  std::pair<std::int32_t, bool> Insert(std::string_view key, std::int32_t next_id) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    const std::size_t hash = std::hash<std::string_view>{}(key);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.id < 0) {
        slot = Slot{hash, key, next_id};
        ++count_;
        return {next_id, true};
      }
      if (slot.hash == hash && slot.key == key) return {slot.id, false};
    }
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    std::string_view key;
    std::int32_t id = -1;
  };

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
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

void ParseChunk(const CsvDocument& csv, const ImportSchema& schema, const std::vector<ColumnPlan>& plans,
                std::size_t first, std::size_t last, ChunkResult& result) {
  result.columns.resize(plans.size());
  result.local_ids.resize(plans.size());
  result.local_dictionary.resize(plans.size());
  for (std::size_t c = 0; c < plans.size(); ++c) {
    result.columns[c].name = plans[c].name;
    result.columns[c].kind = plans[c].kind;
  }
  std::vector<std::string_view> fields;
  std::string scratch;
  std::vector<std::int32_t> integers(plans.size());
  std::vector<double> numbers(plans.size());
  const std::size_t expected_fields = csv.header().size();
  for (std::size_t record = first; record < last; ++record) {
    CsvDocument::Problem split_problem;
    auto fail = [&](std::int64_t column, const std::string& key, const std::string& message) {
      result.problems.push_back({record, InputProblem{csv.source_name(), csv.line(record), column, key, message}});
    };
    if (!csv.Fields(record, fields, scratch, split_problem)) {
      fail(split_problem.column, "", split_problem.message);
      continue;
    }
    if (fields.size() != expected_fields) {
      fail(1, "", "expected " + std::to_string(expected_fields) + " fields as in the header, found " +
                      std::to_string(fields.size()));
      continue;
    }
    bool good = true;
    for (std::size_t c = 0; c < plans.size() && good; ++c) {
      const ColumnPlan& plan = plans[c];
      const std::string_view text = fields[plan.csv_index];
      const auto problem = [&](const std::string& message) {
        fail(csv.FieldColumn(record, fields, plan.csv_index), plan.name, message);
        good = false;
      };
      if (text.empty() && plan.required) {
        problem("empty, but the field is required");
        break;
      }
      switch (plan.kind) {
        case ImportFieldKind::kIdentifier: {
          std::int32_t id = result.local_ids[c].Find(text);
          if (id < 0) {
            // Unquoted text lives in scratch, which the next record overwrites: keep a copy.
            auto& dictionary = result.local_dictionary[c];
            const bool in_scratch = !scratch.empty() && text.data() >= scratch.data() &&
                                    text.data() < scratch.data() + scratch.size();
            const std::string_view stable = in_scratch ? std::string_view(result.owned.emplace_back(text)) : text;
            id = static_cast<std::int32_t>(dictionary.size());
            result.local_ids[c].Insert(stable, id);
            dictionary.push_back(stable);
          }
          integers[c] = id;
          break;
        }
        case ImportFieldKind::kDate: {
          const auto day = ParseDate(text, schema.date_format);
          if (!day) problem("not a valid date in the format " + schema.date_format + ": " + Excerpt(text));
          else integers[c] = *day;
          break;
        }
        case ImportFieldKind::kHs6: {
          const bool digits = text.size() >= 6 && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
          if (!digits) {
            problem("not an HS code of at least 6 digits: " + Excerpt(text) +
                    (text.size() == 5 ? " (a leading zero lost by a spreadsheet?)" : ""));
          } else {
            integers[c] = (text[0] - '0') * 100000 + (text[1] - '0') * 10000 + (text[2] - '0') * 1000 +
                          (text[3] - '0') * 100 + (text[4] - '0') * 10 + (text[5] - '0');
          }
          break;
        }
        case ImportFieldKind::kNumber: {
          if (text.empty()) {
            numbers[c] = std::nan("");
            break;
          }
          const auto value = ParseNumber(text);
          if (!value || !std::isfinite(*value)) problem("not a number: " + Excerpt(text));
          else if (*value < 0.0) problem("must be >= 0, got " + std::string(text));
          else numbers[c] = *value;
          break;
        }
        case ImportFieldKind::kLabel: {
          if (text != "0" && text != "1") problem("a label must be 0 or 1, got " + Excerpt(text));
          else integers[c] = text == "1" ? 1 : 0;
          break;
        }
      }
    }
    if (!good) continue;
    for (std::size_t c = 0; c < plans.size(); ++c) {
      ImportedColumn& column = result.columns[c];
      switch (plans[c].kind) {
        case ImportFieldKind::kNumber: column.numbers.push_back(numbers[c]); break;
        case ImportFieldKind::kLabel: column.labels.push_back(static_cast<std::int8_t>(integers[c])); break;
        default: column.integers.push_back(integers[c]); break;
      }
    }
    ++result.rows;
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
    std::vector<std::string_view> dictionary = {kUnknownCategory};
    std::vector<std::int32_t> remap;
    for (std::size_t k = 0; k < results.size(); ++k) {
      const auto& local = results[k].local_dictionary[c];
      remap.resize(local.size());
      for (std::size_t id = 0; id < local.size(); ++id) {
        const auto [global_id, inserted] = global.Insert(local[id], static_cast<std::int32_t>(dictionary.size()));
        if (inserted) dictionary.push_back(local[id]);
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
