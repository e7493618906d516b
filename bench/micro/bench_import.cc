// Micro-benchmark of CSV import: bytes of CSV per second, from the file to typed columns.
//   BM_CsvImport/threads:T/rows:N   KCS-shaped rows (22 columns, about 110 bytes each), T threads
// The CSV is generated once per size into the temporary directory (deterministically), outside the
// timing loop; each iteration reads it (from the page cache), indexes its records and parses them
// into columns with data/schemas/kcs.toml, as `crsim import` does.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "crsim/data/csv.h"
#include "crsim/data/declaration_import.h"

namespace crsim::data {
namespace {

std::filesystem::path KcsShapedCsv(std::int64_t rows) {
  static std::map<std::int64_t, std::filesystem::path> cache;
  if (auto it = cache.find(rows); it != cache.end()) return it->second;
  const auto path = std::filesystem::temp_directory_path() / ("crsim-bench-import-" + std::to_string(rows) + ".csv");
  std::ofstream out(path);
  out << "Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,"
         "Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,"
         "Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud\n";
  std::uint64_t state = 88172645463325252ull;
  auto next = [&state]() {  // xorshift64: fixed data, not statistics
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char* countries[] = {"CN", "US", "JP", "DE", "VN", "KR", "BE", "IT", "FR", "TH"};
  std::string line;
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::uint64_t r = next();
    line = std::to_string(10000000 + i) + ",2020-" + (r % 12 < 9 ? "0" : "") + std::to_string(r % 12 + 1) + "-" +
           (r % 28 < 9 ? "0" : "") + std::to_string(r % 28 + 1) + "," + std::to_string(10 * (r % 42)) + ",B,11,21,11," +
           std::to_string(10 * (r % 6)) + ",D" + std::to_string(r % 1220) + ",I" + std::to_string(r % 12720) +
           ",S" + std::to_string(r % 10537) + ",," + std::to_string(100000 + r % 900000) + "," +
           countries[r % 10] + "," + countries[(r >> 8) % 10] + "," + std::to_string(r % 13) + ".0,A,Y," +
           std::to_string(r % 100000) + ".5," + std::to_string(r % 9999991) + ".25," + ((r >> 20) % 5 == 0 ? "1" : "0") +
           ",0\n";
    out << line;
  }
  cache[rows] = path;
  return path;
}

void BM_CsvImport(benchmark::State& state, int threads) {
  const std::filesystem::path csv_path = KcsShapedCsv(state.range(0));
  const ImportSchema schema = LoadImportSchema(std::string(CRSIM_SOURCE_DIR) + "/data/schemas/kcs.toml");
  tbb::task_arena arena(threads);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    arena.execute([&] {
      const CsvDocument csv = CsvDocument::Load(csv_path, schema.delimiter);
      const ImportedDeclarations imported = ImportDeclarations(csv, schema);
      bytes += static_cast<std::int64_t>(csv.byte_size());
      benchmark::DoNotOptimize(imported.rows);
    });
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.range(0) * state.iterations());
}

BENCHMARK_CAPTURE(BM_CsvImport, threads1, 1)
    ->Name("BM_CsvImport/threads:1")->ArgName("rows")->RangeMultiplier(16)->Range(1 << 10, 1 << 20)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_CsvImport, threads2, 2)
    ->Name("BM_CsvImport/threads:2")->ArgName("rows")->RangeMultiplier(16)->Range(1 << 10, 1 << 20)
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace crsim::data
