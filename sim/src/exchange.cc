#include "crsim/sim/exchange.h"

#include <cstdio>
#include <cstdlib>

namespace crsim::sim {

namespace {

template <typename T>
void Gather(std::span<const T> source, std::span<const std::uint32_t> rows, data::AlignedColumn<T>& target) {
  for (std::size_t i = 0; i < rows.size(); ++i) target[i] = source[rows[i]];
}

// The declared columns of `rows` of `declared`, in that order, into `batch`.
void GatherDeclared(const data::DeclaredView& declared, std::int64_t day, std::span<const std::uint32_t> rows,
                    data::DeclarationBatch& batch) {
  batch.Reset(day, rows.size());
  data::DeclaredColumns& c = batch.mutable_declared();
  Gather(declared.declaration_id, rows, c.declaration_id);
  Gather(declared.trader, rows, c.trader);
  Gather(declared.office, rows, c.office);
  Gather(declared.hs6, rows, c.hs6);
  Gather(declared.hs_chapter, rows, c.hs_chapter);
  Gather(declared.origin, rows, c.origin);
  Gather(declared.declared_value, rows, c.declared_value);
  Gather(declared.declared_quantity, rows, c.declared_quantity);
  Gather(declared.unit_value, rows, c.unit_value);
  Gather(declared.trader_age_days, rows, c.trader_age_days);
  // Optional columns stay absent (empty) when the source lacks them, as the engine expects.
  if (declared.departure.size() == declared.size()) Gather(declared.departure, rows, c.departure);
  else c.departure.resize(0);
  if (declared.transport_mode.size() == declared.size()) Gather(declared.transport_mode, rows, c.transport_mode);
  else c.transport_mode.resize(0);
  if (declared.declarant.size() == declared.size()) Gather(declared.declarant, rows, c.declarant);
  else c.declarant.resize(0);
}

void GatherOutcomes(const InspectionOutcomes& outcomes, std::span<const std::uint32_t> rows, InspectionOutcomes& target) {
  target.Reset(rows.size());
  Gather(std::span<const std::uint8_t>(outcomes.inspected.span()), rows, target.inspected);
  Gather(std::span<const std::uint8_t>(outcomes.detected.span()), rows, target.detected);
  Gather(std::span<const float>(outcomes.revealed_value.span()), rows, target.revealed_value);
  Gather(std::span<const std::uint32_t>(outcomes.revealed_hs6.span()), rows, target.revealed_hs6);
  Gather(std::span<const std::uint8_t>(outcomes.channel.span()), rows, target.channel);
  Gather(std::span<const std::uint8_t>(outcomes.random_pick.span()), rows, target.random_pick);
}

}  // namespace

const std::vector<std::string>& RegisteredExchangeModes() {
  static const std::vector<std::string> names = {"pooled", "none", "shared_outcomes", "shared_profiles"};
  return names;
}

ExchangeMode ParseExchangeMode(const std::string& name) {
  if (name == "pooled") return ExchangeMode::kPooled;
  if (name == "none") return ExchangeMode::kNone;
  if (name == "shared_outcomes") return ExchangeMode::kSharedOutcomes;
  if (name == "shared_profiles") return ExchangeMode::kSharedProfiles;
  std::fprintf(stderr, "%s:%d: unknown exchange mode \"%s\" (the scenario reader validates it)\n", __FILE__, __LINE__,
               name.c_str());
  std::abort();
}

ExchangeEngines::ExchangeEngines(const World& world, const ScenarioSpec& spec, const StrategyInstanceSpec& instance,
                                 std::uint32_t replication)
    : world_(world), mode_(ParseExchangeMode(instance.exchange)), delay_days_(instance.exchange_delay_days) {
  const ScoreCombination combination = ParseScoreCombination(instance.combination);
  const std::size_t administrations = mode_ == ExchangeMode::kPooled ? 1 : world.administration_name.size();
  for (std::size_t a = 0; a < administrations; ++a) {
    engines_.push_back(std::make_unique<RiskEngine>(world, spec, combination, replication));
  }
  office_administration_.resize(world.offices.size());
  for (std::size_t o = 0; o < world.offices.size(); ++o) office_administration_[o] = world.offices[o].administration;
  rows_.resize(administrations);
  batches_.resize(administrations);
  scores_.resize(administrations);
  if (mode_ != ExchangeMode::kPooled) RefreshTraderViews();
}

void ExchangeEngines::Score(const data::DeclaredView& declared, std::int64_t day, std::span<float> risk_score) {
  if (mode_ == ExchangeMode::kPooled) {
    engines_[0]->Score(declared, day, risk_score);
    return;
  }
  for (std::vector<std::uint32_t>& rows : rows_) rows.clear();
  for (std::size_t row = 0; row < declared.size(); ++row) {
    rows_[office_administration_[declared.office[row]]].push_back(static_cast<std::uint32_t>(row));
  }
  for (std::size_t a = 0; a < engines_.size(); ++a) {
    GatherDeclared(declared, day, rows_[a], batches_[a]);
    scores_[a].resize(rows_[a].size());
    engines_[a]->Score(batches_[a].declared(), day, scores_[a]);
    for (std::size_t i = 0; i < rows_[a].size(); ++i) risk_score[rows_[a][i]] = scores_[a][i];
  }
}

void ExchangeEngines::Learn(std::int64_t day, const data::DeclaredView& declared, const InspectionOutcomes& outcomes,
                            std::span<const PendingControl> completed, std::span<const std::uint8_t> completed_detected) {
  if (mode_ == ExchangeMode::kPooled) {
    engines_[0]->LearnFromControls(completed, completed_detected);
    engines_[0]->Learn(declared, outcomes);
    return;
  }
  // What each administration learned today: its completed controls, then its same-day outcomes.
  const std::size_t administrations = engines_.size();
  std::vector<std::vector<PendingControl>> own(administrations);
  std::vector<std::vector<std::uint8_t>> own_detected(administrations);
  for (std::size_t i = 0; i < completed.size(); ++i) {
    const std::uint32_t a = office_administration_[completed[i].office];
    own[a].push_back(completed[i]);
    own_detected[a].push_back(completed_detected[i]);
  }
  if (mode_ == ExchangeMode::kSharedOutcomes) {
    for (std::size_t a = 0; a < administrations; ++a) {
      for (std::size_t i = 0; i < own[a].size(); ++i) {
        in_flight_.push_back({day + delay_days_, static_cast<std::uint32_t>(a), own[a][i].trader, own[a][i].declarant,
                              own_detected[a][i]});
      }
      const bool has_declarant = declared.declarant.size() == declared.size();
      for (const std::uint32_t row : rows_[a]) {
        if (!outcomes.inspected[row]) continue;
        in_flight_.push_back({day + delay_days_, static_cast<std::uint32_t>(a), declared.trader[row],
                              has_declarant ? declared.declarant[row] : 0u, outcomes.detected[row]});
      }
    }
  }
  if (mode_ == ExchangeMode::kSharedProfiles) {
    for (std::size_t a = 0; a < administrations; ++a) {
      GatherOutcomes(outcomes, rows_[a], gathered_outcomes_);
      profiles_in_flight_.push_back({day + delay_days_, static_cast<std::uint32_t>(a), {}});
      engines_[a]->ExportProfileEvidence(batches_[a].declared(), gathered_outcomes_, profiles_in_flight_.back().evidence);
    }
  }
  // Outcomes due today (queued in day order, the delay being constant), for every other engine.
  std::vector<std::vector<PendingControl>> shared(administrations);
  std::vector<std::vector<std::uint8_t>> shared_detected(administrations);
  while (!in_flight_.empty() && in_flight_.front().due_day <= day) {
    const SharedOutcome outcome = in_flight_.front();
    in_flight_.pop_front();
    PendingControl control;
    control.trader = outcome.trader;
    control.declarant = outcome.declarant;
    for (std::size_t b = 0; b < administrations; ++b) {
      if (b == outcome.source) continue;
      shared[b].push_back(control);
      shared_detected[b].push_back(outcome.detected);
    }
  }
  // Profile evidence due today (queued in day order, then administration order), for every other engine.
  while (!profiles_in_flight_.empty() && profiles_in_flight_.front().due_day <= day) {
    const SharedProfiles& profiles = profiles_in_flight_.front();
    for (std::size_t b = 0; b < administrations; ++b) {
      if (b != profiles.source) engines_[b]->LearnSharedProfiles(profiles.evidence);
    }
    profiles_in_flight_.pop_front();
  }
  for (std::size_t a = 0; a < administrations; ++a) {
    RiskEngine& engine = *engines_[a];
    engine.LearnFromControls(own[a], own_detected[a]);
    engine.LearnEntityOutcomes(shared[a], shared_detected[a]);
    GatherOutcomes(outcomes, rows_[a], gathered_outcomes_);
    engine.Learn(batches_[a].declared(), gathered_outcomes_);
  }
  RefreshTraderViews();
}

void ExchangeEngines::RefreshTraderViews() {
  const Traders& traders = world_.traders;
  trader_risk_.resize(traders.size());
  trader_inspections_.resize(traders.size());
  for (std::size_t t = 0; t < traders.size(); ++t) {
    const RiskEngine& home = *engines_[traders.administration[t]];
    trader_risk_[t] = home.trader_risk()[t];
    trader_inspections_[t] = home.trader_inspections()[t];
  }
}

std::span<const float> ExchangeEngines::trader_risk() const {
  return mode_ == ExchangeMode::kPooled ? engines_[0]->trader_risk() : std::span<const float>(trader_risk_);
}

std::span<const std::uint32_t> ExchangeEngines::trader_inspections() const {
  return mode_ == ExchangeMode::kPooled ? engines_[0]->trader_inspections()
                                        : std::span<const std::uint32_t>(trader_inspections_);
}

}  // namespace crsim::sim
