// Visits every row the generator makes for days 0 .. days-1 of a scenario (no strategy feedback).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/generator.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::testing {

// visit(declared, truth, row) for every row of every day.
template <typename Visit>
void ForEachGeneratedRow(const sim::World& world, const sim::ScenarioSpec& spec, std::int64_t days, Visit visit) {
  sim::Generator generator(world, spec);
  data::DeclarationBatch batch;
  for (std::int64_t day = 0; day < days; ++day) {
    generator.GenerateDay(day, batch, 4096);
    const data::DeclaredView declared = batch.declared();
    const data::TruthView truth = batch.truth();
    for (std::size_t row = 0; row < declared.size(); ++row) visit(declared, truth, row);
  }
}

}  // namespace crsim::testing
