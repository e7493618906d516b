// Calibration: fits the generator's parameters to imported real declarations and writes them as a
// scenario (`crsim calibrate`, docs/calibrate.md).
//
// What is fitted, and how (all moment or frequency estimates, deterministic, no random draws):
//   arrivals     declarations_per_day = rows / days (days = last date - first date + 1, or given);
//                transport_modes and weights = the mode counts; indirect_route_share = share of
//                rows whose departure differs from the origin; hub_countries/hub_weights = the
//                departure counts of those rows.
//   countries    every origin and departure code, weight = its origin count (a country seen only as
//                a departure gets weight 0.5, half a declaration, because hubs must be countries).
//   offices      one administration whose offices are the office codes, office_weights = counts,
//                office_labels = codes; home_office_share = share of an importer's declarations at
//                its most used office (summed over importers).
//   catalogue    explicit codes (catalogue.codes), weight = count; tariff = the code's most frequent
//                tax rate (ties: the lower); log unit price = log(value / mass) and log quantity =
//                log(mass) over rows with both > 0: per code, mean shrunk towards the chapter's with
//                kShrinkage pseudo-rows, variance pooled likewise with the chapter's within-code
//                variance (codes without usable rows take the chapter's, chapters the whole file's);
//                chapter_origins = per HS chapter, the origins of its rows with their counts.
//   traders      count = distinct importers; labels = the kTraderLabels most frequent (ties by label);
//                volume_zipf_exponent solved (bisection) so that the top-50 traders' expected share
//                equals the real one; portfolio_hs6 / portfolio_origins = declaration-weighted mean
//                number of distinct codes / origins per importer; nobody registers during the run.
//   fraud        with a fraud label: one compliance profile, honest_rate = fraud share / share of
//                rows whose code has a positive tariff (only those can be undervalued or
//                misclassified, so the realised fraud share matches); without one, no fraud.
// Required schema fields: date, hs6, value, mass_kg, office, origin. Optional: departure (else the
// origin), mode, importer (else the default [traders] settings), tariff, fraud.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crsim/data/declaration_import.h"

namespace crsim::sim {

inline constexpr double kShrinkage = 2.0;          // pseudo-rows of the chapter in a code's estimates
inline constexpr std::size_t kTraderLabels = 500;  // traders.labels written (by volume rank)

struct CalibrationOptions {
  std::optional<std::int64_t> days;  // default: the span of the dates
  std::uint64_t seed = 1;
  std::string source_description;    // for the header comment, e.g. "file.csv with schema kcs.toml"
};

// The scenario text (TOML, with a header comment). Throws InputError when a required field is not in
// the schema or a code cannot be represented (e.g. an origin that is not two upper-case letters).
// The text is checked by parsing it as a scenario before it is returned.
std::string CalibrateScenario(const data::ImportedDeclarations& imported, const data::ImportSchema& schema,
                              const CalibrationOptions& options);

}  // namespace crsim::sim
