#include "crsim/sim/generator.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::sim {

Generator::Generator(const World& world, const ScenarioSpec& spec, std::uint32_t replication)
    : world_(world), spec_(spec), random_(spec.run.seed, replication) {
  const Traders& traders = world.traders;
  trader_attributes_.resize(traders.size());
  for (std::size_t t = 0; t < traders.size(); ++t) {
    trader_attributes_[t] = TraderAttributes{traders.log_quantity_mean[t], traders.registration_day[t],
                                             traders.administration[t], traders.home_office[t],
                                             traders.fraud_prone[t]};
  }
  const FraudSpec& fraud = spec.fraud;
  undervaluation_weight_ = fraud.undervaluation.enabled ? static_cast<float>(fraud.undervaluation.weight) : 0.0f;
  misclassification_weight_ =
      fraud.misclassification.enabled ? static_cast<float>(fraud.misclassification.weight) : 0.0f;
}

std::uint64_t Generator::DeclarationCount(std::int64_t day) const {
  return PoissonSample(random_, Stream::kArrivals, static_cast<std::uint32_t>(day), 0,
                       spec_.arrivals.declarations_per_day);
}

void Generator::RefreshTraderTable(std::int64_t day) {
  // Only traders registered by this day declare. The table changes only on days when a trader
  // registers, so it is rebuilt only then.
  const Traders& traders = world_.traders;
  bool changed = trader_table_day_ < 0 || day < trader_table_day_;
  for (std::size_t t = 0; t < traders.size() && !changed; ++t) {
    changed = traders.registration_day[t] > trader_table_day_ && traders.registration_day[t] <= day;
  }
  trader_table_day_ = day;
  if (!changed) return;
  std::vector<double> weights(traders.size());
  for (std::size_t t = 0; t < traders.size(); ++t) {
    weights[t] = traders.registration_day[t] <= day ? traders.volume_weight[t] : 0.0;
  }
  trader_table_ = AliasTable(weights);
}

void Generator::GenerateDay(std::int64_t day, data::DeclarationBatch& batch, std::size_t chunk_size) {
  GenerateRows(day, DeclarationCount(day), batch, chunk_size);
}

void Generator::GenerateRows(std::int64_t day, std::size_t count, data::DeclarationBatch& batch,
                             std::size_t chunk_size) {
  RefreshTraderTable(day);
  batch.Reset(day, count);
  const std::size_t chunk = std::max<std::size_t>(1, chunk_size);
  const std::size_t chunks = (count + chunk - 1) / chunk;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t c = range.begin(); c != range.end(); ++c) {
                        FillRows(day, c * chunk, std::min(count, (c + 1) * chunk), batch);
                      }
                    });
}

void Generator::FillRows(std::int64_t day, std::size_t begin, std::size_t end,
                         data::DeclarationBatch& batch) const {
  const Traders& traders = world_.traders;
  const auto day_word = static_cast<std::uint32_t>(day);
  data::DeclaredColumns& declared = batch.mutable_declared();
  data::TruthColumns& truth = batch.mutable_truth();
  constexpr std::size_t kTile = 32;
  std::array<RandomBlock, kTile> pick;
  std::array<std::uint32_t, kTile> tile_trader;
  for (std::size_t tile_begin = begin; tile_begin < end; tile_begin += kTile) {
    const std::size_t tile_size = std::min(kTile, end - tile_begin);
    // Pass 1: the trader's alias bucket; prefetch its entry.
    for (std::size_t j = 0; j < tile_size; ++j) {
      pick[j] = random_.Block(Stream::kGenerate, day_word, static_cast<std::uint32_t>(tile_begin + j), 0);
      tile_trader[j] = trader_table_.Bucket(pick[j][0]);
      __builtin_prefetch(trader_table_.EntryAddress(tile_trader[j]));
    }
    // Pass 2: resolve the trader; prefetch its attributes and portfolios.
    for (std::size_t j = 0; j < tile_size; ++j) {
      const std::uint32_t trader = trader_table_.Resolve(tile_trader[j], pick[j][1]);
      tile_trader[j] = trader;
      __builtin_prefetch(&trader_attributes_[trader]);
      __builtin_prefetch(&traders.portfolio_hs6[static_cast<std::size_t>(trader) * traders.portfolio_hs6_width]);
      __builtin_prefetch(&traders.portfolio_origin[static_cast<std::size_t>(trader) * traders.portfolio_origin_width]);
    }
    // Pass 3: the record.
    for (std::size_t j = 0; j < tile_size; ++j) {
      FillRecord(day, tile_begin + j, tile_trader[j], pick[j], declared, truth);
    }
  }
}

void Generator::FillRecord(std::int64_t day, std::size_t row, std::uint32_t trader, const RandomBlock& pick,
                           data::DeclaredColumns& declared, data::TruthColumns& truth) const {
  const Catalogue& catalogue = world_.catalogue;
  const Traders& traders = world_.traders;
  const TraderAttributes& attributes = trader_attributes_[trader];
  const FraudSpec& fraud = spec_.fraud;
  const auto day_word = static_cast<std::uint32_t>(day);
  const auto record = static_cast<std::uint32_t>(row);
  const RandomBlock place = random_.Block(Stream::kGenerate, day_word, record, 1);
  const RandomBlock cheat = random_.Block(Stream::kGenerate, day_word, record, 2);
  const std::uint32_t true_hs6 =
      traders.portfolio_hs6[static_cast<std::size_t>(trader) * traders.portfolio_hs6_width +
                            UniformIndex(pick[2], traders.portfolio_hs6_width)];
  const std::uint16_t origin =
      traders.portfolio_origin[static_cast<std::size_t>(trader) * traders.portfolio_origin_width +
                               UniformIndex(pick[3], traders.portfolio_origin_width)];
  std::uint16_t office = attributes.home_office;
  if (UniformDouble(place[0]) >= spec_.traders.home_office_share) {
    const std::uint32_t first = world_.administration_first_office[attributes.administration];
    const std::uint32_t offices = world_.administration_first_office[attributes.administration + 1] - first;
    office = static_cast<std::uint16_t>(first + UniformIndex(place[1], offices));
  }
  const auto normals = StandardNormalPairFloat(place[2], place[3]);
  const float quantity = std::exp(attributes.log_quantity_mean + normals[0]);
  const float unit_price = std::exp(catalogue.log_price_mean[true_hs6] + catalogue.log_price_sd[true_hs6] * normals[1]);
  const float true_value = quantity * unit_price;

  float declared_value = true_value;
  std::uint32_t declared_hs6 = true_hs6;
  std::uint8_t fraud_type = 0;
  float duty_evaded = 0.0f;
  const double fraud_rate = attributes.fraud_prone ? fraud.fraud_prone_rate : fraud.honest_rate;
  if (UniformDouble(cheat[0]) < fraud_rate) {
    const std::uint32_t targets_begin = catalogue.misclassification_offsets[true_hs6];
    const std::uint32_t targets = catalogue.misclassification_offsets[true_hs6 + 1] - targets_begin;
    // A typology is available only where it evades duty: undervaluation needs a positive tariff,
    // misclassification a lower-tariff code to declare.
    const float misclassification_weight = targets > 0 ? misclassification_weight_ : 0.0f;
    const float undervaluation_weight = catalogue.tariff_rate[true_hs6] > 0.0f ? undervaluation_weight_ : 0.0f;
    const float total_weight = undervaluation_weight + misclassification_weight;
    if (total_weight > 0.0f) {
      if (UniformFloat(cheat[1]) * total_weight < undervaluation_weight) {
        fraud_type = data::kFraudUndervaluation;
        const auto factor_min = static_cast<float>(fraud.undervaluation.factor_min);
        const auto factor_span =
            static_cast<float>(fraud.undervaluation.factor_max - fraud.undervaluation.factor_min);
        declared_value = true_value * (factor_min + factor_span * UniformFloat(cheat[2]));
        duty_evaded = catalogue.tariff_rate[true_hs6] * (true_value - declared_value);
      } else {
        fraud_type = data::kFraudMisclassification;
        declared_hs6 = catalogue.misclassification_targets[targets_begin + UniformIndex(cheat[3], targets)];
        duty_evaded = true_value * (catalogue.tariff_rate[true_hs6] - catalogue.tariff_rate[declared_hs6]);
      }
    }
  }

  declared.declaration_id[row] = (static_cast<std::uint64_t>(day) << 32) | record;
  declared.trader[row] = trader;
  declared.office[row] = office;
  declared.hs6[row] = declared_hs6;
  declared.hs_chapter[row] = catalogue.chapter[declared_hs6];
  declared.origin[row] = origin;
  declared.declared_value[row] = declared_value;
  declared.declared_quantity[row] = quantity;
  declared.unit_value[row] = declared_value / quantity;
  declared.trader_age_days[row] = static_cast<float>(day - attributes.registration_day);
  truth.fraud_type[row] = fraud_type;
  truth.true_value[row] = true_value;
  truth.true_hs6[row] = true_hs6;
  truth.duty_evaded[row] = duty_evaded;
}

}  // namespace crsim::sim
