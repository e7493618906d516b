#include "crsim/sim/ecommerce.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "declaration_record.h"

namespace crsim::sim {

namespace {
// kWorld entity of the consignees' draws: (kEcommerceEntity, consignee, 0). Apart from world.cc's
// entities (1..7), so that adding the stream changes no draw of the ordinary world.
constexpr std::uint32_t kEcommerceEntity = 0x45;
}  // namespace

void AppendEcommerceParties(const ScenarioSpec& spec, const CounterRandom& random, World& world) {
  const EcommerceSpec& ecommerce = spec.arrivals.ecommerce;
  Traders& traders = world.traders;
  world.ordinary_traders = static_cast<std::uint32_t>(traders.size());
  world.ecommerce_first_declarant = world.declarants;
  if (ecommerce.declarations_per_day <= 0.0) return;
  const auto consignees = static_cast<std::uint32_t>(ecommerce.consignees);
  const std::size_t total = traders.size() + consignees;
  traders.volume_weight.resize(total, 0.0);
  traders.fraud_prone.resize(total, 0);
  traders.aeo.resize(total, 0);
  traders.log_quantity_mean.resize(total, 0.0f);
  traders.portfolio_hs6.resize(total * traders.portfolio_hs6_width, 0);
  traders.portfolio_origin.resize(total * traders.portfolio_origin_width, 0);
  traders.declarant.resize(total, world.ecommerce_first_declarant);
  if (!traders.phoenix_firm.empty()) traders.phoenix_firm.resize(total, -1);
  if (!traders.ring.empty()) traders.ring.resize(total, -1);
  std::vector<double> administration_weights;
  for (const AdministrationSpec& administration : spec.administrations) {
    administration_weights.push_back(administration.trade_share);
  }
  const AliasTable administration_table(administration_weights);
  const auto max_age = static_cast<std::uint32_t>(spec.traders.max_age_days);
  for (std::uint32_t k = 0; k < consignees; ++k) {
    const RandomBlock words = random.Block(Stream::kWorld, kEcommerceEntity, k, 0);
    const std::uint32_t administration = administration_table.Sample(words[0], words[1]);
    traders.administration.push_back(administration);
    traders.home_office.push_back(static_cast<std::uint16_t>(world.administration_first_office[administration]));
    traders.registration_day.push_back(-1 - static_cast<std::int32_t>(UniformIndex(words[2], max_age)));
  }
  world.declarants += static_cast<std::uint32_t>(ecommerce.intermediaries);
}

std::vector<std::int64_t> EcommerceChapters(const EcommerceSpec& spec, const Catalogue& catalogue) {
  if (!spec.hs_chapters.empty()) return spec.hs_chapters;
  const std::set<std::int64_t> present(catalogue.chapter.begin(), catalogue.chapter.end());
  std::vector<std::int64_t> chapters;
  for (const std::int64_t chapter : kDefaultEcommerceChapters) {
    if (present.count(chapter) != 0) chapters.push_back(chapter);
  }
  if (chapters.empty()) chapters.assign(present.begin(), present.end());
  return chapters;
}

EcommerceStream::EcommerceStream(const World& world, const ScenarioSpec& spec, const CounterRandom& random,
                                 const AliasTable& hub_table, const std::vector<std::uint16_t>& hub_country)
    : world_(world),
      spec_(spec.arrivals.ecommerce),
      random_(random),
      hub_table_(hub_table),
      hub_country_(hub_country),
      indirect_route_share_(spec.arrivals.indirect_route_share) {
  if (spec_.declarations_per_day <= 0.0) return;
  const Catalogue& catalogue = world.catalogue;
  // Codes: a chapter's weight spread over its codes (equally, or by weight in an explicit catalogue).
  const std::vector<std::int64_t> chapters = EcommerceChapters(spec_, catalogue);
  std::vector<double> code_weights;
  for (std::size_t c = 0; c < chapters.size(); ++c) {
    const double chapter_weight = spec_.hs_chapter_weights.empty() ? 1.0 : spec_.hs_chapter_weights[c];
    double chapter_total = 0.0;
    const std::size_t first = code_.size();
    for (std::uint32_t h = 0; h < catalogue.size(); ++h) {
      if (catalogue.chapter[h] != chapters[c]) continue;
      code_.push_back(h);
      code_weights.push_back(catalogue.is_explicit() ? catalogue.weight[h] : 1.0);
      chapter_total += code_weights.back();
    }
    for (std::size_t i = first; i < code_.size(); ++i) code_weights[i] *= chapter_weight / chapter_total;
  }
  code_table_ = AliasTable(code_weights);

  std::vector<double> office_weights;
  if (spec_.offices.empty()) {
    for (std::uint32_t a = 0; a < spec.administrations.size(); ++a) {
      const std::uint32_t first = world.administration_first_office[a];
      const std::uint32_t count = world.administration_first_office[a + 1] - first;
      for (std::uint32_t o = first; o < first + count; ++o) {
        office_.push_back(static_cast<std::uint16_t>(o));
        office_weights.push_back(spec.administrations[a].trade_share / count);
      }
    }
  } else {
    for (std::size_t i = 0; i < spec_.offices.size(); ++i) {
      const auto found = std::find_if(world.offices.begin(), world.offices.end(),
                                      [&](const Office& office) { return office.name == spec_.offices[i]; });
      office_.push_back(static_cast<std::uint16_t>(found - world.offices.begin()));
    }
    office_weights = spec_.office_weights;
  }
  office_table_ = AliasTable(office_weights);

  if (spec_.origins.empty()) {
    for (std::size_t c = 0; c < world.country_iso.size(); ++c) origin_.push_back(static_cast<std::uint16_t>(c));
    origin_table_ = AliasTable(world.country_weight);
  } else {
    for (const std::string& iso : spec_.origins) {
      origin_.push_back(static_cast<std::uint16_t>(
          std::find(world.country_iso.begin(), world.country_iso.end(), iso) - world.country_iso.begin()));
    }
    origin_table_ = AliasTable(spec_.origin_weights);
  }

  std::vector<double> intermediary_weights(static_cast<std::size_t>(spec_.intermediaries));
  for (std::size_t k = 0; k < intermediary_weights.size(); ++k) {
    intermediary_weights[k] = std::pow(static_cast<double>(k) + 1.0, -spec_.intermediary_zipf_exponent);
  }
  intermediary_table_ = AliasTable(intermediary_weights);
  first_consignee_ = world.ordinary_traders;
  consignees_ = static_cast<std::uint32_t>(spec_.consignees);
  first_declarant_ = world.ecommerce_first_declarant;

  value_log_mean_ = static_cast<float>(spec_.value_log_mean);
  value_log_sd_ = static_cast<float>(spec_.value_log_sd);
  fraud_rate_ = static_cast<float>(spec_.fraud_rate);
  const FraudSpec& fraud = spec.fraud;
  const auto weight = [](bool enabled, double value) { return enabled ? static_cast<float>(value) : 0.0f; };
  undervaluation_weight_ = weight(fraud.undervaluation.enabled, fraud.undervaluation.weight);
  splitting_weight_ = weight(fraud.low_value_splitting.enabled, fraud.low_value_splitting.weight);
  const float prohibited_weight = weight(fraud.prohibited_goods.enabled, fraud.prohibited_goods.weight);
  const float total = undervaluation_weight_ + splitting_weight_ + prohibited_weight;
  prohibited_share_ = prohibited_weight > 0.0f ? prohibited_weight / total : 0.0f;
  relief_threshold_ = static_cast<float>(spec.catalogue.duty_relief_threshold_eur);
  value_share_min_ = static_cast<float>(fraud.low_value_splitting.value_share_min);
  value_share_span_ =
      static_cast<float>(fraud.low_value_splitting.value_share_max - fraud.low_value_splitting.value_share_min);
  severity_min_ = static_cast<float>(fraud.prohibited_goods.severity_min);
  severity_span_ = static_cast<float>(fraud.prohibited_goods.severity_max - fraud.prohibited_goods.severity_min);
}

std::uint64_t EcommerceStream::Count(std::int64_t day) const {
  if (spec_.declarations_per_day <= 0.0) return 0;
  return PoissonSample(random_, Stream::kArrivals, static_cast<std::uint32_t>(day), 1, spec_.declarations_per_day);
}

void EcommerceStream::Fill(std::int64_t day, std::size_t first_row, std::size_t begin, std::size_t end,
                           data::DeclaredColumns& declared, data::TruthColumns& truth) const {
  const Catalogue& catalogue = world_.catalogue;
  const auto day_word = static_cast<std::uint32_t>(day);
  for (std::size_t j = begin; j < end; ++j) {
    const auto record = static_cast<std::uint32_t>(j);
    const RandomBlock parties = random_.Block(Stream::kEcommerce, day_word, record, 0);
    const RandomBlock goods = random_.Block(Stream::kEcommerce, day_word, record, 1);
    const RandomBlock places = random_.Block(Stream::kEcommerce, day_word, record, 2);
    const RandomBlock draws = random_.Block(Stream::kEcommerce, day_word, record, 3);
    const std::uint32_t consignee = first_consignee_ + UniformIndex(parties[0], consignees_);
    const std::uint32_t declarant = first_declarant_ + intermediary_table_.Sample(parties[1], parties[2]);
    const std::uint32_t hs6 = code_[code_table_.Sample(goods[0], goods[1])];
    const std::uint16_t office = office_[office_table_.Sample(goods[2], goods[3])];
    const std::uint16_t origin = origin_[origin_table_.Sample(places[0], places[1])];
    std::uint16_t departure = origin;
    if (UniformDouble(parties[3]) < indirect_route_share_) {
      const std::uint32_t hub = hub_table_.Sample(places[2], places[3]);
      departure = static_cast<std::uint16_t>(hub_country_.empty() ? hub : hub_country_[hub]);
    }
    const auto normals = StandardNormalPairFloat(draws[0], draws[1]);
    const float true_value = std::exp(value_log_mean_ + value_log_sd_ * normals[0]);
    const float unit_price = std::exp(catalogue.log_price_mean[hs6] + catalogue.log_price_sd[hs6] * normals[1]);
    const float quantity = true_value / unit_price;

    float declared_value = true_value;
    float declared_quantity = quantity;
    std::uint8_t fraud_type = 0;
    float duty_evaded = 0.0f;
    float severity = 0.0f;
    if (UniformFloat(draws[2]) < fraud_rate_) {
      // One word chooses prohibited goods (a fixed share) or else a revenue typology among the
      // available ones, weights renormalised (as in the ordinary stream).
      float choice = UniformFloat(draws[3]);
      const bool prohibited = choice < prohibited_share_;
      choice = prohibited ? 0.0f : (choice - prohibited_share_) / (1.0f - prohibited_share_);
      const bool owes_duty = relief_threshold_ > 0.0f && !(true_value < relief_threshold_);
      const bool has_ad_valorem = catalogue.tariff_rate[hs6] > 0.0f;
      const bool any_duty = has_ad_valorem || catalogue.specific_duty[hs6] > 0.0f ||
                            world_.duties.Find(catalogue.chapter[hs6], origin) != nullptr;
      const float undervaluation = owes_duty && has_ad_valorem ? undervaluation_weight_ : 0.0f;
      const float splitting = owes_duty && any_duty ? splitting_weight_ : 0.0f;
      const float magnitude = UniformFloat(random_.Block(Stream::kEcommerce, day_word, record, 4)[0]);
      if (prohibited) {
        fraud_type = data::kFraudProhibitedGoods;
        severity = severity_min_ + severity_span_ * magnitude;
      } else if (undervaluation + splitting > 0.0f) {
        fraud_type = choice * (undervaluation + splitting) < undervaluation ? data::kFraudUndervaluation
                                                                             : data::kFraudLowValueSplitting;
        declared_value = relief_threshold_ * (value_share_min_ + value_share_span_ * magnitude);
        if (fraud_type == data::kFraudLowValueSplitting) declared_quantity = quantity * (declared_value / true_value);
        duty_evaded = static_cast<float>(DutyOwed(world_, hs6, origin, true_value, quantity) -
                                         DutyOwed(world_, hs6, origin, declared_value, declared_quantity));
      }
    }

    const std::size_t row = first_row + j;
    StoreRecord(day, row,
                DeclarationRecord{consignee, office, hs6, catalogue.chapter[hs6], origin, declared_value,
                                  declared_quantity,
                                  static_cast<float>(day - world_.traders.registration_day[consignee]), declarant,
                                  departure, fraud_type, true_value, hs6, duty_evaded, quantity, origin, severity},
                declared, truth);
    declared.transport_mode[row] = 0;
  }
}

}  // namespace crsim::sim
