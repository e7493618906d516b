#include "crsim/sim/generator.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "declaration_record.h"

namespace crsim::sim {

namespace {
constexpr int kProhibitedIndex = 4;  // bit position of data::kFraudProhibitedGoods
static_assert(data::kFraudProhibitedGoods == 1u << kProhibitedIndex);
}  // namespace

Generator::Generator(const World& world, const ScenarioSpec& spec, std::uint32_t replication)
    : world_(world),
      spec_(spec),
      random_(spec.run.seed, replication),
      ordinary_traders_(OrdinaryTraderCount(world, spec)),
      ecommerce_(world, spec, random_, country_table_, hub_country_) {
  const Traders& traders = world.traders;
  trader_attributes_.resize(ordinary_traders_);
  for (std::size_t t = 0; t < ordinary_traders_; ++t) {
    trader_attributes_[t] = TraderAttributes{
        traders.log_quantity_mean[t],
        traders.registration_day[t],
        static_cast<std::uint16_t>(traders.administration[t]),
        traders.home_office[t],
        static_cast<std::uint16_t>(traders.declarant[t]),
        traders.fraud_prone[t],
        static_cast<std::uint8_t>((!traders.phoenix_firm.empty() && traders.phoenix_firm[t] >= 0 ? data::kFraudPhoenix : 0) |
                                  (!traders.ring.empty() && traders.ring[t] >= 0 ? data::kFraudRing : 0))};
  }
  if (spec.fraud.phoenix.enabled) own_phoenix_ = std::make_unique<PhoenixFirms>(world, spec.fraud.phoenix);
  const FraudSpec& fraud = spec.fraud;
  auto weight = [](bool enabled, double value) { return enabled ? static_cast<float>(value) : 0.0f; };
  typology_weight_[0] = weight(fraud.undervaluation.enabled, fraud.undervaluation.weight);
  typology_weight_[1] = weight(fraud.misclassification.enabled, fraud.misclassification.weight);
  typology_weight_[2] = weight(fraud.origin_misdeclaration.enabled, fraud.origin_misdeclaration.weight);
  typology_weight_[3] = weight(fraud.quantity_misdeclaration.enabled, fraud.quantity_misdeclaration.weight);
  typology_weight_[4] = weight(fraud.prohibited_goods.enabled, fraud.prohibited_goods.weight);
  typology_weight_[5] = weight(fraud.low_value_splitting.enabled, fraud.low_value_splitting.weight);
  undervaluation_factor_min_ = static_cast<float>(fraud.undervaluation.factor_min);
  undervaluation_factor_span_ = static_cast<float>(fraud.undervaluation.factor_max - fraud.undervaluation.factor_min);
  quantity_factor_min_ = static_cast<float>(fraud.quantity_misdeclaration.factor_min);
  quantity_factor_span_ =
      static_cast<float>(fraud.quantity_misdeclaration.factor_max - fraud.quantity_misdeclaration.factor_min);
  severity_min_ = static_cast<float>(fraud.prohibited_goods.severity_min);
  severity_span_ = static_cast<float>(fraud.prohibited_goods.severity_max - fraud.prohibited_goods.severity_min);
  relief_threshold_ = static_cast<float>(spec.catalogue.duty_relief_threshold_eur);
  value_share_min_ = static_cast<float>(fraud.low_value_splitting.value_share_min);
  value_share_span_ =
      static_cast<float>(fraud.low_value_splitting.value_share_max - fraud.low_value_splitting.value_share_min);
  float enabled_weight = 0.0f;
  for (const float w : typology_weight_) enabled_weight += w;
  prohibited_share_ = typology_weight_[kProhibitedIndex] > 0.0f ? typology_weight_[kProhibitedIndex] / enabled_weight : 0.0f;
  route_reveal_probability_ = static_cast<float>(fraud.origin_misdeclaration.route_reveal_probability);
  const ArrivalSpec& arrivals = spec.arrivals;
  if (arrivals.hub_countries.empty()) {
    country_table_ = AliasTable(world.country_weight);
  } else {
    country_table_ = AliasTable(arrivals.hub_weights);
    for (const std::string& iso : arrivals.hub_countries) {
      hub_country_.push_back(static_cast<std::uint16_t>(
          std::find(world.country_iso.begin(), world.country_iso.end(), iso) - world.country_iso.begin()));
    }
  }
  if (!arrivals.transport_modes.empty()) transport_mode_table_ = AliasTable(arrivals.transport_mode_weights);
  for (const AliasTable& table : world.administration_office_table) office_weighted_ = office_weighted_ || table.size() > 0;
  calibrated_ = transport_mode_table_.size() > 0 || world.catalogue.is_explicit() ||
                !spec.catalogue.chapter_origins.empty();
}

std::size_t Generator::OrdinaryTraderCount(const World& world, const ScenarioSpec& spec) {
  const std::size_t consignees =
      spec.arrivals.ecommerce.declarations_per_day > 0.0 ? static_cast<std::size_t>(spec.arrivals.ecommerce.consignees) : 0;
  return world.traders.size() - consignees;
}

std::uint64_t Generator::OrdinaryCount(std::int64_t day) const {
  return PoissonSample(random_, Stream::kArrivals, static_cast<std::uint32_t>(day), 0,
                       spec_.arrivals.declarations_per_day);
}

std::uint64_t Generator::DeclarationCount(std::int64_t day) const { return OrdinaryCount(day) + ecommerce_.Count(day); }

void Generator::RefreshTraderTable(std::int64_t day) {
  // Only traders registered by this day declare. The table changes only on days when a trader
  // registers, so it is rebuilt only then.
  const Traders& traders = world_.traders;
  bool changed = trader_table_day_ < 0 || day < trader_table_day_;
  for (std::size_t t = 0; t < ordinary_traders_ && !changed; ++t) {
    changed = traders.registration_day[t] > trader_table_day_ && traders.registration_day[t] <= day;
  }
  trader_table_day_ = day;
  if (!changed) return;
  std::vector<double> weights(ordinary_traders_);
  for (std::size_t t = 0; t < ordinary_traders_; ++t) {
    weights[t] = traders.registration_day[t] <= day ? traders.volume_weight[t] : 0.0;
  }
  trader_table_ = AliasTable(weights);
}

void Generator::BuildPhoenixTraderTable(std::int64_t day, const PhoenixFirms& phoenix) {
  const Traders& traders = world_.traders;
  std::vector<double> weights(ordinary_traders_);
  for (std::uint32_t t = 0; t < ordinary_traders_; ++t) {
    const bool trades = traders.phoenix_firm[t] >= 0 ? phoenix.IsActive(t) : traders.registration_day[t] <= day;
    weights[t] = trades ? traders.volume_weight[t] : 0.0;
  }
  trader_table_ = AliasTable(weights);
  trader_table_day_ = -1;  // RefreshTraderTable must rebuild
}

void Generator::GenerateDay(std::int64_t day, data::DeclarationBatch& batch, std::size_t chunk_size,
                            const AdaptiveFraudsters* fraudsters, PhoenixFirms* phoenix) {
  GenerateRows(day, OrdinaryCount(day), batch, chunk_size, fraudsters, phoenix, ecommerce_.Count(day));
}

void Generator::GenerateRows(std::int64_t day, std::size_t count, data::DeclarationBatch& batch,
                             std::size_t chunk_size, const AdaptiveFraudsters* fraudsters, PhoenixFirms* phoenix,
                             std::size_t ecommerce_count) {
  if (own_phoenix_) {
    PhoenixFirms& firms = phoenix != nullptr ? *phoenix : *own_phoenix_;
    firms.BeginDay(day);
    BuildPhoenixTraderTable(day, firms);
    phoenix_ = &firms;
  } else {
    RefreshTraderTable(day);
  }
  batch.Reset(day, count + ecommerce_count);
  last_day_ecommerce_ = ecommerce_count;
  const std::size_t chunk = std::max<std::size_t>(1, chunk_size);
  const std::size_t chunks = (count + chunk - 1) / chunk;
  // Chunks [0, chunks) are the ordinary records, the others the e-commerce stream's (rows count + j).
  const std::size_t all_chunks = chunks + (ecommerce_count + chunk - 1) / chunk;
  std::vector<std::uint64_t> deterred(chunks, 0);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, all_chunks, 1),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t c = range.begin(); c != range.end(); ++c) {
                        if (c < chunks) {
                          deterred[c] = FillRows(day, c * chunk, std::min(count, (c + 1) * chunk), batch, fraudsters);
                        } else {
                          const std::size_t begin = (c - chunks) * chunk;
                          ecommerce_.Fill(day, count, begin, std::min(ecommerce_count, begin + chunk),
                                          batch.mutable_declared(), batch.mutable_truth());
                        }
                      }
                    });
  last_day_deterred_ = 0;
  for (const std::uint64_t n : deterred) last_day_deterred_ += n;
}

std::uint64_t Generator::FillRows(std::int64_t day, std::size_t begin, std::size_t end,
                                  data::DeclarationBatch& batch, const AdaptiveFraudsters* fraudsters) const {
  std::uint64_t deterred = 0;
  const Traders& traders = world_.traders;
  const auto day_word = static_cast<std::uint32_t>(day);
  data::DeclaredColumns& declared = batch.mutable_declared();
  data::TruthColumns& truth = batch.mutable_truth();
  constexpr std::size_t kTile = 32;
  std::array<RandomBlock, kTile> pick;
  std::array<std::uint32_t, kTile> tile_trader;
  // No mode is declared outside calibrated scenarios: one fill per chunk instead of a store per record.
  if (!calibrated_) std::fill(declared.transport_mode.data() + begin, declared.transport_mode.data() + end, std::uint16_t{0});
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
      deterred += FillRecord(day, tile_begin + j, tile_trader[j], pick[j], declared, truth, fraudsters) ? 1 : 0;
    }
  }
  return deterred;
}

std::uint32_t Generator::WeightedOffice(std::uint32_t administration, std::uint32_t uniform_word, std::uint32_t day_word,
                                        std::uint32_t record) const {
  const AliasTable& table = world_.administration_office_table[administration];
  const std::uint32_t first = world_.administration_first_office[administration];
  if (table.size() == 0) return UniformIndex(uniform_word, world_.administration_first_office[administration + 1] - first);
  const RandomBlock extra = random_.Block(Stream::kGenerate, day_word, record, 5);
  return table.Sample(extra[2], extra[3]);
}

void Generator::DrawCalibrated(std::uint32_t day_word, std::uint32_t record, std::uint32_t true_hs6, float normal,
                               float& log_quantity, std::uint16_t& origin, std::uint16_t& transport_mode) const {
  const Catalogue& catalogue = world_.catalogue;
  if (catalogue.is_explicit()) {
    log_quantity = catalogue.log_quantity_mean[true_hs6] + catalogue.log_quantity_sd[true_hs6] * normal;
  }
  const std::uint8_t chapter = catalogue.chapter[true_hs6];
  if (const AliasTable& origins = world_.chapter_origin_table[chapter]; origins.size() > 0) {
    const RandomBlock words = random_.Block(Stream::kGenerate, day_word, record, 6);
    origin = world_.chapter_origin_country[chapter][origins.Sample(words[0], words[1])];
  }
  if (transport_mode_table_.size() > 0) {
    const RandomBlock extra = random_.Block(Stream::kGenerate, day_word, record, 5);
    transport_mode = static_cast<std::uint16_t>(1 + transport_mode_table_.Sample(extra[0], extra[1]));
  }
}

float Generator::ChooseUnderstatement(const AdaptiveFraudsters& fraudsters, std::uint32_t trader, std::uint16_t office,
                                      std::uint32_t slot, float magnitude, std::uint32_t word) const {
  const std::uint32_t levels = fraudsters.levels();
  const float scaled = magnitude * static_cast<float>(levels);
  const std::uint32_t usual = std::min(levels - 1, static_cast<std::uint32_t>(scaled));
  const AdaptiveFraudsters::LevelChoice choice = fraudsters.ChooseLevel(trader, office, slot, usual, word);
  if (choice.deterred) return -1.0f;
  // The drawn position within its level is kept at the chosen level.
  return (static_cast<float>(choice.level) + (scaled - static_cast<float>(usual))) / static_cast<float>(levels);
}

int Generator::ChooseRoute(const AdaptiveFraudsters& fraudsters, std::uint32_t trader, std::uint16_t office,
                           std::uint32_t slot, std::uint32_t indirect_word, std::uint32_t word) const {
  const std::uint32_t usual = UniformDouble(indirect_word) < spec_.arrivals.indirect_route_share ? 1 : 0;
  const AdaptiveFraudsters::LevelChoice choice = fraudsters.ChooseRoute(trader, office, slot, usual, word);
  return choice.deterred ? -1 : static_cast<int>(choice.level);
}

void Generator::ApplyActor(std::uint32_t day_word, std::uint32_t record, std::uint32_t trader, std::uint8_t actor,
                           std::int32_t& registration_day, double& fraud_rate, std::uint32_t& declarant) const {
  const FraudSpec& fraud = spec_.fraud;
  if (actor & data::kFraudPhoenix) {
    registration_day = phoenix_->RegistrationDay(trader);
    fraud_rate = fraud.phoenix.fraud_rate;
  }
  if (actor & data::kFraudRing) {
    fraud_rate = fraud.rings.fraud_rate;
    const RandomBlock words = random_.Block(Stream::kGenerate, day_word, record, 7);
    if (UniformDouble(words[0]) < fraud.rings.declarant_share) {
      declarant = world_.rings.declarant[static_cast<std::size_t>(world_.traders.ring[trader])];
    }
  }
}

bool Generator::FillRecord(std::int64_t day, std::size_t row, std::uint32_t trader, const RandomBlock& pick,
                           data::DeclaredColumns& declared, data::TruthColumns& truth,
                           const AdaptiveFraudsters* fraudsters) const {
  const Catalogue& catalogue = world_.catalogue;
  const Traders& traders = world_.traders;
  const TraderAttributes& attributes = trader_attributes_[trader];
  const FraudSpec& fraud = spec_.fraud;
  const auto day_word = static_cast<std::uint32_t>(day);
  const auto record = static_cast<std::uint32_t>(row);
  const RandomBlock place = random_.Block(Stream::kGenerate, day_word, record, 1);
  const RandomBlock cheat = random_.Block(Stream::kGenerate, day_word, record, 2);
  const RandomBlock route = random_.Block(Stream::kGenerate, day_word, record, 3);
  std::uint32_t hs6_slot = UniformIndex(pick[2], traders.portfolio_hs6_width);
  std::uint16_t origin =
      traders.portfolio_origin[static_cast<std::size_t>(trader) * traders.portfolio_origin_width +
                               UniformIndex(pick[3], traders.portfolio_origin_width)];
  std::uint16_t office = attributes.home_office;
  if (UniformDouble(place[0]) >= spec_.traders.home_office_share) {
    const std::uint32_t first = world_.administration_first_office[attributes.administration];
    const std::uint32_t offices = world_.administration_first_office[attributes.administration + 1] - first;
    const std::uint32_t pick_office = office_weighted_ ? WeightedOffice(attributes.administration, place[1], day_word, record)
                                                       : UniformIndex(place[1], offices);
    office = static_cast<std::uint16_t>(first + pick_office);
  }
  std::int32_t registration_day = attributes.registration_day;
  double fraud_rate = attributes.fraud_prone ? fraud.fraud_prone_rate : fraud.honest_rate;
  std::uint32_t declarant = attributes.declarant;
  if (attributes.actor != 0) [[unlikely]] {
    ApplyActor(day_word, record, trader, attributes.actor, registration_day, fraud_rate, declarant);
  }
  bool attempt = UniformDouble(cheat[0]) < fraud_rate;
  bool deterred = false;
  std::uint32_t level_word = 0;  // an adaptive undervaluation's choice of level (block 4, word 2)
  std::uint32_t route_word = 0;  // an adaptive transshipment's choice of route (block 4, word 3)
  int chosen_route = -1;         // that choice: 0 direct, 1 via a hub; -1 = drawn as usual
  if (attempt && fraudsters != nullptr && attributes.fraud_prone) {
    // An adaptive fraudster moves its attempt where it believes controls are fewer, or gives up.
    const RandomBlock choose = random_.Block(Stream::kGenerate, day_word, record, 4);
    level_word = choose[2];
    route_word = choose[3];
    const AdaptiveFraudsters::Choice choice = fraudsters->Choose(trader, office, hs6_slot, choose[0], choose[1]);
    deterred = choice.deterred;
    attempt = !deterred;
    office = choice.office;
    hs6_slot = choice.slot;
  }
  const std::uint32_t true_hs6 =
      traders.portfolio_hs6[static_cast<std::size_t>(trader) * traders.portfolio_hs6_width + hs6_slot];
  const auto normals = StandardNormalPairFloat(place[2], place[3]);
  float log_quantity = attributes.log_quantity_mean + normals[0];
  std::uint16_t transport_mode = 0;
  if (calibrated_) [[unlikely]] {
    DrawCalibrated(day_word, record, true_hs6, normals[0], log_quantity, origin, transport_mode);
  }
  const float quantity = std::exp(log_quantity);
  const float unit_price = std::exp(catalogue.log_price_mean[true_hs6] + catalogue.log_price_sd[true_hs6] * normals[1]);
  const float true_value = quantity * unit_price;

  float declared_value = true_value;
  float declared_quantity = quantity;
  std::uint32_t declared_hs6 = true_hs6;
  std::uint16_t declared_origin = origin;
  std::uint8_t fraud_type = 0;
  float duty_evaded = 0.0f;
  float severity = 0.0f;
  bool route_revealed = false;
  if (attempt) {
    // Prohibited goods take a fixed share of attempts, their weight over the sum of enabled weights,
    // whatever the good; the rest choose among the revenue typologies available where they evade a
    // positive duty (the consignment owes duty as it truly is, and the typology has something to
    // alter), weights renormalised. One word serves both choices.
    float choice = UniformFloat(cheat[1]);
    bool prohibited = false;
    if (prohibited_share_ > 0.0f) {
      prohibited = choice < prohibited_share_;
      choice = prohibited ? 0.0f : (choice - prohibited_share_) / (1.0f - prohibited_share_);
    }
    const std::uint32_t targets_begin = catalogue.misclassification_offsets[true_hs6];
    const std::uint32_t targets = catalogue.misclassification_offsets[true_hs6 + 1] - targets_begin;
    const AdditionalDuty* additional = world_.duties.Find(catalogue.chapter[true_hs6], origin);
    const bool owes_duty = !(true_value < world_.duties.relief_threshold_eur);
    const bool has_specific_duty = catalogue.specific_duty[true_hs6] > 0.0f;
    const bool has_ad_valorem = catalogue.tariff_rate[true_hs6] > 0.0f;
    const bool available[data::kNumSchemeTypes] = {
        owes_duty && has_ad_valorem,
        owes_duty && targets > 0,
        owes_duty && additional != nullptr && additional->transit_end > additional->transit_begin,
        owes_duty && has_specific_duty,
        false,  // prohibited goods: chosen above
        owes_duty && world_.duties.relief_threshold_eur > 0.0 &&
            (has_ad_valorem || has_specific_duty || additional != nullptr),
    };
    float total_weight = 0.0f;
    for (int t = 0; t < data::kNumSchemeTypes; ++t) total_weight += available[t] ? typology_weight_[t] : 0.0f;
    if (prohibited || total_weight > 0.0f) {
      // The first typology whose cumulative weight exceeds u x total (the last available one when
      // rounding leaves none).
      const float target = choice * total_weight;
      float cumulative = 0.0f;
      int chosen = prohibited ? kProhibitedIndex : -1;
      for (int t = 0; t < data::kNumSchemeTypes && !prohibited; ++t) {
        if (!available[t] || typology_weight_[t] <= 0.0f) continue;
        chosen = t;
        cumulative += typology_weight_[t];
        if (target < cumulative) break;
      }
      fraud_type = static_cast<std::uint8_t>(1u << chosen);
      // cheat[2] is the chosen typology's magnitude, cheat[3] its choice of target.
      const float magnitude = UniformFloat(cheat[2]);
      switch (fraud_type) {
        case data::kFraudUndervaluation: {
          float position = magnitude;
          if (fraudsters != nullptr && attributes.fraud_prone && fraudsters->levels() > 1) [[unlikely]] {
            position = ChooseUnderstatement(*fraudsters, trader, office, hs6_slot, magnitude, level_word);
            if (position < 0.0f) {  // deterred: the consignment is declared honestly
              deterred = true;
              fraud_type = 0;
              break;
            }
          }
          declared_value = true_value * (undervaluation_factor_min_ + undervaluation_factor_span_ * position);
          break;
        }
        case data::kFraudMisclassification:
          declared_hs6 = catalogue.misclassification_targets[targets_begin + UniformIndex(cheat[3], targets)];
          break;
        case data::kFraudOriginMisdeclaration:
          declared_origin = world_.duties.transit_countries[additional->transit_begin +
                                                            UniformIndex(cheat[3], additional->transit_end -
                                                                                       additional->transit_begin)];
          route_revealed = UniformFloat(route[3]) < route_reveal_probability_;
          if (fraudsters != nullptr && attributes.fraud_prone && fraudsters->chooses_route()) [[unlikely]] {
            chosen_route = ChooseRoute(*fraudsters, trader, office, hs6_slot, route[0], route_word);
            if (chosen_route < 0) {  // deterred: the consignment is declared honestly
              deterred = true;
              fraud_type = 0;
              declared_origin = origin;
              route_revealed = false;
            }
          }
          break;
        case data::kFraudQuantityMisdeclaration:
          declared_quantity = quantity * (quantity_factor_min_ + quantity_factor_span_ * magnitude);
          break;
        case data::kFraudProhibitedGoods:
          severity = severity_min_ + severity_span_ * magnitude;
          break;
        default: {  // low-value splitting: the declared part keeps the consignment's unit value
          declared_value = relief_threshold_ * (value_share_min_ + value_share_span_ * magnitude);
          declared_quantity = quantity * (declared_value / true_value);
          break;
        }
      }
      if (fraud_type != 0) fraud_type |= attributes.actor;
      duty_evaded = static_cast<float>(DutyOwed(world_, true_hs6, origin, true_value, quantity) -
                                       DutyOwed(world_, declared_hs6, declared_origin, declared_value,
                                                declared_quantity));
    }
  }
  // The route: from the declared origin, or via a hub country for a share of consignments; a
  // transshipment betrays its true origin with route_reveal_probability.
  std::uint16_t departure = declared_origin;
  if (route_revealed) {
    departure = origin;
  } else if (chosen_route >= 0 ? chosen_route == 1 : UniformDouble(route[0]) < spec_.arrivals.indirect_route_share) {
    const std::uint32_t hub = country_table_.Sample(route[1], route[2]);
    departure = static_cast<std::uint16_t>(hub_country_.empty() ? hub : hub_country_[hub]);
  }

  StoreRecord(day, row,
              DeclarationRecord{trader, office, declared_hs6, catalogue.chapter[declared_hs6], declared_origin,
                                declared_value, declared_quantity, static_cast<float>(day - registration_day),
                                declarant, departure, fraud_type, true_value, true_hs6, duty_evaded,
                                quantity, origin, severity},
              declared, truth);
  if (calibrated_) declared.transport_mode[row] = transport_mode;  // else FillRows zeroes the chunk
  return deterred;
}

}  // namespace crsim::sim
