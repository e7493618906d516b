// A small valid scenario shared by the tests: big enough for statistics, small enough for ASan.
#pragma once

#include <string>
#include <vector>

#include "crsim/sim/scenario.h"

namespace crsim::testing {

// TOML text of the small scenario (line numbers of its keys are stable: tests refer to them).
std::string SmallScenarioToml();

// The small scenario parsed, with optional --set style overrides.
sim::ScenarioSpec SmallScenario(const std::vector<std::string>& overrides = {});

// The small scenario with every fraud typology switched on (and what each needs: specific duties,
// a relief threshold, additional duties on CN goods of nine chapters, transit countries) and four
// fraud rings, then the overrides.
sim::ScenarioSpec FullFraudScenario(const std::vector<std::string>& overrides = {});

// Overrides that switch on an e-commerce stream ([arrivals.ecommerce]) in the small scenario:
// 40 000 low-value consignments a day (log-normal value, median e^4 = 55 EUR) of chapters 6, 11, 16
// from CN and US at offices AA-2 and BB-1, 50 000 consignees, 5 intermediaries, fraud rate 0.1.
// The full-fraud scenario has every typology it needs on.
std::vector<std::string> EcommerceStreamOverrides();

// a followed by b (override lists are built up this way).
std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b);

// Overrides that leave only prohibited goods on (weight 1): no typology needs anything, so every
// fraud attempt becomes a fraud and a fraud rate is exactly the configured one.
std::vector<std::string> ProhibitedGoodsOnly();

// scenarios/baseline.toml with overrides.
sim::ScenarioSpec BaselineScenario(const std::vector<std::string>& overrides = {});

}  // namespace crsim::testing
