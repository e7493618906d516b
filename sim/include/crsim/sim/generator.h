// Generator: the day's customs declarations, with injected fraud and its ground truth.
//
// Per day d: the number of declarations is Poisson(arrivals.declarations_per_day), drawn from the
// kArrivals stream at (d). Record i of day d then draws everything it needs from three Philox blocks
// at (kGenerate, d, i, 0..2), whatever branch it takes:
//   block 0: trader (alias table over the volumes of traders registered by day d), portfolio HS6
//            slot, portfolio origin slot;
//   block 1: office (home office with probability home_office_share, else uniform in the trader's
//            administration), two normals for log quantity and log unit price;
//   block 2: fraud or not (rate by compliance profile), typology among those available for the
//            code (weights renormalised), undervaluation factor, misclassification target.
// Records are filled in parallel chunks of chunk_size rows; because each record's numbers depend
// only on (seed, d, i), the batch is bit-identical for every thread count and chunk size.
// Within a chunk, records go in tiles of 32 in three passes (draw the trader bucket, resolve the
// trader, fill the record), prefetching the alias entry and the trader's data one pass ahead: the
// generator is otherwise bound by cache misses on the trader tables (measured: 38% of its cycles
// stalled on two loads before tiling; see bench/RESULTS.md for the throughput).
//
// Fraud typologies (the truth columns say which one, if any, each declaration carries):
//   undervaluation     declared value = true value x U(factor_min, factor_max);
//                      duty evaded = tariff x (true value - declared value).
//                      Unavailable for a code with a zero tariff (nothing to evade).
//   misclassification  declared HS6 = a uniformly chosen lower-tariff code of the same heading (else
//                      chapter); duty evaded = true value x (true tariff - declared tariff).
//                      Unavailable for a code that has the lowest tariff of its chapter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

class Generator {
 public:
  Generator(const World& world, const ScenarioSpec& spec, std::uint32_t replication = 0);

  // Number of declarations lodged on day d.
  std::uint64_t DeclarationCount(std::int64_t day) const;

  // Fills batch with day d's declarations, chunk_size rows per parallel task.
  void GenerateDay(std::int64_t day, data::DeclarationBatch& batch, std::size_t chunk_size);

  // Fills batch with records 0..count-1 of day d, whatever the day's Poisson count (benchmarks
  // use it to make an exact number of rows).
  void GenerateRows(std::int64_t day, std::size_t count, data::DeclarationBatch& batch, std::size_t chunk_size);

 private:
  void FillRows(std::int64_t day, std::size_t begin, std::size_t end, data::DeclarationBatch& batch) const;
  void FillRecord(std::int64_t day, std::size_t row, std::uint32_t trader, const RandomBlock& pick,
                  data::DeclaredColumns& declared, data::TruthColumns& truth) const;
  void RefreshTraderTable(std::int64_t day);

  // The per-trader attributes a record reads, packed so that one cache line serves a record.
  struct TraderAttributes {
    float log_quantity_mean;
    std::int32_t registration_day;
    std::uint32_t administration;
    std::uint16_t home_office;
    std::uint8_t fraud_prone;
  };

  const World& world_;
  const ScenarioSpec& spec_;
  CounterRandom random_;
  std::vector<TraderAttributes> trader_attributes_;
  AliasTable trader_table_;
  std::int64_t trader_table_day_ = -1;
  float undervaluation_weight_ = 0.0f;
  float misclassification_weight_ = 0.0f;
};

}  // namespace crsim::sim
