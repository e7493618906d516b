// World: everything that stays fixed during a run, built deterministically from the scenario.
//
//   Catalogue       HS6 codes grouped into real HS chapters and headings, each with an ad valorem
//                   tariff, for some a specific (per-unit) duty, and a reference log-normal unit-price
//                   distribution (world truth, which the risk engine never reads), plus for each code
//                   the lower-duty codes a fraudster could declare it as.
//   Duties          additional (anti-dumping) duties on (chapter, origin) pairs and the duty relief
//                   threshold; DutyOwed is the one definition of duty every typology's evasion uses.
//   Countries       ISO codes with trade weights.
//   Offices         every customs office of every administration, with its daily inspection capacity.
//   Traders         Zipf-like volumes, a portfolio of HS6 codes and origins, a home office, a
//                   registration day, a compliance profile (honest or fraud-prone) and an AEO status;
//                   phoenix identities and fraud rings when the scenario has them.
//
// Everything is drawn from the kWorld stream, so the world depends only on the scenario and seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crsim/sim/random.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

// The 96 real HS chapter numbers, 01..97 without the reserved 77.
const std::vector<std::uint8_t>& RealHsChapters();

// The HS chapter of chapter slot k (0..chapters-1) of a synthetic catalogue of `chapters` chapters:
// the slots are spread evenly over the real chapters (chapters = 20 gives 01, 06, 11, ..., 97).
std::uint8_t SyntheticCatalogueChapter(std::size_t k, std::size_t chapters);

// Walker/Vose alias table: draws index i with probability weight[i] / sum(weight) from two words.
// Each bucket's threshold and alias share one 8-byte entry, so a draw touches one cache line.
class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(const std::vector<double>& weights);

  std::uint32_t Bucket(std::uint32_t bucket_word) const {
    return UniformIndex(bucket_word, static_cast<std::uint32_t>(entries_.size()));
  }
  std::uint32_t Resolve(std::uint32_t bucket, std::uint32_t coin_word) const {
    const Entry& entry = entries_[bucket];
    return UniformFloat(coin_word) < entry.threshold ? bucket : entry.alias;
  }
  std::uint32_t Sample(std::uint32_t bucket_word, std::uint32_t coin_word) const {
    return Resolve(Bucket(bucket_word), coin_word);
  }
  const void* EntryAddress(std::uint32_t bucket) const { return &entries_[bucket]; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    float threshold;     // keep the bucket itself when the coin falls below this
    std::uint32_t alias; // else take this index
  };
  std::vector<Entry> entries_;
};

struct Catalogue {
  std::vector<std::uint32_t> hs6_code;        // e.g. 610910
  std::vector<std::uint8_t> chapter;          // 1..97
  std::vector<std::uint32_t> heading;         // HS4, e.g. 6109
  std::vector<float> tariff_rate;             // fraction of customs value
  std::vector<float> log_price_mean;          // mean of log(EUR per unit)
  std::vector<float> log_price_sd;            // sd of log(EUR per unit)
  std::vector<float> specific_duty;           // EUR per unit on top of the ad valorem duty; 0 for most codes
  // Explicit catalogues only (catalogue.codes; empty otherwise): popularity and quantity log-normal.
  std::vector<double> weight;                 // relative popularity of the code in trader portfolios
  std::vector<float> log_quantity_mean;       // mean of log(quantity) of a consignment
  std::vector<float> log_quantity_sd;         // sd of log(quantity)
  // Lower-tariff alternatives of code h (same heading, else same chapter), in CSR form:
  // misclassification_targets[misclassification_offsets[h] .. misclassification_offsets[h+1]).
  std::vector<std::uint32_t> misclassification_offsets;
  std::vector<std::uint32_t> misclassification_targets;

  std::size_t size() const { return hs6_code.size(); }
  bool is_explicit() const { return !weight.empty(); }
};

struct Office {
  std::string name;                 // "<administration>-<k>"
  std::uint32_t administration = 0;
  std::uint32_t inspection_capacity = 0;   // physical inspections (red) per day
  std::uint32_t documentary_capacity = 0;  // documentary checks (yellow) per day
  std::uint32_t audit_capacity = 0;        // post-clearance audits started (blue) per day
  std::string label;                       // the real office code (administrations.office_labels), else the name
};

struct Traders {
  std::vector<double> volume_weight;          // relative declaration volume (Zipf-like)
  std::vector<std::uint8_t> fraud_prone;      // 1 = fraud-prone profile
  std::vector<std::uint8_t> aeo;              // 1 = authorised economic operator (public status, not truth)
  std::vector<std::uint16_t> home_office;     // global office index
  std::vector<std::uint32_t> administration;  // index of the home administration
  std::vector<std::int32_t> registration_day; // negative = registered before the run
  std::vector<float> log_quantity_mean;       // typical consignment size, log(units)
  // Portfolios, fixed width: hs6 of trader t = portfolio_hs6[t * portfolio_hs6_width + j].
  std::uint32_t portfolio_hs6_width = 0;
  std::vector<std::uint32_t> portfolio_hs6;
  std::uint32_t portfolio_origin_width = 0;
  std::vector<std::uint16_t> portfolio_origin;
  std::vector<std::uint32_t> declarant;       // the customs broker who lodges its declarations
  // Phoenix identities ([fraud.phoenix]; empty when off): the firm of trader t, -1 for an ordinary
  // trader. An identity's registration_day is only a placeholder (INT32_MAX): it becomes known when
  // its firm starts using it (crsim/sim/phoenix.h).
  std::vector<std::int32_t> phoenix_firm;
  // Fraud rings ([fraud.rings]; empty when off): the ring of trader t, -1 for a trader in none.
  std::vector<std::int32_t> ring;

  std::size_t size() const { return volume_weight.size(); }
};

// Shell firms of [fraud.phoenix] (empty when off). Identity k of firm f is trader
// identity[f * identities_per_firm + k]; it was registered shelf_days[...] days before its first
// day of trade. The identities are interleaved with the ordinary traders at random places, so a
// trader index says nothing about being one.
struct PhoenixFirmsLayout {
  std::uint32_t firms = 0;
  std::uint32_t identities_per_firm = 0;
  std::vector<std::uint32_t> identity;
  std::vector<std::int32_t> shelf_days;
  std::vector<std::uint32_t> complicit_declarant;  // fraud.phoenix.complicit_declarants of them
};

// Fraud rings of [fraud.rings] (empty when off): the members of ring r are
// member[member_offsets[r] .. member_offsets[r + 1]) (fraud-prone ordinary traders, each in one ring
// at most), and declarant[r] is its complicit declarant.
struct RingsLayout {
  std::vector<std::uint32_t> member_offsets;
  std::vector<std::uint32_t> member;
  std::vector<std::uint32_t> declarant;

  std::uint32_t rings() const { return static_cast<std::uint32_t>(declarant.size()); }
};

// An additional duty on goods of one chapter from one origin, and the transit countries a fraudster
// could declare instead (those of the scenario's transit list with a lower additional duty on the
// chapter): transit_countries[transit_begin .. transit_end).
struct AdditionalDuty {
  std::uint16_t origin = 0;
  float rate = 0.0f;  // fraction of customs value
  std::uint32_t transit_begin = 0;
  std::uint32_t transit_end = 0;
};

struct Duties {
  // Entries of HS chapter c (1..97): entries[chapter_offsets[c] .. chapter_offsets[c+1]), by origin.
  std::vector<std::uint32_t> chapter_offsets;
  std::vector<AdditionalDuty> entries;
  std::vector<std::uint16_t> transit_countries;
  double relief_threshold_eur = 0.0;  // declared value below this owes no duty (0 = no relief)

  // The additional duty on goods of `chapter` from `origin`, or nullptr when none applies.
  const AdditionalDuty* Find(std::uint8_t chapter, std::uint16_t origin) const {
    for (std::uint32_t e = chapter_offsets[chapter]; e < chapter_offsets[chapter + 1u]; ++e) {
      if (entries[e].origin == origin) return &entries[e];
    }
    return nullptr;
  }
  float AdditionalRate(std::uint8_t chapter, std::uint16_t origin) const {
    const AdditionalDuty* duty = Find(chapter, origin);
    return duty == nullptr ? 0.0f : duty->rate;
  }
};

struct World {
  Catalogue catalogue;
  Duties duties;
  std::vector<std::string> country_iso;
  std::vector<double> country_weight;  // normalised to sum 1
  std::vector<std::string> administration_name;
  std::vector<Office> offices;
  // offices of administration a: [administration_first_office[a], administration_first_office[a+1])
  std::vector<std::uint32_t> administration_first_office;
  Traders traders;
  std::uint32_t declarants = 0;  // traders.declarants: declarant ids are 0 .. declarants-1
  // [arrivals.ecommerce] (crsim/sim/ecommerce.h): traders ordinary_traders .. are the stream's
  // consignees and declarants ecommerce_first_declarant .. its intermediaries (none when it is off).
  std::uint32_t ordinary_traders = 0;
  std::uint32_t ecommerce_first_declarant = 0;
  PhoenixFirmsLayout phoenix;
  RingsLayout rings;
  // Per administration: alias table over its offices' office_weights (empty table = equal weights).
  std::vector<AliasTable> administration_office_table;
  // Per HS chapter (index 0..97): alias table over catalogue.chapter_origins' weights and the country
  // index of each entry; an empty table = origins from the trader's portfolio.
  std::vector<AliasTable> chapter_origin_table;
  std::vector<std::vector<std::uint16_t>> chapter_origin_country;
};

World BuildWorld(const ScenarioSpec& spec, std::uint32_t replication = 0);

// Customs duty owed, in EUR, on a consignment of code hs6 from origin with this customs value and
// quantity: (ad valorem tariff + additional duty of (chapter, origin)) x value + specific duty x
// quantity, or 0 when the value is below the relief threshold. Every typology's duty evaded is
// DutyOwed(truth) - DutyOwed(as declared).
double DutyOwed(const World& world, std::uint32_t hs6, std::uint16_t origin, double value, double quantity);



}  // namespace crsim::sim
