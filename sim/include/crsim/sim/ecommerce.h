// The e-commerce (low-value consignment) arrival stream of [arrivals.ecommerce].
//
// What it models: parcels bought online and declared one by one with the reduced data set of
// low-value consignments (the EU's H7 declaration): many consignees (mostly private persons, each
// buying now and then), a few intermediaries that lodge the declarations (platforms, express
// couriers, postal operators), a few express and postal hubs, values concentrated below the duty
// relief threshold, goods from consumer chapters, origins dominated by a few countries. Sellers
// are not modelled as traders: a consignment's fraud is the seller's, at a rate of the stream.
//
// The parties (world): AppendEcommerceParties appends the consignees to world.traders after the
// ordinary traders (indices world.ordinary_traders ..; volume weight 0, so the ordinary stream never
// picks them; not fraud-prone, not AEO; a home administration by trade_share and its first office;
// a registration day uniform in [-traders.max_age_days, -1] from (kWorld, kEcommerceEntity, k, 0);
// the portfolio of code 0 and origin 0, unused) and the intermediaries to the declarants after the
// ordinary ones (world.ecommerce_first_declarant ..). Without the stream the world is unchanged.
//
// The declarations (generator): on day d the stream has Poisson(declarations_per_day) records,
// drawn from (kArrivals, d, 1); they follow the ordinary records in the day's batch (rows
// ordinary_count + j, declaration_id (d << 32) | row). Record j draws from Philox blocks at
// (kEcommerce, d, j, b):
//   block 0: consignee (uniform, word 0), intermediary (alias by Zipf weight, words 1-2), indirect
//            route or not (word 3, probability arrivals.indirect_route_share);
//   block 1: HS code (alias over the codes of the stream's chapters, words 0-1), office (alias, words 2-3);
//   block 2: origin (alias, words 0-1), hub country of an indirect route (alias, words 2-3);
//   block 3: two normals (log value, log unit price; words 0-1), fraud attempt (word 2), typology (word 3);
//   block 4: only for an attempt: its magnitude (word 0: share of the threshold, or severity).
// The true value is e^(value_log_mean + value_log_sd z1); the unit price is the code's catalogue
// log-normal (e^(log_price_mean + log_price_sd z2)); the quantity is value / unit price, so the unit
// values of the stream are those of the catalogue. Every record's numbers depend only on (seed,
// replication, d, j): the stream is bit-identical for every thread count and chunk size, and it does
// not change a single draw of the ordinary stream (whose counters are (kGenerate, d, i)).
//
// Fraud (truth columns as in the ordinary stream, docs/fraud.md). An attempt (probability
// fraud_rate) is prohibited goods with probability w_p / (w_u + w_p + w_s) (the weights of the
// enabled [fraud.prohibited_goods], [fraud.undervaluation], [fraud.low_value_splitting]), else
// undervaluation or low-value splitting by their weights among those available: both need a
// consignment that owes duty (true value at or above the relief threshold); undervaluation needs an
// ad valorem tariff, splitting some duty. Undervaluation here is the stream's typical revenue fraud:
// the declared value is put below the threshold, threshold x U(value_share_min, value_share_max) of
// [fraud.low_value_splitting], the quantity unchanged (so the unit value falls); splitting declares
// the same value with the quantity scaled alike (unit value unchanged). An attempt with no typology
// available is no fraud. Misclassification, origin and quantity misdeclaration do not occur in the
// stream.
//
// Cost: O(1) per record (four Philox blocks, five for an attempt; four alias draws; one read of
// the consignee's registration day), in the generator's parallel chunks after the ordinary ones.
// Limits (validated in scenario.cc): consignees <= 1e7, intermediaries <= 10 000, every listed
// chapter has codes in the catalogue. Metrics tell the stream's declarations by their declarant
// (ids from traders.declarants on: DayMetrics::ecommerce, docs/metrics.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

// Appends the stream's consignees (traders) and intermediaries (declarants) to a built world;
// does nothing when arrivals.ecommerce.declarations_per_day is 0.
void AppendEcommerceParties(const ScenarioSpec& spec, const CounterRandom& random, World& world);

// The HS chapters the stream draws from: hs_chapters, or the default consumer chapters present in
// the catalogue (all codes' chapters when none of them is).
std::vector<std::int64_t> EcommerceChapters(const EcommerceSpec& spec, const Catalogue& catalogue);

class EcommerceStream {
 public:
  // hub_table / hub_country: the ordinary stream's hub countries of indirect routes (hub_country
  // empty = the table's index is the country index). Both must outlive the stream.
  EcommerceStream(const World& world, const ScenarioSpec& spec, const CounterRandom& random,
                  const AliasTable& hub_table, const std::vector<std::uint16_t>& hub_country);

  // Number of the stream's declarations on day d (0 when off, with no draw).
  std::uint64_t Count(std::int64_t day) const;

  // Fills rows first_row + j for j in [begin, end) with records j of day d.
  void Fill(std::int64_t day, std::size_t first_row, std::size_t begin, std::size_t end,
            data::DeclaredColumns& declared, data::TruthColumns& truth) const;

 private:
  const World& world_;
  const EcommerceSpec& spec_;
  const CounterRandom& random_;
  const AliasTable& hub_table_;
  const std::vector<std::uint16_t>& hub_country_;
  double indirect_route_share_ = 0.0;
  AliasTable code_table_;                 // over code_
  std::vector<std::uint32_t> code_;       // catalogue index of each code the stream draws from
  AliasTable office_table_;               // over office_
  std::vector<std::uint16_t> office_;     // global office index
  AliasTable origin_table_;               // over origin_
  std::vector<std::uint16_t> origin_;     // country index
  AliasTable intermediary_table_;         // declarant = first_declarant_ + draw
  std::uint32_t first_consignee_ = 0;
  std::uint32_t consignees_ = 0;
  std::uint32_t first_declarant_ = 0;
  float value_log_mean_ = 0.0f, value_log_sd_ = 0.0f;
  float fraud_rate_ = 0.0f;
  float prohibited_share_ = 0.0f;         // of attempts
  float undervaluation_weight_ = 0.0f, splitting_weight_ = 0.0f;
  float relief_threshold_ = 0.0f, value_share_min_ = 0.0f, value_share_span_ = 0.0f;
  float severity_min_ = 0.0f, severity_span_ = 0.0f;
};

}  // namespace crsim::sim
