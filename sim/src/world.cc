#include "crsim/sim/world.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>

#include "crsim/sim/ecommerce.h"

namespace crsim::sim {

namespace {

// Entity kinds: the first counter word of the kWorld stream.
enum WorldEntity : std::uint32_t {
  kChapterEntity = 1,
  kCodeEntity = 2,
  kTraderEntity = 3,
  kTraderOfficeEntity = 4,  // home office drawn by office_weights
  kTraderAeoEntity = 5,     // AEO status: counter (kTraderAeoEntity, trader, 0), apart so older draws keep theirs
  kDeclarantEntity = 6,     // a trader's declarant: counter (kDeclarantEntity, trader, 0)
  kPhoenixEntity = 7,       // phoenix layout: (kPhoenixEntity, identity, 0) place and shelf time,
                            // (kPhoenixEntity, 0xFFFFFFFF - j, 0) complicit declarant j
  kRingEntity = 8,          // rings: (kRingEntity, k, 0) step k of the members' draw,
                            // (kRingEntity, 0xFFFFFFFF - r, 0) size and declarant of ring r
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

std::uint8_t SyntheticCatalogueChapter(std::size_t k, std::size_t chapters) {
  // Spread the chosen chapters evenly over the real ones, so a small catalogue still spans
  // animals (01) to art (97).
  const auto& real_chapters = RealHsChapters();
  const std::size_t pick = chapters == 1 ? 0 : k * (real_chapters.size() - 1) / (chapters - 1);
  return real_chapters[pick];
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
  const auto chapters = static_cast<std::size_t>(spec.chapters);
  const auto headings = static_cast<std::uint32_t>(spec.headings_per_chapter);
  const auto subheadings = static_cast<std::uint32_t>(spec.subheadings_per_heading);
  std::vector<std::uint32_t> chapter_first_code;
  for (std::size_t k = 0; k < chapters; ++k) {
    const std::uint8_t chapter = SyntheticCatalogueChapter(k, chapters);
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
  const PhoenixSpec& phoenix = spec.fraud.phoenix;
  // Phoenix identities are drawn like traders count, count + 1, ... (counters no ordinary trader
  // uses), then given their own profile and interleaved (PlacePhoenixIdentities).
  const auto pool = phoenix.enabled ? static_cast<std::uint32_t>(phoenix.firms * phoenix.identities_per_firm) : 0u;
  const auto count = static_cast<std::uint32_t>(t.count) + pool;
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

// Row n of the result is row order[n] of traders (every per-trader vector, portfolios included).
Traders ReorderTraders(const Traders& traders, const std::vector<std::uint32_t>& order) {
  Traders out;
  out.portfolio_hs6_width = traders.portfolio_hs6_width;
  out.portfolio_origin_width = traders.portfolio_origin_width;
  for (const std::uint32_t old : order) {
    out.volume_weight.push_back(traders.volume_weight[old]);
    out.fraud_prone.push_back(traders.fraud_prone[old]);
    out.aeo.push_back(traders.aeo[old]);
    out.home_office.push_back(traders.home_office[old]);
    out.administration.push_back(traders.administration[old]);
    out.registration_day.push_back(traders.registration_day[old]);
    out.log_quantity_mean.push_back(traders.log_quantity_mean[old]);
    const auto hs = traders.portfolio_hs6.begin() + static_cast<std::ptrdiff_t>(old) * traders.portfolio_hs6_width;
    out.portfolio_hs6.insert(out.portfolio_hs6.end(), hs, hs + traders.portfolio_hs6_width);
    const auto origins =
        traders.portfolio_origin.begin() + static_cast<std::ptrdiff_t>(old) * traders.portfolio_origin_width;
    out.portfolio_origin.insert(out.portfolio_origin.end(), origins, origins + traders.portfolio_origin_width);
    out.declarant.push_back(traders.declarant[old]);
    out.phoenix_firm.push_back(traders.phoenix_firm[old]);
  }
  return out;
}

// Declarants of every trader (Zipf over declarant ranks, whatever the trader's profile, so a
// declarant serves honest and fraud-prone traders alike), then the phoenix identities' profile,
// their complicit declarants, and their places among the ordinary traders.
void AssignDeclarantsAndPhoenix(const ScenarioSpec& spec, const CounterRandom& random, World& world) {
  Traders& traders = world.traders;
  const TraderSpec& t = spec.traders;
  const PhoenixSpec& phoenix = spec.fraud.phoenix;
  world.declarants = static_cast<std::uint32_t>(t.declarants);
  std::vector<double> declarant_weights(world.declarants);
  for (std::uint32_t d = 0; d < world.declarants; ++d) {
    declarant_weights[d] = std::pow(static_cast<double>(d) + 1.0, -t.declarant_zipf_exponent);
  }
  const AliasTable declarant_table(declarant_weights);
  traders.declarant.resize(traders.size());
  for (std::uint32_t i = 0; i < traders.size(); ++i) {
    const RandomBlock words = random.Block(Stream::kWorld, kDeclarantEntity, i, 0);
    traders.declarant[i] = declarant_table.Sample(words[0], words[1]);
  }
  if (!phoenix.enabled) return;

  const auto ordinary = static_cast<std::uint32_t>(t.count);
  PhoenixFirmsLayout& layout = world.phoenix;
  layout.firms = static_cast<std::uint32_t>(phoenix.firms);
  layout.identities_per_firm = static_cast<std::uint32_t>(phoenix.identities_per_firm);
  const std::uint32_t pool = layout.firms * layout.identities_per_firm;
  for (std::uint32_t j = 0; j < static_cast<std::uint32_t>(phoenix.complicit_declarants); ++j) {
    // Complicit declarants are drawn uniformly over the declarants (a small broker as likely as a
    // large one; the same one may be drawn twice); they keep their honest clients.
    const RandomBlock words = random.Block(Stream::kWorld, kPhoenixEntity, 0xFFFFFFFFu - j, 0);
    layout.complicit_declarant.push_back(UniformIndex(words[0], world.declarants));
  }
  double ordinary_weight = 0.0;
  for (std::uint32_t i = 0; i < ordinary; ++i) ordinary_weight += traders.volume_weight[i];
  const double firm_weight = phoenix.volume_share / (1.0 - phoenix.volume_share) * ordinary_weight / layout.firms;
  traders.phoenix_firm.assign(traders.size(), -1);
  // Places by volume: an identity goes just before an ordinary trader drawn by volume, so trader
  // indices of phoenix declarations look like everyone's.
  std::vector<double> ordinary_weights(traders.volume_weight.begin(), traders.volume_weight.begin() + ordinary);
  const AliasTable place_table(ordinary_weights);
  layout.shelf_days.resize(pool);
  // place[p]: identity p goes just before ordinary trader place[p].
  std::vector<std::pair<std::uint32_t, std::uint32_t>> place(pool);
  for (std::uint32_t p = 0; p < pool; ++p) {
    const std::uint32_t i = ordinary + p;
    const RandomBlock words = random.Block(Stream::kWorld, kPhoenixEntity, p, 0);
    const std::uint32_t firm = p / layout.identities_per_firm;
    traders.volume_weight[i] = firm_weight;
    traders.fraud_prone[i] = 1;
    traders.aeo[i] = 0;
    traders.registration_day[i] = std::numeric_limits<std::int32_t>::max();
    traders.phoenix_firm[i] = static_cast<std::int32_t>(firm);
    if (UniformDouble(words[0]) < phoenix.declarant_loyalty) {
      traders.declarant[i] = layout.complicit_declarant[firm % layout.complicit_declarant.size()];
    }
    layout.shelf_days[p] =
        static_cast<std::int32_t>(UniformIndex(words[1], static_cast<std::uint32_t>(phoenix.shelf_days_max) + 1));
    place[p] = {place_table.Sample(words[2], words[3]), p};
  }
  std::sort(place.begin(), place.end());
  std::vector<std::uint32_t> order;
  order.reserve(traders.size());
  layout.identity.resize(pool);
  std::size_t next = 0;
  for (std::uint32_t i = 0; i < ordinary; ++i) {
    for (; next < place.size() && place[next].first == i; ++next) {
      layout.identity[place[next].second] = static_cast<std::uint32_t>(order.size());
      order.push_back(ordinary + place[next].second);
    }
    order.push_back(i);
  }
  traders = ReorderTraders(traders, order);
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

namespace {

// Fraud rings: ring r has U{members_min..members_max} members drawn without replacement (a partial
// Fisher-Yates shuffle) among the fraud-prone ordinary traders (not phoenix identities), whatever
// their volume, and a complicit declarant drawn uniformly among all declarants (it keeps its other
// clients). Runs after the phoenix identities are placed, so indices are final.
void AssignRings(const ScenarioSpec& spec, const CounterRandom& random, World& world) {
  const RingsSpec& rings = spec.fraud.rings;
  if (!rings.enabled) return;
  Traders& traders = world.traders;
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t i = 0; i < traders.size(); ++i) {
    if (traders.fraud_prone[i] && (traders.phoenix_firm.empty() || traders.phoenix_firm[i] < 0)) candidates.push_back(i);
  }
  RingsLayout& layout = world.rings;
  traders.ring.assign(traders.size(), -1);
  layout.member_offsets.push_back(0);
  const auto span = static_cast<std::uint32_t>(rings.members_max - rings.members_min + 1);
  std::uint32_t drawn = 0;
  for (std::uint32_t r = 0; r < static_cast<std::uint32_t>(rings.rings); ++r) {
    const RandomBlock ring_words = random.Block(Stream::kWorld, kRingEntity, 0xFFFFFFFFu - r, 0);
    const std::uint32_t members = static_cast<std::uint32_t>(rings.members_min) + UniformIndex(ring_words[0], span);
    layout.declarant.push_back(UniformIndex(ring_words[1], world.declarants));
    for (std::uint32_t m = 0; m < members; ++m, ++drawn) {
      if (drawn >= candidates.size()) {
        // The scenario reader asks for at most half the expected fraud-prone traders; running out
        // needs an absurdly unlucky draw of profiles.
        std::fprintf(stderr, "%s:%d: fraud.rings needs more fraud-prone traders than the world has (%zu)\n", __FILE__,
                     __LINE__, candidates.size());
        std::abort();
      }
      const RandomBlock words = random.Block(Stream::kWorld, kRingEntity, drawn, 0);
      const std::uint32_t pick = drawn + UniformIndex(words[0], static_cast<std::uint32_t>(candidates.size()) - drawn);
      std::swap(candidates[drawn], candidates[pick]);
      layout.member.push_back(candidates[drawn]);
      traders.ring[candidates[drawn]] = static_cast<std::int32_t>(r);
    }
    layout.member_offsets.push_back(static_cast<std::uint32_t>(layout.member.size()));
  }
}

}  // namespace

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
  AssignDeclarantsAndPhoenix(spec, random, world);
  AssignRings(spec, random, world);  // among ordinary traders, a ring declarant among ordinary declarants
  AppendEcommerceParties(spec, random, world);
  return world;
}

}  // namespace crsim::sim
