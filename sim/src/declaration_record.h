// One declaration as the generators write it into a batch's columns (the ordinary stream of
// generator.cc and the e-commerce stream of ecommerce.cc), so that both fill every column alike.
// Internal to crsim::sim. The transport mode is left to the caller (the ordinary stream zeroes it
// per chunk outside calibrated scenarios).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crsim/data/declaration_batch.h"

namespace crsim::sim {

struct DeclarationRecord {
  std::uint32_t trader;
  std::uint16_t office;
  std::uint32_t declared_hs6;
  std::uint8_t declared_chapter;
  std::uint16_t declared_origin;
  float declared_value;
  float declared_quantity;
  float trader_age_days;
  std::uint32_t declarant;
  std::uint16_t departure;
  std::uint8_t fraud_type;
  float true_value;
  std::uint32_t true_hs6;
  float duty_evaded;
  float true_quantity;
  std::uint16_t true_origin;
  float severity;
};

// Writes record as row `row` of day `day` (declaration id (day << 32) | row); unit value =
// declared value / declared quantity.
inline void StoreRecord(std::int64_t day, std::size_t row, const DeclarationRecord& record,
                        data::DeclaredColumns& declared, data::TruthColumns& truth) {
  declared.declaration_id[row] = (static_cast<std::uint64_t>(day) << 32) | static_cast<std::uint32_t>(row);
  declared.trader[row] = record.trader;
  declared.office[row] = record.office;
  declared.hs6[row] = record.declared_hs6;
  declared.hs_chapter[row] = record.declared_chapter;
  declared.origin[row] = record.declared_origin;
  declared.declared_value[row] = record.declared_value;
  declared.declared_quantity[row] = record.declared_quantity;
  declared.unit_value[row] = record.declared_value / record.declared_quantity;
  declared.trader_age_days[row] = record.trader_age_days;
  declared.declarant[row] = record.declarant;
  declared.departure[row] = record.departure;
  truth.fraud_type[row] = record.fraud_type;
  truth.true_value[row] = record.true_value;
  truth.true_hs6[row] = record.true_hs6;
  truth.duty_evaded[row] = record.duty_evaded;
  truth.true_quantity[row] = record.true_quantity;
  truth.true_origin[row] = record.true_origin;
  truth.severity[row] = record.severity;
}

}  // namespace crsim::sim
