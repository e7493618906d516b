// PhoenixFirms: which identity each shell firm of [fraud.phoenix] trades under, day by day.
//
// A firm trades through one importer identity at a time (docs/fraud.md, "Phoenix importers"). Its
// identity k started on day start_k and was registered shelf_days[k] days before (a shelf company
// bought for the purpose), so its trader age is small. The identity is abandoned when one of its
// frauds is detected (the owner sees the detection: its goods are seized, it is fined) or once it
// is lifetime_days old; the firm's next identity takes over the next day. A firm whose identities
// are all used up stops trading. Firm f's first identity started on day -(f x lifetime_days / firms),
// so identities of different firms do not all expire together.
//
// The state reacts to detections, hence to the strategy: each strategy has its own PhoenixFirms
// (like adaptive fraudsters), and a generator without one (crsim generate, inspect-data, benchmarks)
// keeps its own, in which identities only expire. The update is sequential in row order, so the
// state is the same for any thread count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

struct InspectionOutcomes;
struct PendingControl;

class PhoenixFirms {
 public:
  PhoenixFirms(const World& world, const PhoenixSpec& spec);

  // Moves to `day` (days must not decrease; the same day again is a no-op): every firm whose
  // identity was caught, or is lifetime_days old, switches to its next identity, starting today.
  void BeginDay(std::int64_t day);

  // Whether trader (a phoenix identity) is its firm's current identity, and its registration day.
  bool IsActive(std::uint32_t trader) const;
  std::int32_t RegistrationDay(std::uint32_t trader) const;

  // Detections of the current identities' frauds (today's controls and those completed today on
  // earlier declarations): those identities are abandoned at the next BeginDay.
  void Learn(const data::DeclaredView& declared, const InspectionOutcomes& outcomes);
  void LearnFromControls(std::span<const PendingControl> controls, std::span<const std::uint8_t> detected);

  // Identities that have traded so far (one per firm to start with), and those abandoned because caught.
  std::uint64_t identities_used() const { return identities_used_; }
  std::uint64_t identities_caught() const { return identities_caught_; }
  // Identities that started trading on the day of the last BeginDay (replacing abandoned ones).
  std::uint64_t identities_started_today() const { return started_today_; }
  std::uint32_t generation(std::uint32_t firm) const { return firms_[firm].generation; }

 private:
  struct Firm {
    std::uint32_t generation = 0;  // index of the current identity; identities_per_firm = stopped
    std::int64_t start_day = 0;
    bool caught = false;
  };
  void MarkCaught(std::uint32_t trader);

  const World& world_;
  std::int64_t lifetime_days_;
  std::int64_t day_ = -1;
  std::vector<Firm> firms_;
  std::uint64_t identities_used_ = 0;
  std::uint64_t identities_caught_ = 0;
  std::uint64_t started_today_ = 0;
};

}  // namespace crsim::sim
