#include "crsim/sim/world.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

namespace crsim::sim {

namespace {

// Entity kinds: the first counter word of the kWorld stream.
enum WorldEntity : std::uint32_t {
  kChapterEntity = 1,
  kCodeEntity = 2,
  kTraderEntity = 3,
  kTraderOfficeEntity = 4,  // home office drawn by office_weights
  kTraderAeoEntity = 5,     // AEO status: counter (kTraderAeoEntity, trader, 0), apart so older draws keep theirs
};

}  // namespace

const std::vector<std::uint8_t>& RealHsChapters() {
  static const std::vector<std::uint8_t> chapters = [] {
    std::vector<std::uint8_t> result;
    for (std::uint8_t chapter = 1; chapter <= 97; ++chapter) {
      if (chapter != 77) result.push_back(chapter);
    }
    return result;
  }();
  return chapters;
}

AliasTable::AliasTable(const std::vector<double>& weights) {
  const std::size_t n = weights.size();
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (n == 0 || !(total > 0.0)) throw std::invalid_argument("alias table needs a positive total weight");
  entries_.resize(n);
  std::vector<double> scaled(n);
  std::vector<std::uint32_t> small, large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    entries_[i] = Entry{1.0f, static_cast<std::uint32_t>(i)};
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const std::uint32_t s = small.back();
    small.pop_back();
    const std::uint32_t l = large.back();
    entries_[s] = Entry{static_cast<float>(scaled[s]), l};
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Leftovers are 1 up to rounding: they keep threshold 1 (always themselves).
}

namespace {

// A code has a specific duty with probability specific_duty_share, of U(specific_duty_min,
// specific_duty_max) x its median unit price per unit; drawn from its own block so that the rest of
// the catalogue does not depend on these settings.
float SpecificDuty(const CatalogueSpec& spec, const CounterRandom& random, std::uint32_t code, double code_level) {
  if (!(spec.specific_duty_share > 0.0)) return 0.0f;
  const RandomBlock words = random.Block(Stream::kWorld, kCodeEntity, code, 1);
  if (UniformDouble(words[0]) >= spec.specific_duty_share) return 0.0f;
  const double share = spec.specific_duty_min + (spec.specific_duty_max - spec.specific_duty_min) * UniformDouble(words[1]);
  return static_cast<float>(share * std::exp(code_level));
}

Catalogue BuildCatalogue(const CatalogueSpec& spec, const CounterRandom& random) {
  Catalogue catalogue;
  const auto& real_chapters = RealHsChapters();
  const auto chapters = static_cast<std::size_t>(spec.chapters);
  const auto headings = static_cast<std::uint32_t>(spec.headings_per_chapter);
  const auto subheadings = static_cast<std::uint32_t>(spec.subheadings_per_heading);
  std::vector<std::uint32_t> chapter_first_code;
  for (std::size_t k = 0; k < chapters; ++k) {
    // Spread the chosen chapters evenly over the real ones, so a small catalogue still spans
    // animals (01) to art (97).
    const std::size_t pick = chapters == 1 ? 0 : k * (real_chapters.size() - 1) / (chapters - 1);
    const std::uint8_t chapter = real_chapters[pick];
    const RandomBlock chapter_words = random.Block(Stream::kWorld, kChapterEntity, chapter, 0);
    const double chapter_level =
        spec.log_price_mean +
        spec.log_price_chapter_sd * StandardNormalPair(chapter_words[0], chapter_words[1])[0];
    chapter_first_code.push_back(static_cast<std::uint32_t>(catalogue.size()));
    for (std::uint32_t h = 1; h <= headings; ++h) {
      for (std::uint32_t s = 1; s <= subheadings; ++s) {
        const std::uint32_t code = chapter * 10000u + h * 100u + s;
        const RandomBlock words = random.Block(Stream::kWorld, kCodeEntity, code, 0);
        // Tariffs are set in steps of half a percentage point, as in real schedules.
        const double raw_tariff =
            spec.tariff_min + (spec.tariff_max - spec.tariff_min) * UniformDouble(words[0]);
        const double tariff = std::min(spec.tariff_max, std::round(raw_tariff * 200.0) / 200.0);
        const double code_level =
            chapter_level + spec.log_price_code_sd * StandardNormalPair(words[1], words[2])[0];
        const double sd = spec.log_price_sigma_min +
                          (spec.log_price_sigma_max - spec.log_price_sigma_min) * UniformDouble(words[3]);
        catalogue.hs6_code.push_back(code);
        catalogue.chapter.push_back(chapter);
        catalogue.heading.push_back(chapter * 100u + h);
        catalogue.tariff_rate.push_back(static_cast<float>(std::max(spec.tariff_min, tariff)));
        catalogue.log_price_mean.push_back(static_cast<float>(code_level));
        catalogue.log_price_sd.push_back(static_cast<float>(sd));
        catalogue.specific_duty.push_back(SpecificDuty(spec, random, code, code_level));
      }
    }
  }
  chapter_first_code.push_back(static_cast<std::uint32_t>(catalogue.size()));

  // Misclassification targets: codes of the same heading with a strictly lower tariff and no higher
  // specific duty; when the heading has none, such codes of the same chapter.
  const std::uint32_t per_chapter = headings * subheadings;
  catalogue.misclassification_offsets.push_back(0);
  for (std::uint32_t code = 0; code < catalogue.size(); ++code) {
    const std::uint32_t chapter_begin = code / per_chapter * per_chapter;
    const std::uint32_t heading_begin = code / subheadings * subheadings;
    const float tariff = catalogue.tariff_rate[code];
    const float specific = catalogue.specific_duty[code];
    auto collect = [&](std::uint32_t begin, std::uint32_t end) {
      for (std::uint32_t other = begin; other < end; ++other) {
        if (catalogue.tariff_rate[other] < tariff && catalogue.specific_duty[other] <= specific) {
          catalogue.misclassification_targets.push_back(other);
        }
      }
    };
    const std::size_t before = catalogue.misclassification_targets.size();
    collect(heading_begin, heading_begin + subheadings);
    if (catalogue.misclassification_targets.size() == before) collect(chapter_begin, chapter_begin + per_chapter);
    catalogue.misclassification_offsets.push_back(
        static_cast<std::uint32_t>(catalogue.misclassification_targets.size()));
  }
  return catalogue;
}

// The explicit catalogue of catalogue.codes, in file order. Misclassification targets are the codes
// of the same heading (HS4) with a strictly lower tariff and no higher specific duty, else such codes
// of the same chapter.
Catalogue BuildExplicitCatalogue(const CatalogueSpec& spec, const CounterRandom& random) {
  Catalogue catalogue;
  for (const CatalogueCodeSpec& code : spec.codes) {
    const auto hs6 = static_cast<std::uint32_t>(code.hs6);
    catalogue.hs6_code.push_back(hs6);
    catalogue.chapter.push_back(static_cast<std::uint8_t>(hs6 / 10000u));
    catalogue.heading.push_back(hs6 / 100u);
    catalogue.tariff_rate.push_back(static_cast<float>(code.tariff));
    catalogue.log_price_mean.push_back(static_cast<float>(code.log_price_mean));
    catalogue.log_price_sd.push_back(static_cast<float>(code.log_price_sd));
    catalogue.specific_duty.push_back(SpecificDuty(spec, random, hs6, code.log_price_mean));
    catalogue.weight.push_back(code.weight);
    catalogue.log_quantity_mean.push_back(static_cast<float>(code.log_quantity_mean));
    catalogue.log_quantity_sd.push_back(static_cast<float>(code.log_quantity_sd));
  }
  std::map<std::uint32_t, std::vector<std::uint32_t>> by_heading, by_chapter;
  for (std::uint32_t code = 0; code < catalogue.size(); ++code) {
    by_heading[catalogue.heading[code]].push_back(code);
    by_chapter[catalogue.chapter[code]].push_back(code);
  }
  catalogue.misclassification_offsets.push_back(0);
  for (std::uint32_t code = 0; code < catalogue.size(); ++code) {
    auto collect = [&](const std::vector<std::uint32_t>& group) {
      for (const std::uint32_t other : group) {
        if (catalogue.tariff_rate[other] < catalogue.tariff_rate[code] &&
            catalogue.specific_duty[other] <= catalogue.specific_duty[code]) {
          catalogue.misclassification_targets.push_back(other);
        }
      }
    };
    const std::size_t before = catalogue.misclassification_targets.size();
    collect(by_heading[catalogue.heading[code]]);
    if (catalogue.misclassification_targets.size() == before) collect(by_chapter[catalogue.chapter[code]]);
    catalogue.misclassification_offsets.push_back(
        static_cast<std::uint32_t>(catalogue.misclassification_targets.size()));
  }
  return catalogue;
}

Traders BuildTraders(const ScenarioSpec& spec, const World& world, const CounterRandom& random) {
  const TraderSpec& t = spec.traders;
  const auto count = static_cast<std::uint32_t>(t.count);
  Traders traders;
  traders.volume_weight.resize(count);
  traders.fraud_prone.resize(count);
  traders.aeo.assign(count, 0);
  traders.home_office.resize(count);
  traders.administration.resize(count);
  traders.registration_day.resize(count);
  traders.log_quantity_mean.resize(count);
  traders.portfolio_hs6_width = static_cast<std::uint32_t>(t.portfolio_hs6);
  traders.portfolio_origin_width = static_cast<std::uint32_t>(t.portfolio_origins);
  traders.portfolio_hs6.resize(static_cast<std::size_t>(count) * traders.portfolio_hs6_width);
  traders.portfolio_origin.resize(static_cast<std::size_t>(count) * traders.portfolio_origin_width);

  std::vector<double> administration_weights;
  for (const auto& administration : spec.administrations) administration_weights.push_back(administration.trade_share);
  const AliasTable administration_table(administration_weights);
  const AliasTable country_table(world.country_weight);
  const auto num_codes = static_cast<std::uint32_t>(world.catalogue.size());
  // An explicit catalogue fills portfolios by code popularity (two words per code), else uniformly.
  const AliasTable code_table =
      world.catalogue.is_explicit() ? AliasTable(world.catalogue.weight) : AliasTable();

  for (std::uint32_t i = 0; i < count; ++i) {
    // Block 0: profile; block 1: registration and consignment size.
    const RandomBlock profile = random.Block(Stream::kWorld, kTraderEntity, i, 0);
    const RandomBlock extra = random.Block(Stream::kWorld, kTraderEntity, i, 1);
    // Trader i is the (i+1)-th largest: volumes follow a Zipf law over ranks.
    traders.volume_weight[i] = std::pow(static_cast<double>(i) + 1.0, -t.volume_zipf_exponent);
    const bool fraud_prone = UniformDouble(profile[0]) < t.fraud_prone_share;
    traders.fraud_prone[i] = fraud_prone ? 1 : 0;
    const std::uint32_t administration = administration_table.Sample(profile[1], profile[2]);
    traders.administration[i] = administration;
    const std::uint32_t first = world.administration_first_office[administration];
    const std::uint32_t offices = world.administration_first_office[administration + 1] - first;
    const AliasTable& office_table = world.administration_office_table[administration];
    if (office_table.size() == 0) {
      traders.home_office[i] = static_cast<std::uint16_t>(first + UniformIndex(profile[3], offices));
    } else {
      const RandomBlock office_words = random.Block(Stream::kWorld, kTraderOfficeEntity, i, 0);
      traders.home_office[i] = static_cast<std::uint16_t>(first + office_table.Sample(office_words[0], office_words[1]));
    }
    if (t.aeo_share > 0) {
      // P(AEO | profile) so that aeo_share of all traders are AEOs and aeo_fraud_prone_share of them
      // fraud-prone, on average (validation keeps both probabilities <= 1).
      const double prone_share = t.fraud_prone_share;
      const double p_aeo = fraud_prone ? (prone_share > 0 ? t.aeo_share * t.aeo_fraud_prone_share / prone_share : 0.0)
                                       : (prone_share < 1 ? t.aeo_share * (1.0 - t.aeo_fraud_prone_share) / (1.0 - prone_share) : 0.0);
      const RandomBlock aeo_words = random.Block(Stream::kWorld, kTraderAeoEntity, i, 0);
      traders.aeo[i] = UniformDouble(aeo_words[0]) < p_aeo ? 1 : 0;
    }
    const double new_share = fraud_prone ? t.fraud_prone_new_share : t.honest_new_share;
    if (UniformDouble(extra[0]) < new_share) {
      traders.registration_day[i] =
          static_cast<std::int32_t>(UniformIndex(extra[1], static_cast<std::uint32_t>(spec.run.days)));
    } else {
      traders.registration_day[i] =
          -1 - static_cast<std::int32_t>(UniformIndex(extra[1], static_cast<std::uint32_t>(t.max_age_days)));
    }
    traders.log_quantity_mean[i] =
        static_cast<float>(3.0 + 1.5 * StandardNormalPair(extra[2], extra[3])[0]);

    // Portfolios: one word per code (two with an explicit catalogue), two per origin, from blocks 2, 3, ...
    WordSequence words(random, Stream::kWorld, kTraderEntity, i, 2);
    for (std::uint32_t j = 0; j < traders.portfolio_hs6_width; ++j) {
      std::uint32_t code = 0;
      if (code_table.size() == 0) {
        code = UniformIndex(words.Next(), num_codes);
      } else {
        const std::uint32_t bucket = words.Next();
        code = code_table.Sample(bucket, words.Next());
      }
      traders.portfolio_hs6[static_cast<std::size_t>(i) * traders.portfolio_hs6_width + j] = code;
    }
    for (std::uint32_t j = 0; j < traders.portfolio_origin_width; ++j) {
      const std::uint32_t bucket = words.Next();
      traders.portfolio_origin[static_cast<std::size_t>(i) * traders.portfolio_origin_width + j] =
          static_cast<std::uint16_t>(country_table.Sample(bucket, words.Next()));
    }
  }
  return traders;
}

Duties BuildDuties(const ScenarioSpec& spec, const std::vector<std::string>& country_iso) {
  auto country_index = [&](const std::string& iso) {
    return static_cast<std::uint16_t>(std::find(country_iso.begin(), country_iso.end(), iso) - country_iso.begin());
  };
  // Rate per (chapter, origin); a pair listed twice takes the later rate.
  std::vector<std::vector<std::pair<std::uint16_t, float>>> by_chapter(98);
  for (const AdditionalDutySpec& duty : spec.catalogue.additional_duties) {
    for (const std::int64_t chapter : duty.hs_chapters) {
      for (const std::string& origin : duty.origins) {
        auto& entries = by_chapter[static_cast<std::size_t>(chapter)];
        const std::uint16_t index = country_index(origin);
        auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == index; });
        if (it == entries.end()) {
          entries.emplace_back(index, static_cast<float>(duty.rate));
        } else {
          it->second = static_cast<float>(duty.rate);
        }
      }
    }
  }
  Duties duties;
  duties.relief_threshold_eur = spec.catalogue.duty_relief_threshold_eur;
  duties.chapter_offsets.push_back(0);
  for (std::size_t chapter = 0; chapter < by_chapter.size(); ++chapter) {
    auto& entries = by_chapter[chapter];
    std::sort(entries.begin(), entries.end());
    for (const auto& [origin, rate] : entries) {
      AdditionalDuty duty{origin, rate, static_cast<std::uint32_t>(duties.transit_countries.size()), 0};
      for (const std::string& transit_iso : spec.fraud.origin_misdeclaration.transit_countries) {
        const std::uint16_t transit = country_index(transit_iso);
        const auto not_cheaper = std::find_if(entries.begin(), entries.end(), [&](const auto& e) {
          return e.first == transit && e.second >= rate;
        });
        if (transit != origin && not_cheaper == entries.end()) duties.transit_countries.push_back(transit);
      }
      duty.transit_end = static_cast<std::uint32_t>(duties.transit_countries.size());
      duties.entries.push_back(duty);
    }
    duties.chapter_offsets.push_back(static_cast<std::uint32_t>(duties.entries.size()));
  }
  return duties;
}

}  // namespace

double DutyOwed(const World& world, std::uint32_t hs6, std::uint16_t origin, double value, double quantity) {
  if (value < world.duties.relief_threshold_eur) return 0.0;
  const Catalogue& catalogue = world.catalogue;
  const double ad_valorem =
      static_cast<double>(catalogue.tariff_rate[hs6]) + world.duties.AdditionalRate(catalogue.chapter[hs6], origin);
  return ad_valorem * value + static_cast<double>(catalogue.specific_duty[hs6]) * quantity;
}

World BuildWorld(const ScenarioSpec& spec, std::uint32_t replication) {
  const CounterRandom random(spec.run.seed, replication);
  World world;
  world.catalogue = spec.catalogue.codes.empty() ? BuildCatalogue(spec.catalogue, random)
                                                  : BuildExplicitCatalogue(spec.catalogue, random);
  double total_weight = 0.0;
  for (const auto& country : spec.countries) total_weight += country.weight;
  for (const auto& country : spec.countries) {
    world.country_iso.push_back(country.iso);
    world.country_weight.push_back(country.weight / total_weight);
  }
  for (std::uint32_t a = 0; a < spec.administrations.size(); ++a) {
    const AdministrationSpec& administration = spec.administrations[a];
    world.administration_name.push_back(administration.name);
    world.administration_first_office.push_back(static_cast<std::uint32_t>(world.offices.size()));
    for (std::int64_t k = 1; k <= administration.offices; ++k) {
      const std::string name = administration.name + "-" + std::to_string(k);
      world.offices.push_back(Office{name, a, static_cast<std::uint32_t>(administration.inspection_capacity),
                                     static_cast<std::uint32_t>(administration.documentary_capacity),
                                     static_cast<std::uint32_t>(administration.audit_capacity),
                                     administration.office_labels.empty()
                                         ? name
                                         : administration.office_labels[static_cast<std::size_t>(k - 1)]});
    }
    world.administration_office_table.push_back(
        administration.office_weights.empty() ? AliasTable() : AliasTable(administration.office_weights));
  }
  world.administration_first_office.push_back(static_cast<std::uint32_t>(world.offices.size()));
  world.duties = BuildDuties(spec, world.country_iso);
  world.chapter_origin_table.resize(98);
  world.chapter_origin_country.resize(98);
  for (const ChapterOriginsSpec& entry : spec.catalogue.chapter_origins) {
    const auto chapter = static_cast<std::size_t>(entry.chapter);
    world.chapter_origin_table[chapter] = AliasTable(entry.weights);
    for (const std::string& iso : entry.origins) {
      world.chapter_origin_country[chapter].push_back(static_cast<std::uint16_t>(
          std::find(world.country_iso.begin(), world.country_iso.end(), iso) - world.country_iso.begin()));
    }
  }
  world.traders = BuildTraders(spec, world, random);
  return world;
}

}  // namespace crsim::sim
