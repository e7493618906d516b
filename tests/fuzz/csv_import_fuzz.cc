// libFuzzer target: arbitrary bytes as a CSV export, imported with a fixed schema. Any input must
// either import or raise crsim::InputError; a crash, hang or sanitizer report is a bug.
//   make fuzz            (bounded run, as in CI)
//   build/fuzz/tests/fuzz/csv_import_fuzz tests/fuzz/corpus      (open-ended)
#include <cstddef>
#include <cstdint>
#include <string>

#include "crsim/data/csv.h"
#include "crsim/data/declaration_import.h"
#include "crsim/data/input_error.h"

namespace {

const crsim::data::ImportSchema& Schema() {
  static const crsim::data::ImportSchema schema = crsim::data::ParseImportSchema(R"([columns]
date = "Date"
hs6 = "HS"
value = "Price"
mass_kg = "Mass"
office = "Office"
[categories]
payment = "Pay"
[labels]
fraud = "Fraud"
)",
                                                                                    "fuzz-schema.toml");
  return schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const crsim::data::CsvDocument csv =
        crsim::data::CsvDocument::FromText(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    crsim::data::ImportOptions options;
    options.skip_bad_rows = (size % 2) == 1;  // exercise both paths
    options.chunk_records = 3;                // several chunks even for small inputs
    const crsim::data::ImportedDeclarations imported = crsim::data::ImportDeclarations(csv, Schema(), options);
    // Every column has one value per imported row.
    for (const auto& column : imported.columns) {
      const std::size_t values = column.integers.size() + column.numbers.size() + column.labels.size();
      if (values != static_cast<std::size_t>(imported.rows)) __builtin_trap();
    }
  } catch (const crsim::InputError&) {
  }
  return 0;
}
