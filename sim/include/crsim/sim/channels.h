// Control channels, the selection order of a selectivity system, and the queues that turn
// selections into release times.
//
// Channels (as ASYCUDA-like selectivity systems name them): red = physical examination, yellow =
// documentary check, blue = post-clearance audit (the goods are released; the audit's result comes
// [channels.blue] delay_days after it starts), green = release without control. Each channel has a
// daily capacity per office ([[administrations]] inspection_capacity, documentary_capacity,
// audit_capacity) and detection probabilities per fraud typology ([inspection.*]).
//
// Selection order (RouteDay), per office o with n_o declarations that day and, per channel, the
// capacity free for new selections F = max(0, capacity - backlog carried in):
//   1. mandatory: every declaration hitting a rule with a `channel` goes to that channel (red before
//      yellow before blue when it hits several), whatever the capacity: the excess queues;
//   2. random minimum, channels red, yellow, blue in turn: R = min(max(0, F - M), round(random_rate x
//      n_o)) declarations not yet routed, uniformly (the shared random priority), M the mandatory ones;
//   3. top-up, channels red, yellow, blue in turn: the strategy picks
//      max(0, min(F, round(expected_rate x n_o)) - M - R) more (topk by risk score, random at random,
//      ...). Random and top-up never exceed F, so only mandatory controls can make a backlog.
// Everything not routed is green. With the defaults (no mandatory rule, random_rate 0, expected_rate
// 1, no yellow or blue capacity) step 3 for red is exactly the strategy's selection under the
// office's inspection capacity, as before channels existed.
//
// Queue arithmetic (ServeQueue, ReleaseHours), per channel and office, first in first out: with B
// controls carried in, S routed today and capacity c, the office serves P = min(c, B + S) controls
// today, the B carried ones first (oldest first), then today's in declaration order, and carries
// B + S - P to tomorrow. Served controls are spread evenly over the working day: the k-th control
// served on day d (k = 0 .. P-1) of a declaration lodged on day l ends at
//     release time = 24 x ((d - l) + (k + 1) / c) hours,
// measured from the start of the lodgement day (arrival times within a day are not modelled). A
// red or yellow control's goods are released then; a blue audit starts then (the goods were released
// at once) and its result arrives 24 x delay_days hours later, which is the "release time" recorded
// for blue (time to result). Green declarations are released at 0 hours. Hours, not days, because
// the WCO Time Release Study reports hours and because most controls end the day they start, which
// whole days would all round to 0.
//
// When results arrive: a red or yellow control served on its lodgement day is inspected that day
// (Inspector::InspectAndMeasure, the risk engine's ordinary Learn). A control served later, and every
// audit, becomes a PendingControl whose result counts (hits, duty recovered) and feeds back
// (RiskEngine::LearnFromControls) on the day it is served (red, yellow) or its result is due (blue).
// The backlog is not bounded: a mandatory rule that always exceeds a channel's capacity makes it
// grow every day, which the backlog KPI shows.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

#include "crsim/data/aligned_column.h"
#include "crsim/data/declaration_batch.h"
#include "crsim/kernels/risk_rules.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/metrics.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/strategy.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

enum class Channel : std::uint8_t { kGreen = 0, kRed = 1, kYellow = 2, kBlue = 3 };
inline constexpr std::array<Channel, 3> kControlChannels = {Channel::kRed, Channel::kYellow, Channel::kBlue};

// One day of one queue: served from the backlog, served from today's arrivals, carried to tomorrow.
struct QueueDay {
  std::uint64_t served_from_backlog = 0;
  std::uint64_t served_from_today = 0;
  std::uint64_t carried = 0;
};

// The queue arithmetic above for backlog B, arrivals S and capacity c.
QueueDay ServeQueue(std::uint64_t backlog, std::uint64_t arrivals, std::uint32_t capacity);

// Release time in hours of the control at position k (0-based) of day `day`'s service at capacity
// c (> 0), for a declaration lodged on day `lodged`.
double ReleaseHours(std::int64_t lodged, std::int64_t day, std::uint64_t position, std::uint32_t capacity);

// Release times in hours, counted in bins: 15 minutes wide up to 240 hours (10 days), then 6 hours
// wide up to 8760 hours (365 days), then one overflow bin. Quantile(q) returns the upper edge of the
// bin holding the ceil(q N)-th smallest time (overflow: +inf), so it is at most 15 minutes (6 hours
// past 10 days) above the exact quantile. Integer counts: merging is exact in any order.
class ReleaseHistogram {
 public:
  ReleaseHistogram();
  void Add(double hours);
  ReleaseHistogram& operator+=(const ReleaseHistogram& other);
  std::uint64_t count() const { return count_; }
  double Quantile(double q) const;  // NaN when empty
  void Clear();
  static double UpperEdge(std::size_t bin);
  static std::size_t Bin(double hours);
  static std::size_t BinCount();

 private:
  std::vector<std::uint64_t> bins_;
  std::uint64_t count_ = 0;
};

using ChannelHistograms = std::array<ReleaseHistogram, kNumChannels>;  // indexed by Channel
using ChannelCounters = std::array<ChannelMetrics, kNumChannels>;

// The mandatory channel of every declaration from the rules that have one ([[risk.rules]] channel),
// shared by all strategies (a selectivity system applies them whatever the top-up strategy).
class MandatoryRules {
 public:
  MandatoryRules(const World& world, const RiskSpec& risk);
  bool empty() const { return empty_; }
  // channel[i] = the mandatory Channel of row i, 0 (green) when it hits no such rule.
  void Apply(const data::DeclaredView& declared, std::int64_t day, std::span<std::uint8_t> channel);

 private:
  bool empty_ = true;
  kernels::RuleTable table_;
  std::array<std::uint64_t, kNumChannels> rule_mask_{};  // rules (bits) of each channel
  data::AlignedColumn<float> score_;
  data::AlignedColumn<std::uint64_t> hits_;
};

// The channels and queues of one strategy.
class ControlDesk {
 public:
  ControlDesk(const World& world, const ScenarioSpec& spec);

  // Capacity free for new selections today: capacity - backlog, at least 0.
  std::uint32_t FreeCapacity(Channel channel, std::size_t office) const;
  std::uint64_t Backlog(Channel channel) const;

  // Steps 1-3 of the selection order: sets outcomes.channel and outcomes.random_pick (outcomes
  // Reset to the day's size) and counts routed, mandatory and random per channel in `counters`.
  // inputs.office_capacity is ignored (the desk sets it per channel); mandatory may be empty.
  void Route(const Strategy& strategy, const SelectionInputs& inputs, std::span<const std::uint8_t> mandatory,
             InspectionOutcomes& outcomes, ChannelCounters& counters);

  // Serves the day's queues: outcomes.inspected = 1 for red and yellow controls served today on
  // declarations of today; every other routed control becomes a PendingControl (queued, or an audit
  // in progress). `completed` gets the controls whose result is known today (backlogged red and
  // yellow served today, audits due today). Release times of everything served today go into
  // `release`; `counters` gets served and the end-of-day backlog.
  void Serve(std::int64_t day, const data::DeclaredView& declared, const data::TruthView& truth,
             const Inspector& inspector, InspectionOutcomes& outcomes, std::vector<PendingControl>& completed,
             ChannelCounters& counters, ChannelHistograms& release);

 private:
  std::size_t offices_ = 0;
  std::array<std::vector<std::uint32_t>, kNumChannels> capacity_;  // [channel][office]
  std::array<ChannelSpec, kNumChannels> rates_;
  std::int64_t audit_delay_days_ = 0;
  std::array<std::vector<std::deque<PendingControl>>, kNumChannels> waiting_;  // [channel][office], FIFO
  std::deque<std::pair<std::int64_t, PendingControl>> audits_;  // (day the result is due, audit), due order
  std::vector<std::uint8_t> selected_;
  std::vector<std::uint8_t> strategy_random_;
};

}  // namespace crsim::sim
