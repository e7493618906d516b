#include "crsim/sim/channels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "crsim/kernels/top_k.h"
#include "crsim/sim/risk_engine.h"

namespace crsim::sim {

namespace {
constexpr double kFineBinHours = 0.25;
constexpr double kFineLimitHours = 240.0;
constexpr double kCoarseBinHours = 6.0;
constexpr double kCoarseLimitHours = 8760.0;
constexpr auto kFineBins = static_cast<std::size_t>(kFineLimitHours / kFineBinHours);
constexpr auto kCoarseBins = static_cast<std::size_t>((kCoarseLimitHours - kFineLimitHours) / kCoarseBinHours);

std::size_t Index(Channel channel) { return static_cast<std::size_t>(channel); }

std::uint32_t RateCount(double rate, std::uint32_t declarations) {
  return static_cast<std::uint32_t>(std::llround(rate * static_cast<double>(declarations)));
}
}  // namespace

QueueDay ServeQueue(std::uint64_t backlog, std::uint64_t arrivals, std::uint32_t capacity) {
  QueueDay day;
  day.served_from_backlog = std::min<std::uint64_t>(backlog, capacity);
  day.served_from_today = std::min<std::uint64_t>(arrivals, capacity - day.served_from_backlog);
  day.carried = backlog + arrivals - day.served_from_backlog - day.served_from_today;
  return day;
}

double ReleaseHours(std::int64_t lodged, std::int64_t day, std::uint64_t position, std::uint32_t capacity) {
  return 24.0 * (static_cast<double>(day - lodged) + static_cast<double>(position + 1) / static_cast<double>(capacity));
}

// ---- ReleaseHistogram

ReleaseHistogram::ReleaseHistogram() : bins_(BinCount(), 0) {}

std::size_t ReleaseHistogram::BinCount() { return kFineBins + kCoarseBins + 1; }

std::size_t ReleaseHistogram::Bin(double hours) {
  // A time exactly on an edge belongs to the bin it closes: (edge - width, edge].
  if (hours <= kFineLimitHours) {
    const double bin = std::ceil(hours / kFineBinHours) - 1.0;
    return bin < 0.0 ? 0 : static_cast<std::size_t>(bin);
  }
  if (hours <= kCoarseLimitHours) {
    return kFineBins + static_cast<std::size_t>(std::ceil((hours - kFineLimitHours) / kCoarseBinHours) - 1.0);
  }
  return kFineBins + kCoarseBins;
}

double ReleaseHistogram::UpperEdge(std::size_t bin) {
  if (bin < kFineBins) return kFineBinHours * static_cast<double>(bin + 1);
  if (bin < kFineBins + kCoarseBins) return kFineLimitHours + kCoarseBinHours * static_cast<double>(bin - kFineBins + 1);
  return std::numeric_limits<double>::infinity();
}

void ReleaseHistogram::Add(double hours) {
  ++bins_[Bin(hours)];
  ++count_;
}

ReleaseHistogram& ReleaseHistogram::operator+=(const ReleaseHistogram& other) {
  for (std::size_t b = 0; b < bins_.size(); ++b) bins_[b] += other.bins_[b];
  count_ += other.count_;
  return *this;
}

double ReleaseHistogram::Quantile(double q) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < bins_.size(); ++b) {
    seen += bins_[b];
    if (seen >= rank) return UpperEdge(b);
  }
  return UpperEdge(bins_.size() - 1);
}

void ReleaseHistogram::Clear() {
  std::fill(bins_.begin(), bins_.end(), 0);
  count_ = 0;
}

// ---- MandatoryRules

MandatoryRules::MandatoryRules(const World& world, const RiskSpec& risk) {
  RiskSpec mandatory = risk;
  mandatory.rules.clear();
  for (const RuleSpec& rule : risk.rules) {
    if (rule.channel.empty()) continue;
    const Channel channel = rule.channel == "red" ? Channel::kRed : rule.channel == "yellow" ? Channel::kYellow : Channel::kBlue;
    rule_mask_[Index(channel)] |= std::uint64_t{1} << mandatory.rules.size();
    mandatory.rules.push_back(rule);
  }
  empty_ = mandatory.rules.empty();
  if (!empty_) table_ = CompileScenarioRules(world, mandatory);
}

void MandatoryRules::Apply(const data::DeclaredView& declared, std::int64_t day, std::span<std::uint8_t> channel) {
  const std::size_t size = declared.size();
  score_.resize(size);
  hits_.resize(size);
  const kernels::RuleInputs inputs{declared.hs_chapter, declared.origin, declared.office, declared.unit_value,
                                   declared.trader_age_days};
  kernels::ScoreRulesParallel(table_, inputs, day, score_.span(), hits_.span());
  for (std::size_t i = 0; i < size; ++i) {
    std::uint8_t chosen = 0;
    for (const Channel c : kControlChannels) {
      if ((hits_[i] & rule_mask_[Index(c)]) != 0) {
        chosen = static_cast<std::uint8_t>(c);
        break;
      }
    }
    channel[i] = chosen;
  }
}

// ---- ControlDesk

ControlDesk::ControlDesk(const World& world, const ScenarioSpec& spec)
    : offices_(world.offices.size()), audit_delay_days_(spec.channels.blue.delay_days) {
  for (const Office& office : world.offices) {
    capacity_[Index(Channel::kRed)].push_back(office.inspection_capacity);
    capacity_[Index(Channel::kYellow)].push_back(office.documentary_capacity);
    capacity_[Index(Channel::kBlue)].push_back(office.audit_capacity);
  }
  rates_[Index(Channel::kRed)] = spec.channels.red;
  rates_[Index(Channel::kYellow)] = spec.channels.yellow;
  rates_[Index(Channel::kBlue)] = spec.channels.blue;
  for (const Channel c : kControlChannels) waiting_[Index(c)].resize(offices_);
}

std::uint32_t ControlDesk::FreeCapacity(Channel channel, std::size_t office) const {
  const std::uint64_t capacity = capacity_[Index(channel)][office];
  const std::uint64_t backlog = waiting_[Index(channel)][office].size();
  return backlog >= capacity ? 0 : static_cast<std::uint32_t>(capacity - backlog);
}

std::uint64_t ControlDesk::Backlog(Channel channel) const {
  std::uint64_t total = 0;
  for (const auto& queue : waiting_[Index(channel)]) total += queue.size();
  return total;
}

void ControlDesk::Route(const Strategy& strategy, const SelectionInputs& inputs, std::span<const std::uint8_t> mandatory,
                        InspectionOutcomes& outcomes, ChannelCounters& counters) {
  const data::DeclaredView& declared = inputs.declared;
  const std::size_t size = declared.size();
  std::uint8_t* channel = outcomes.channel.data();
  std::uint8_t* random_pick = outcomes.random_pick.data();
  selected_.assign(size, 0);
  std::vector<std::uint32_t> declarations(offices_, 0);
  // [channel][office]: routed so far (mandatory + random) in this call.
  std::array<std::vector<std::uint32_t>, kNumChannels> taken;
  for (const Channel c : kControlChannels) taken[Index(c)].assign(offices_, 0);

  // Marks the rows newly selected by the last step as routed to `c`; random = they were random picks.
  const auto assign = [&](Channel c, const std::uint8_t* random) {
    const auto value = static_cast<std::uint8_t>(c);
    for (std::size_t i = 0; i < size; ++i) {
      if (!selected_[i] || channel[i] != 0) continue;
      channel[i] = value;
      random_pick[i] = random == nullptr ? 1 : random[i];
      ++taken[Index(c)][declared.office[i]];
      ++counters[Index(c)].routed;
      counters[Index(c)].random += random_pick[i];
    }
  };

  // 1. Mandatory rule hits, whatever the capacity.
  for (std::size_t i = 0; i < size; ++i) {
    ++declarations[declared.office[i]];
    if (mandatory.empty() || mandatory[i] == 0) continue;
    channel[i] = mandatory[i];
    selected_[i] = 1;
    ++taken[mandatory[i]][declared.office[i]];
    ++counters[mandatory[i]].routed;
    ++counters[mandatory[i]].mandatory;
  }
  std::array<std::vector<std::uint32_t>, kNumChannels> free;
  for (const Channel c : kControlChannels) {
    free[Index(c)].resize(offices_);
    for (std::size_t o = 0; o < offices_; ++o) free[Index(c)][o] = FreeCapacity(c, o);
  }

  // 2. Random minimum per channel.
  std::vector<std::uint32_t> quota(offices_);
  for (const Channel c : kControlChannels) {
    const std::size_t k = Index(c);
    std::uint64_t total = 0;
    for (std::size_t o = 0; o < offices_; ++o) {
      const std::uint32_t room = free[k][o] > taken[k][o] ? free[k][o] - taken[k][o] : 0;
      quota[o] = std::min(room, RateCount(rates_[k].random_rate, declarations[o]));
      total += quota[o];
    }
    if (total == 0) continue;
    kernels::SelectTopKPerGroup(inputs.random_priority, declared.office, quota, selected_);
    assign(c, nullptr);
  }

  // 3. Top-up by the strategy to each channel's expected rate, within the free capacity.
  for (const Channel c : kControlChannels) {
    const std::size_t k = Index(c);
    std::uint64_t total = 0;
    for (std::size_t o = 0; o < offices_; ++o) {
      const std::uint32_t target = std::min(free[k][o], RateCount(rates_[k].expected_rate, declarations[o]));
      quota[o] = target > taken[k][o] ? target - taken[k][o] : 0;
      total += quota[o];
    }
    if (total == 0) continue;
    SelectionInputs channel_inputs = inputs;
    channel_inputs.office_capacity = quota;
    strategy_random_.assign(size, 0);
    strategy.SelectMarkingRandom(channel_inputs, selected_, strategy_random_);
    assign(c, strategy_random_.data());
  }
  std::int64_t routed = 0;
  for (const Channel c : kControlChannels) routed += counters[Index(c)].routed;
  counters[Index(Channel::kGreen)].routed += static_cast<std::int64_t>(size) - routed;
  counters[Index(Channel::kGreen)].served += static_cast<std::int64_t>(size) - routed;
}

void ControlDesk::Serve(std::int64_t day, const data::DeclaredView& declared, const data::TruthView& truth,
                        const Inspector& inspector, InspectionOutcomes& outcomes, std::vector<PendingControl>& completed,
                        ChannelCounters& counters, ChannelHistograms& release) {
  completed.clear();
  // Counts a control served today; an audit (blue) starts now and gives its result delay_days later.
  const auto serve = [&](Channel c, const PendingControl* audit, double hours) {
    ++counters[Index(c)].served;
    if (audit != nullptr) {
      hours += 24.0 * static_cast<double>(audit_delay_days_);
      audits_.emplace_back(day + audit_delay_days_, *audit);
    }
    counters[Index(c)].release_millihours += std::llround(hours * 1000.0);
    release[Index(c)].Add(hours);
  };
  // The backlog first, oldest first; position[c][o] = controls served so far today.
  std::array<std::vector<std::uint64_t>, kNumChannels> position;
  for (const Channel c : kControlChannels) {
    const std::size_t k = Index(c);
    position[k].assign(offices_, 0);
    for (std::size_t o = 0; o < offices_; ++o) {
      const std::uint32_t capacity = capacity_[k][o];
      auto& queue = waiting_[k][o];
      while (position[k][o] < capacity && !queue.empty()) {
        const PendingControl control = queue.front();
        queue.pop_front();
        const bool audit = c == Channel::kBlue;
        serve(c, audit ? &control : nullptr, ReleaseHours(control.day, day, position[k][o], capacity));
        if (!audit) completed.push_back(control);
        ++position[k][o];
      }
    }
  }
  // Then today's controls in declaration order: served while capacity lasts, else queued.
  for (std::size_t i = 0; i < declared.size(); ++i) {
    const std::uint8_t value = outcomes.channel[i];
    if (value == 0) continue;
    const auto c = static_cast<Channel>(value);
    const std::uint16_t office = declared.office[i];
    const std::uint32_t capacity = capacity_[value][office];
    std::uint64_t& served = position[value][office];
    if (served < capacity) {
      const double hours = ReleaseHours(day, day, served, capacity);
      ++served;
      if (c == Channel::kBlue) {
        const PendingControl audit = inspector.MakePending(day, i, value, declared, truth, outcomes);
        serve(c, &audit, hours);
      } else {
        outcomes.inspected[i] = 1;
        serve(c, nullptr, hours);
      }
    } else {
      waiting_[value][office].push_back(inspector.MakePending(day, i, value, declared, truth, outcomes));
    }
  }
  // Audits whose result is due.
  while (!audits_.empty() && audits_.front().first <= day) {
    completed.push_back(audits_.front().second);
    audits_.pop_front();
  }
  for (const Channel c : kControlChannels) counters[Index(c)].backlog = static_cast<std::int64_t>(Backlog(c));
}

}  // namespace crsim::sim
