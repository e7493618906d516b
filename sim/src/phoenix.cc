#include "crsim/sim/phoenix.h"

#include "crsim/sim/inspection.h"

namespace crsim::sim {

PhoenixFirms::PhoenixFirms(const World& world, const PhoenixSpec& spec)
    : world_(world), lifetime_days_(spec.lifetime_days), firms_(world.phoenix.firms) {
  const std::int64_t firms = static_cast<std::int64_t>(firms_.size());
  for (std::int64_t f = 0; f < firms; ++f) firms_[static_cast<std::size_t>(f)].start_day = -(f * lifetime_days_) / firms;
  identities_used_ = firms_.size();
}

void PhoenixFirms::BeginDay(std::int64_t day) {
  if (day <= day_) return;
  day_ = day;
  const std::uint64_t used_before = identities_used_;
  const std::uint32_t identities = world_.phoenix.identities_per_firm;
  for (Firm& firm : firms_) {
    if (firm.generation >= identities) continue;
    if (!firm.caught && day - firm.start_day < lifetime_days_) continue;
    identities_caught_ += firm.caught ? 1 : 0;
    firm.caught = false;
    firm.start_day = day;
    ++firm.generation;
    identities_used_ += firm.generation < identities ? 1 : 0;
  }
  started_today_ = identities_used_ - used_before;
}

bool PhoenixFirms::IsActive(std::uint32_t trader) const {
  const std::int32_t f = world_.traders.phoenix_firm[trader];
  if (f < 0) return false;
  const Firm& firm = firms_[static_cast<std::size_t>(f)];
  const std::uint32_t identities = world_.phoenix.identities_per_firm;
  return firm.generation < identities &&
         world_.phoenix.identity[static_cast<std::size_t>(f) * identities + firm.generation] == trader;
}

std::int32_t PhoenixFirms::RegistrationDay(std::uint32_t trader) const {
  const auto f = static_cast<std::size_t>(world_.traders.phoenix_firm[trader]);
  const Firm& firm = firms_[f];
  const std::size_t slot = f * world_.phoenix.identities_per_firm + firm.generation;
  return static_cast<std::int32_t>(firm.start_day - world_.phoenix.shelf_days[slot]);
}

void PhoenixFirms::MarkCaught(std::uint32_t trader) {
  if (IsActive(trader)) firms_[static_cast<std::size_t>(world_.traders.phoenix_firm[trader])].caught = true;
}

void PhoenixFirms::Learn(const data::DeclaredView& declared, const InspectionOutcomes& outcomes) {
  for (std::size_t row = 0; row < declared.size(); ++row) {
    if (outcomes.detected[row]) MarkCaught(declared.trader[row]);
  }
}

void PhoenixFirms::LearnFromControls(std::span<const PendingControl> controls, std::span<const std::uint8_t> detected) {
  for (std::size_t i = 0; i < controls.size(); ++i) {
    if (detected[i]) MarkCaught(controls[i].trader);
  }
}

}  // namespace crsim::sim
