// Import of real declaration exports (CSV) into typed columns, driven by a schema file.
//
// The schema (TOML; data/schemas/kcs.toml is the example for the shared Korea Customs Service data)
// maps crsim's declared fields to the file's column names:
//
//   [csv]        delimiter = ","                 one byte
//                date_format = "YYYY-MM-DD"      or "YYYYMMDD", "DD/MM/YYYY"
//   [columns]    <field> = "<CSV column name>"   fields below; date, hs6 and value are required
//   [categories] <name> = "<CSV column name>"    any further categorical columns to keep
//   [labels]     <name> = "<CSV column name>"    0/1 label columns (e.g. fraud = "Fraud")
//
// Fields and how they are stored:
//   identifiers  declaration_id, office, importer, declarant, origin, departure, mode, and every
//                [categories] column: encoded to dense int32 ids in order of first appearance in
//                the file; id 0 is reserved for "unknown" (a category seen only at scoring time)
//                and the dictionary lists the original text of every id.
//   date         int32 days since 1970-01-01.
//   hs6          int32 six-digit code (e.g. 440890); hs_chapter (int32) is derived from it.
//   mass_kg, value, tariff_rate_percent   float64, finite and >= 0.
//   labels       int8, 0 or 1.
//
// Parsing runs over chunks of records in parallel (TBB); chunk results, dictionaries included,
// are merged in file order, so the output is identical for any thread count.
//
// Bad rows (wrong field count, unparsable number or date, empty required field, label not 0/1,
// malformed quoting) stop the import with an InputError naming file, line, column, field and the
// offending text (the first 20 problems, and how many more there are), unless skip_bad_rows is
// set: then they are left out and counted, and the first few are kept for the report.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crsim/data/csv.h"
#include "crsim/data/input_error.h"

namespace crsim::data {

enum class ImportFieldKind { kIdentifier, kDate, kHs6, kNumber, kLabel };

// One schema entry: a CSV column, and where the schema names it (for messages).
struct ColumnMapping {
  std::string csv_column;
  std::int64_t line = 0;
  std::int64_t column = 0;
};

struct ImportSchema {
  std::string source_path;
  std::string text;
  char delimiter = ',';
  std::string date_format = "YYYY-MM-DD";
  std::map<std::string, ColumnMapping> columns;     // crsim field -> CSV column
  std::map<std::string, ColumnMapping> categories;  // extra categorical name -> CSV column
  std::map<std::string, ColumnMapping> labels;      // label name -> CSV column
};

struct ImportField {
  std::string name;
  ImportFieldKind kind;
  bool required;
};

// The crsim fields a [columns] table may map, in output order.
const std::vector<ImportField>& ImportFields();

// Throws InputError (file:line:column and key, with did-you-mean hints) for a bad schema.
ImportSchema LoadImportSchema(const std::filesystem::path& path);
ImportSchema ParseImportSchema(const std::string& text, const std::string& source_path);

struct ImportedColumn {
  std::string name;                 // field, category or label name
  ImportFieldKind kind = ImportFieldKind::kNumber;
  std::vector<std::int32_t> integers;  // identifiers (ids), dates, hs6 codes
  std::vector<double> numbers;         // numeric fields
  std::vector<std::int8_t> labels;     // labels
  std::vector<std::string> dictionary; // identifiers: text of each id; [0] = "<unknown>"
};

struct ImportedDeclarations {
  std::string source_path;
  std::int64_t rows = 0;
  std::int64_t skipped_rows = 0;
  std::vector<InputProblem> skipped_examples;  // the first few skipped rows' problems
  std::vector<ImportedColumn> columns;         // [columns] fields in ImportFields() order, hs_chapter after hs6,
                                               // then [categories], then [labels]

  const ImportedColumn* Find(const std::string& name) const;
};

struct ImportOptions {
  bool skip_bad_rows = false;
  std::size_t chunk_records = 32768;  // records per parallel task; never changes the result
};

ImportedDeclarations ImportDeclarations(const CsvDocument& csv, const ImportSchema& schema,
                                        const ImportOptions& options = {});

// Writes /columns/<name> and /dictionaries/<name> (plus provenance attributes) atomically.
void WriteImportedDeclarations(const std::filesystem::path& path, const ImportedDeclarations& imported,
                               const ImportSchema& schema, const std::string& version);

}  // namespace crsim::data
