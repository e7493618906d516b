// Generator: the day's customs declarations, with injected fraud and its ground truth.
//
// Per day d: the number of declarations is Poisson(arrivals.declarations_per_day), drawn from the
// kArrivals stream at (d). Record i of day d then draws everything it needs from four Philox blocks
// at (kGenerate, d, i, 0..3), whatever branch it takes:
//   block 0: trader (alias table over the volumes of traders registered by day d), portfolio HS6
//            slot, portfolio origin slot;
//   block 1: office (home office with probability home_office_share, else uniform in the trader's
//            administration), two normals for log quantity and log unit price;
//   block 2: fraud or not (rate by compliance profile), typology among those available for the
//            record (weights renormalised), the typology's magnitude (undervaluation or quantity
//            factor, severity, share of the relief threshold), its target (misclassification code,
//            transit country);
//   block 3: indirect route or not, the hub country (alias over trade weights), whether a
//            transshipment's route reveals its true origin;
//   block 4: only for a fraud attempt of a fraud-prone trader when fraud.adaptation is on: the
//            softmax picks of the office and of the portfolio slot (AdaptiveFraudsters::Choose),
//            with understatement_levels > 1 that of an undervaluation's level (word 2), and with
//            choose_route that of a transshipment's route (word 3);
//   block 5: only when arrivals.transport_modes or some administration's office_weights are given
//            (calibrated scenarios): the transport mode (alias over its weights), and the office of a
//            declaration lodged away from the home office (alias over the office weights).
// Declarant: the trader's (world.traders.declarant), no draw. Phoenix identities ([fraud.phoenix])
// are picked like any trader while they are their firm's current identity; their age comes from
// PhoenixFirms, their attempts from block 2 word 0 at fraud.phoenix.fraud_rate, and a fraud of
// theirs carries kFraudPhoenix on top of its typology bit. A ring member ([fraud.rings]) attempts at
// fraud.rings.fraud_rate, lodges through its ring's declarant when block 7 word 0 falls below
// fraud.rings.declarant_share (its own otherwise), and a fraud of its carries kFraudRing.
//   block 7: only for a ring member's record: word 0, the declarant.
//   block 6: only for a code whose chapter has catalogue.chapter_origins: the origin (alias over the
//            chapter's origin weights), replacing the trader's portfolio origin.
// With an explicit catalogue (catalogue.codes) the log quantity is the code's log-normal
// (log_quantity_mean + log_quantity_sd x normal) instead of the trader's, with the same normal.
// With adaptation, the attempt (block 2, word 0) is decided first; the trader then moves it to the
// office and HS code its beliefs prefer, or is deterred and declares honestly where the consignment
// would have gone. Every other draw keeps its counter, so the parts of a batch that do not depend
// on beliefs are the same for every strategy (common random numbers).
// E-commerce stream ([arrivals.ecommerce], crsim/sim/ecommerce.h): its records follow the ordinary
// ones in the batch, drawn from their own counters (kEcommerce, d, j, block), so turning it on or
// changing its rate changes no ordinary record.
// Records are filled in parallel chunks of chunk_size rows; because each record's numbers depend
// only on (seed, d, i), the batch is bit-identical for every thread count and chunk size.
// Within a chunk, records go in tiles of 32 in three passes (draw the trader bucket, resolve the
// trader, fill the record), prefetching the alias entry and the trader's data one pass ahead: the
// generator is otherwise bound by cache misses on the trader tables (measured: 38% of its cycles
// stalled on two loads before tiling; see bench/RESULTS.md for the throughput).
//
// Fraud typologies (docs/fraud.md; the truth's fraud_type bit says which one, if any, each
// declaration carries). Duty evaded = DutyOwed(truth) - DutyOwed(as declared) for every typology.
// All but prohibited goods need a consignment that owes duty (value at or above the relief threshold).
//   undervaluation     declared value = true value x U(factor_min, factor_max). Needs an ad valorem tariff.
//   misclassification  declared HS6 = a uniformly chosen lower-tariff code (no higher specific duty)
//                      of the same heading, else chapter. Needs such a code.
//   origin             declared origin = a transit country without the additional duty of the true
//                      (chapter, origin); the departure country is the true origin with
//                      route_reveal_probability. Needs an additional duty on the pair.
//   quantity           declared quantity = true quantity x U(factor_min, factor_max), value unchanged.
//                      Needs a specific duty on the code.
//   prohibited goods   nothing declared changes; the truth gets severity ~ U(severity_min, severity_max);
//                      no duty evaded. A fixed share of attempts: its weight / the sum of enabled
//                      weights, whatever the good (the others are renormalised among the available).
//   low-value split    declared value = threshold x U(value_share_min, value_share_max), declared
//                      quantity scaled alike (same unit value). Needs a relief threshold.
// Every record's departure country is its declared origin, or with indirect_route_share a hub
// country drawn by trade weight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/adaptation.h"
#include "crsim/sim/ecommerce.h"
#include "crsim/sim/phoenix.h"
#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

class Generator {
 public:
  Generator(const World& world, const ScenarioSpec& spec, std::uint32_t replication = 0);
  // Its e-commerce stream refers to its own random generator and hub table: not copied, not moved.
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Number of declarations lodged on day d: the ordinary ones and the e-commerce stream's.
  std::uint64_t DeclarationCount(std::int64_t day) const;
  // Number of ordinary declarations on day d (without the e-commerce stream).
  std::uint64_t OrdinaryCount(std::int64_t day) const;

  // Fills batch with day d's declarations, chunk_size rows per parallel task. With fraudsters
  // (adaptation on), fraud-prone traders choose where to cheat from its beliefs, read only.
  // With [fraud.phoenix], phoenix says which identity each shell firm trades under (it is moved
  // to day d first); without one the generator uses its own, in which identities only expire.
  void GenerateDay(std::int64_t day, data::DeclarationBatch& batch, std::size_t chunk_size,
                   const AdaptiveFraudsters* fraudsters = nullptr, PhoenixFirms* phoenix = nullptr);

  // Fills batch with ordinary records 0..count-1 of day d, whatever the day's Poisson count
  // (benchmarks use it to make an exact number of rows), then e-commerce records 0..ecommerce_count-1
  // in rows count.. (needs [arrivals.ecommerce] on when ecommerce_count > 0).
  void GenerateRows(std::int64_t day, std::size_t count, data::DeclarationBatch& batch, std::size_t chunk_size,
                    const AdaptiveFraudsters* fraudsters = nullptr, PhoenixFirms* phoenix = nullptr,
                    std::size_t ecommerce_count = 0);

  // Rows of the last generated batch that are the e-commerce stream's: its last rows, from
  // batch.size() - last_day_ecommerce().
  std::size_t last_day_ecommerce() const { return last_day_ecommerce_; }

  // Fraud attempts given up by deterrence in the last generated day (0 without fraudsters).
  std::uint64_t last_day_deterred() const { return last_day_deterred_; }

 private:
  // Both return the number of deterred attempts.
  std::uint64_t FillRows(std::int64_t day, std::size_t begin, std::size_t end, data::DeclarationBatch& batch,
                         const AdaptiveFraudsters* fraudsters) const;
  bool FillRecord(std::int64_t day, std::size_t row, std::uint32_t trader, const RandomBlock& pick,
                  data::DeclaredColumns& declared, data::TruthColumns& truth,
                  const AdaptiveFraudsters* fraudsters) const;
  void RefreshTraderTable(std::int64_t day);
  // Traders of the ordinary stream: all but the e-commerce consignees (crsim/sim/ecommerce.h).
  static std::size_t OrdinaryTraderCount(const World& world, const ScenarioSpec& spec);
  // The trader table of day d with the phoenix firms' current identities (rebuilt on every call:
  // the identities depend on the strategy's detections).
  void BuildPhoenixTraderTable(std::int64_t day, const PhoenixFirms& phoenix);
  // Calibrated-scenario draws, out of line so that the synthetic path stays compact (perf gate):
  // the office of a declaration lodged away from home by office_weights (block 5), and the code's
  // quantity, the chapter's origin (block 6) and the transport mode (block 5).
  // An adaptive undervaluation's position in the factor range (0..1) at the level its beliefs pick
  // (block 4 word 2), or -1 when deterred.
  [[gnu::noinline]] float ChooseUnderstatement(const AdaptiveFraudsters& fraudsters, std::uint32_t trader,
                                               std::uint16_t office, std::uint32_t slot, float magnitude,
                                               std::uint32_t word) const;
  // An adaptive transshipment's declared route (block 4 word 3): 0 direct, 1 via a hub, -1 deterred;
  // the route it drew (block 3 word 0) is the usual one.
  [[gnu::noinline]] int ChooseRoute(const AdaptiveFraudsters& fraudsters, std::uint32_t trader, std::uint16_t office,
                                    std::uint32_t slot, std::uint32_t indirect_word, std::uint32_t word) const;
  // A phoenix identity's registration day and fraud rate, a ring member's fraud rate and declarant
  // (block 7), out of line for the same reason.
  [[gnu::noinline]] void ApplyActor(std::uint32_t day_word, std::uint32_t record, std::uint32_t trader, std::uint8_t actor,
                                    std::int32_t& registration_day, double& fraud_rate, std::uint32_t& declarant) const;
  [[gnu::noinline]] std::uint32_t WeightedOffice(std::uint32_t administration, std::uint32_t uniform_word,
                                                 std::uint32_t day_word, std::uint32_t record) const;
  [[gnu::noinline]] void DrawCalibrated(std::uint32_t day_word, std::uint32_t record, std::uint32_t true_hs6,
                                        float normal, float& log_quantity, std::uint16_t& origin,
                                        std::uint16_t& transport_mode) const;

  // The per-trader attributes a record reads, packed so that one cache line serves a record.
  // 16 bytes, four to a cache line (declarants <= 65535 and administrations <= 65535 by validation).
  struct TraderAttributes {
    float log_quantity_mean;
    std::int32_t registration_day;
    std::uint16_t administration;
    std::uint16_t home_office;
    std::uint16_t declarant;
    std::uint8_t fraud_prone;
    std::uint8_t actor;  // actor bits (data::kFraudActorMask): kFraudPhoenix for a phoenix identity (age and
                         // fraud rate from [fraud.phoenix]), kFraudRing for a ring member ([fraud.rings])
  };
  static_assert(sizeof(TraderAttributes) == 16);

  const World& world_;
  const ScenarioSpec& spec_;
  CounterRandom random_;
  std::vector<TraderAttributes> trader_attributes_;
  AliasTable trader_table_;
  std::int64_t trader_table_day_ = -1;
  std::uint64_t last_day_deterred_ = 0;
  AliasTable country_table_;  // hub countries of indirect routes, by trade weight or arrivals.hub_weights
  std::vector<std::uint16_t> hub_country_;  // country index of each hub (arrivals.hub_countries); empty = identity
  AliasTable transport_mode_table_;         // arrivals.transport_mode_weights; empty = no mode declared
  bool office_weighted_ = false;            // some administration has office_weights
  bool calibrated_ = false;                 // transport modes, an explicit catalogue or chapter origins
  float typology_weight_[data::kNumSchemeTypes] = {};  // 0 when disabled; indexed by FraudTypeBit position
  float undervaluation_factor_min_ = 0.0f, undervaluation_factor_span_ = 0.0f;
  float quantity_factor_min_ = 0.0f, quantity_factor_span_ = 0.0f;
  float severity_min_ = 0.0f, severity_span_ = 0.0f;
  float relief_threshold_ = 0.0f, value_share_min_ = 0.0f, value_share_span_ = 0.0f;
  float route_reveal_probability_ = 0.0f;
  float prohibited_share_ = 0.0f;  // share of fraud attempts that are prohibited goods
  std::unique_ptr<PhoenixFirms> own_phoenix_;  // [fraud.phoenix] without feedback (no strategy's)
  const PhoenixFirms* phoenix_ = nullptr;      // the firms of the batch being generated, else null
  std::size_t ordinary_traders_ = 0;
  EcommerceStream ecommerce_;                  // [arrivals.ecommerce]; Count() is 0 when off
  std::size_t last_day_ecommerce_ = 0;
};

}  // namespace crsim::sim
