// Information exchange between administrations: the risk engines of one strategy instance, and what
// each learns from the others' inspections ([strategy.<name>] exchange, exchange_delay_days).
//
//   "pooled" (default)   one RiskEngine scores every administration's declarations and learns from
//                        every administration's inspections (one risk-analysis centre for the union,
//                        or a single administration). Calls go straight to that engine, so results
//                        are those of a strategy without this layer, bit for bit.
//   "none"               one RiskEngine per administration. A declaration is scored by the engine of
//                        the administration of the office where it is lodged; each engine learns only
//                        from declarations lodged at its own offices and from its own controls (its
//                        own trader histories, price references and models).
//   "shared_outcomes"    as "none", and every inspection outcome (trader, declarant, found or not)
//                        known in one administration on day d, same-day or a control completed that
//                        day, reaches the trader and declarant histories (and the overall hit count)
//                        of every other administration's engine in the feedback stage of day
//                        d + exchange_delay_days (with delay 0: the same day's feedback, before that
//                        engine's own Learn). Price references and models stay national.
//   "shared_profiles"    as "none", and the risk-profile knowledge of every administration's day
//                        (RiskEngine::ExportProfileEvidence: price observations of all its
//                        declarations, the overall, chapter and origin hit counts of its same-day
//                        inspections and, with "logistic" or "gbdt", their labelled feature rows)
//                        reaches every other administration's engine in the feedback stage of day
//                        d + exchange_delay_days: the EU's common risk criteria and profiles, built from
//                        the whole union's controls and distributed to every Member State. Trader and
//                        declarant histories stay national. Controls completed after their lodgement
//                        day (queues, audits) teach their own administration's engine
//                        (RiskEngine::LearnFromControls) but are not part of the shared evidence.
//
// Mechanics of the per-administration modes: each day the batch is split by administration into
// row lists (row order kept), the declared columns of each administration's rows are gathered into a
// batch of its own, its engine scores that batch, and the scores are scattered back. Learn gathers the
// outcome columns the same way. Everything runs in a fixed order (administrations in scenario order,
// rows in batch order, shared outcomes in the order they were queued), and each engine's Score is
// deterministic for any thread count, so the modes are too.
//
// Strategies that read trader posteriors (bandit) see, for each trader, the posterior of the engine
// of the trader's home administration.
//
// Memory: one engine per administration (per-administration modes), one day's gathered columns, and
// the shared outcomes in flight (at most exchange_delay_days + 1 days of inspections), or the shared
// profile evidence in flight (exchange_delay_days + 1 days of declarations: 10 bytes per
// declaration plus 4 bytes per inspection, and 36 more with a model combination).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "crsim/data/declaration_batch.h"
#include "crsim/sim/inspection.h"
#include "crsim/sim/risk_engine.h"
#include "crsim/sim/scenario.h"
#include "crsim/sim/world.h"

namespace crsim::sim {

enum class ExchangeMode { kPooled, kNone, kSharedOutcomes, kSharedProfiles };

// The mode named by [strategy.<name>] exchange (one of RegisteredExchangeModes()).
ExchangeMode ParseExchangeMode(const std::string& name);

class ExchangeEngines {
 public:
  ExchangeEngines(const World& world, const ScenarioSpec& spec, const StrategyInstanceSpec& instance,
                  std::uint32_t replication);

  // Fills risk_score (size declared.size()) for the declarations of `day`.
  void Score(const data::DeclaredView& declared, std::int64_t day, std::span<float> risk_score);

  // The feedback of day `day` (after Score for the same day): the controls of earlier declarations
  // completed today with their results, then today's outcomes, and the outcomes shared between
  // administrations that are due today.
  void Learn(std::int64_t day, const data::DeclaredView& declared, const InspectionOutcomes& outcomes,
             std::span<const PendingControl> completed, std::span<const std::uint8_t> completed_detected);

  ExchangeMode mode() const { return mode_; }
  std::size_t engine_count() const { return engines_.size(); }
  // Engine a (pooled: 0 only).
  const RiskEngine& engine(std::size_t a) const { return *engines_[a]; }
  // Per trader, for strategies (see above).
  std::span<const float> trader_risk() const;
  std::span<const std::uint32_t> trader_inspections() const;

 private:
  struct SharedOutcome {
    std::int64_t due_day;
    std::uint32_t source;  // administration that inspected
    std::uint32_t trader;
    std::uint32_t declarant;
    std::uint8_t detected;
  };
  struct SharedProfiles {
    std::int64_t due_day;
    std::uint32_t source;  // administration whose inspections they come from
    ProfileEvidence evidence;
  };
  void RefreshTraderViews();

  const World& world_;
  ExchangeMode mode_;
  std::int64_t delay_days_ = 0;
  std::vector<std::unique_ptr<RiskEngine>> engines_;
  std::vector<std::uint32_t> office_administration_;
  // Per-administration modes: the day's rows of each administration and their gathered columns.
  std::vector<std::vector<std::uint32_t>> rows_;
  std::vector<data::DeclarationBatch> batches_;
  std::vector<std::vector<float>> scores_;
  InspectionOutcomes gathered_outcomes_;
  std::deque<SharedOutcome> in_flight_;
  std::deque<SharedProfiles> profiles_in_flight_;
  std::vector<float> trader_risk_;
  std::vector<std::uint32_t> trader_inspections_;
};

}  // namespace crsim::sim
