#include "crsim/sim/calibration.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "crsim/data/input_error.h"
#include "crsim/sim/fidelity.h"
#include "crsim/sim/scenario.h"

namespace crsim::sim {

namespace {

constexpr std::size_t kZipfTop = 50;  // the Zipf exponent matches the share of this many top traders

std::string Num(double value) { return fmt::format("{:.6g}", value); }

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

template <typename Range>
std::string StringArray(const Range& labels) {
  std::string out = "[";
  bool first = true;
  for (const std::string& label : labels) {
    out += (first ? "" : ", ") + Quoted(label);
    first = false;
  }
  return out + "]";
}

std::string NumberArray(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + Num(values[i]);
  return out + "]";
}

// Labels ranked by count (descending, then label ascending) with their counts.
std::vector<std::pair<std::string, double>> Ranked(const std::map<std::string, double>& counts) {
  std::vector<std::pair<std::string, double>> ranked(counts.begin(), counts.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return ranked;
}

const data::ImportedColumn& Required(const data::ImportedDeclarations& imported, const data::ImportSchema& schema,
                                     const std::string& field) {
  const data::ImportedColumn* column = imported.Find(field);
  if (column == nullptr) {
    throw InputError({{schema.source_path, 0, 0, "columns." + field,
                       fmt::format("crsim calibrate needs the field \"{}\": map it to a CSV column in [columns]",
                                   field)}});
  }
  return *column;
}

std::string Text(const data::ImportedColumn& column, std::size_t row) {
  return CategoryLabel(column.dictionary[static_cast<std::size_t>(column.integers[row])]);
}

// Expected share of the top `top` of n Zipf-weighted traders with exponent s.
double ZipfTopShare(std::size_t n, std::size_t top, double s) {
  double head = 0.0, total = 0.0;
  for (std::size_t k = 1; k <= n; ++k) {
    const double w = std::pow(static_cast<double>(k), -s);
    total += w;
    if (k <= top) head += w;
  }
  return head / total;
}

double FitZipfExponent(std::size_t n, std::size_t top, double real_share) {
  double low = 0.0, high = 5.0;
  if (ZipfTopShare(n, top, low) >= real_share) return 0.0;
  if (ZipfTopShare(n, top, high) <= real_share) return 5.0;
  for (int iteration = 0; iteration < 60; ++iteration) {
    const double mid = 0.5 * (low + high);
    (ZipfTopShare(n, top, mid) < real_share ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

// Mean and variance estimates of one quantity per code, shrunk towards the chapter's.
struct Moments {
  double n = 0.0, sum = 0.0, sum_squares = 0.0;
  void Add(double x) {
    n += 1.0;
    sum += x;
    sum_squares += x * x;
  }
  double Mean() const { return sum / n; }
  double SquaredDeviations() const { return std::max(0.0, sum_squares - sum * sum / n); }
};

struct ShrunkEstimate {
  double mean = 0.0, sd = 0.0;
};

// codes: per code, the moments of its usable rows; chapter_of: its chapter.
std::vector<ShrunkEstimate> Shrink(const std::vector<Moments>& codes, const std::vector<int>& chapter_of) {
  Moments all;
  double all_within = 0.0, all_dof = 0.0;
  std::map<int, Moments> chapter;
  std::map<int, std::pair<double, double>> chapter_within;  // squared deviations, degrees of freedom
  for (std::size_t c = 0; c < codes.size(); ++c) {
    if (codes[c].n == 0.0) continue;
    Moments& m = chapter[chapter_of[c]];
    m.n += codes[c].n;
    m.sum += codes[c].sum;
    m.sum_squares += codes[c].sum_squares;
    all.n += codes[c].n;
    all.sum += codes[c].sum;
    all.sum_squares += codes[c].sum_squares;
    auto& [squares, dof] = chapter_within[chapter_of[c]];
    squares += codes[c].SquaredDeviations();
    dof += codes[c].n - 1.0;
    all_within += codes[c].SquaredDeviations();
    all_dof += codes[c].n - 1.0;
  }
  const double all_mean = all.n > 0.0 ? all.Mean() : 0.0;
  const double all_variance = all_dof > 0.0 ? all_within / all_dof : (all.n > 1.0 ? all.SquaredDeviations() / (all.n - 1.0) : 1.0);
  std::vector<ShrunkEstimate> estimates(codes.size());
  for (std::size_t c = 0; c < codes.size(); ++c) {
    double chapter_mean = all_mean, chapter_variance = all_variance;
    if (const auto it = chapter.find(chapter_of[c]); it != chapter.end()) {
      chapter_mean = it->second.Mean();
      const auto& [squares, dof] = chapter_within[chapter_of[c]];
      if (dof >= 2.0) chapter_variance = squares / dof;
    }
    const Moments& m = codes[c];
    estimates[c].mean = (m.sum + kShrinkage * chapter_mean) / (m.n + kShrinkage);
    const double dof = std::max(0.0, m.n - 1.0);
    const double squares = m.n > 0.0 ? m.SquaredDeviations() : 0.0;
    estimates[c].sd = std::sqrt((squares + kShrinkage * chapter_variance) / (dof + kShrinkage));
  }
  return estimates;
}

bool IsCountryCode(const std::string& code) {
  return code.size() == 2 && std::isupper(static_cast<unsigned char>(code[0])) &&
         std::isupper(static_cast<unsigned char>(code[1]));
}

}  // namespace

std::string CalibrateScenario(const data::ImportedDeclarations& imported, const data::ImportSchema& schema,
                              const CalibrationOptions& options) {
  const data::ImportedColumn& date = Required(imported, schema, "date");
  const data::ImportedColumn& hs6 = Required(imported, schema, "hs6");
  const data::ImportedColumn& value = Required(imported, schema, "value");
  const data::ImportedColumn& mass = Required(imported, schema, "mass_kg");
  const data::ImportedColumn& office = Required(imported, schema, "office");
  const data::ImportedColumn& origin = Required(imported, schema, "origin");
  const data::ImportedColumn* departure = imported.Find("departure");
  const data::ImportedColumn* mode = imported.Find("mode");
  const data::ImportedColumn* importer = imported.Find("importer");
  const data::ImportedColumn* tariff = imported.Find("tariff_rate_percent");
  const data::ImportedColumn* fraud = imported.Find("fraud");
  const auto rows = static_cast<std::size_t>(imported.rows);
  if (rows == 0) throw InputError({{imported.source_path, 0, 0, "", "no rows to calibrate from"}});

  // Countries must be ISO codes.
  std::vector<InputProblem> problems;
  auto check_countries = [&](const data::ImportedColumn& column, const std::string& field) {
    for (std::size_t id = 1; id < column.dictionary.size(); ++id) {
      if (!IsCountryCode(column.dictionary[id])) {
        problems.push_back({imported.source_path, 0, 0, field,
                            fmt::format("country code \"{}\" is not two upper-case letters (ISO 3166 alpha-2); the "
                                        "generator names countries by ISO code",
                                        column.dictionary[id])});
      }
    }
  };
  check_countries(origin, "origin");
  if (departure != nullptr) check_countries(*departure, "departure");
  if (!problems.empty()) throw InputError(std::move(problems));

  // Days.
  const auto [first_day, last_day] = std::minmax_element(date.integers.begin(), date.integers.end());
  const std::int64_t days = options.days.value_or(static_cast<std::int64_t>(*last_day) - *first_day + 1);
  const double per_day = static_cast<double>(rows) / static_cast<double>(days);
  if (days > 36500 || per_day < 1.0) {
    throw InputError({{options.days ? std::string("--days") : imported.source_path, 0, 0, "",
                       fmt::format("{} rows over {} days: a scenario needs 1..36500 days and at least one declaration "
                                   "per day{}",
                                   rows, days, options.days ? "" : " (pass --days to choose the length)")}});
  }

  // Countries, hubs, modes, offices.
  std::map<std::string, double> origin_counts, hub_counts, mode_counts, office_counts;
  std::map<int, std::map<std::string, double>> chapter_origin_counts;
  std::size_t indirect = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const std::string o = Text(origin, i);
    origin_counts[o] += 1.0;
    chapter_origin_counts[hs6.integers[i] / 10000][o] += 1.0;
    if (departure != nullptr && Text(*departure, i) != o) {
      ++indirect;
      hub_counts[Text(*departure, i)] += 1.0;
    }
    if (mode != nullptr) mode_counts[Text(*mode, i)] += 1.0;
    office_counts[Text(office, i)] += 1.0;
  }
  std::map<std::string, double> country_weights = origin_counts;
  for (const auto& [code, count] : hub_counts) country_weights.emplace(code, 0.5);
  const auto countries = Ranked(country_weights);
  const auto hubs = Ranked(hub_counts);
  const auto modes = Ranked(mode_counts);
  const auto offices = Ranked(office_counts);

  // Importers: volumes, home offices, portfolios.
  std::size_t trader_count = 0;
  double zipf = 1.1, home_share = 0.8, portfolio_hs6 = 6.0, portfolio_origins = 3.0;
  std::vector<std::string> trader_labels;
  if (importer != nullptr) {
    std::map<std::int32_t, std::map<std::string, double>> office_by_trader;
    std::map<std::int32_t, std::set<std::int32_t>> codes_by_trader;
    std::map<std::int32_t, std::set<std::string>> origins_by_trader;
    std::map<std::string, double> volume;
    for (std::size_t i = 0; i < rows; ++i) {
      const std::int32_t t = importer->integers[i];
      office_by_trader[t][Text(office, i)] += 1.0;
      codes_by_trader[t].insert(hs6.integers[i]);
      origins_by_trader[t].insert(Text(origin, i));
      volume[Text(*importer, i)] += 1.0;
    }
    double at_home = 0.0, weighted_codes = 0.0, weighted_origins = 0.0;
    for (const auto& [t, counts] : office_by_trader) {
      double most = 0.0, total = 0.0;
      for (const auto& [label, count] : counts) {
        most = std::max(most, count);
        total += count;
      }
      at_home += most;
      weighted_codes += total * static_cast<double>(codes_by_trader[t].size());
      weighted_origins += total * static_cast<double>(origins_by_trader[t].size());
    }
    home_share = at_home / static_cast<double>(rows);
    portfolio_hs6 = std::clamp(std::round(weighted_codes / static_cast<double>(rows)), 1.0, 100.0);
    portfolio_origins = std::clamp(std::round(weighted_origins / static_cast<double>(rows)), 1.0, 100.0);
    const auto ranked = Ranked(volume);
    trader_count = ranked.size();
    double top = 0.0;
    for (std::size_t k = 0; k < ranked.size() && k < kZipfTop; ++k) top += ranked[k].second;
    zipf = FitZipfExponent(trader_count, std::min(kZipfTop, trader_count), top / static_cast<double>(rows));
    for (std::size_t k = 0; k < ranked.size() && k < kTraderLabels; ++k) trader_labels.push_back(ranked[k].first);
  }

  // Catalogue.
  std::map<std::int32_t, std::size_t> code_index;
  for (const std::int32_t code : hs6.integers) code_index.emplace(code, 0);
  std::vector<std::int32_t> codes;
  for (auto& [code, index] : code_index) {
    index = codes.size();
    codes.push_back(code);
  }
  std::vector<double> code_count(codes.size(), 0.0);
  std::vector<std::map<double, double>> code_tariffs(codes.size());
  std::vector<Moments> log_price(codes.size()), log_quantity(codes.size());
  std::vector<int> chapter_of(codes.size());
  for (std::size_t c = 0; c < codes.size(); ++c) chapter_of[c] = codes[c] / 10000;
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t c = code_index[hs6.integers[i]];
    code_count[c] += 1.0;
    if (tariff != nullptr) code_tariffs[c][tariff->numbers[i]] += 1.0;
    if (value.numbers[i] > 0.0 && mass.numbers[i] > 0.0) {
      log_price[c].Add(std::log(value.numbers[i] / mass.numbers[i]));
      log_quantity[c].Add(std::log(mass.numbers[i]));
    }
  }
  problems.clear();
  for (std::size_t c = 0; c < codes.size(); ++c) {
    if (codes[c] < 10000 || codes[c] > 979999 || chapter_of[c] == 77) {
      problems.push_back({imported.source_path, 0, 0, "hs6",
                          fmt::format("HS6 code {:06d} has no valid HS chapter (01..97, not 77)", codes[c])});
    }
  }
  if (!problems.empty()) throw InputError(std::move(problems));
  const std::vector<ShrunkEstimate> price = Shrink(log_price, chapter_of);
  const std::vector<ShrunkEstimate> quantity = Shrink(log_quantity, chapter_of);
  std::vector<double> code_tariff(codes.size(), 0.0);
  double taxed_rows = 0.0;
  for (std::size_t c = 0; c < codes.size(); ++c) {
    double best = -1.0;
    for (const auto& [rate, count] : code_tariffs[c]) {
      if (count > best) {  // map order: the lower rate wins ties
        best = count;
        code_tariff[c] = rate / 100.0;
      }
    }
    if (code_tariff[c] > 10.0) {
      problems.push_back({imported.source_path, 0, 0, "tariff_rate_percent",
                          fmt::format("HS6 code {:06d}: tax rate {}% is above 1000%, which the explicit catalogue's "
                                      "tariff (0..10) cannot represent",
                                      codes[c], 100.0 * code_tariff[c])});
    }
    if (code_tariff[c] > 0.0) taxed_rows += code_count[c];
  }

  if (!problems.empty()) throw InputError(std::move(problems));

  // Fraud.
  double fraud_share = 0.0;
  if (fraud != nullptr) {
    for (const std::int8_t label : fraud->labels) fraud_share += label != 0 ? 1.0 : 0.0;
    fraud_share /= static_cast<double>(rows);
  }
  const double taxed_share = taxed_rows / static_cast<double>(rows);
  const double honest_rate = taxed_share > 0.0 ? std::min(1.0, fraud_share / taxed_share) : 0.0;

  // The scenario.
  std::string out;
  out += fmt::format("# Calibrated by crsim calibrate from {} ({} rows).\n", options.source_description, rows);
  out += "# Money is in the data's currency and quantities are net mass in kg; see docs/calibrate.md for what\n"
         "# is fitted and what the generator cannot represent.\n\n";
  out += fmt::format("[run]\ndays = {}\nseed = {}\n\n", days, options.seed);
  out += fmt::format("[arrivals]\ndeclarations_per_day = {}\nindirect_route_share = {}\n", Num(per_day),
                     Num(static_cast<double>(indirect) / static_cast<double>(rows)));
  auto labels_of = [](const auto& ranked) {
    std::vector<std::string> labels;
    for (const auto& entry : ranked) labels.push_back(entry.first);
    return labels;
  };
  auto weights_of = [](const auto& ranked) {
    std::vector<double> weights;
    for (const auto& entry : ranked) weights.push_back(entry.second);
    return weights;
  };
  if (!hubs.empty()) {
    out += fmt::format("hub_countries = {}\nhub_weights = {}\n", StringArray(labels_of(hubs)),
                       NumberArray(weights_of(hubs)));
  }
  if (!modes.empty()) {
    out += fmt::format("transport_modes = {}\ntransport_mode_weights = {}\n", StringArray(labels_of(modes)),
                       NumberArray(weights_of(modes)));
  }
  out += "\n[countries]\n";
  for (const auto& [code, weight] : countries) out += fmt::format("{} = {}\n", code, Num(weight));
  if (offices.size() > 1000) {
    throw InputError({{imported.source_path, 0, 0, "office",
                       fmt::format("{} offices; a scenario administration has at most 1000", offices.size())}});
  }
  const auto capacity =
      static_cast<std::int64_t>(std::max(1.0, std::round(0.05 * per_day / static_cast<double>(offices.size()))));
  out += fmt::format(
      "\n[[administrations]]\nname = \"CAL\"\noffices = {}\ninspection_capacity = {}\noffice_weights = {}\n"
      "office_labels = {}\n",
      offices.size(), capacity, NumberArray(weights_of(offices)), StringArray(labels_of(offices)));
  out += "\n[traders]\n";
  if (importer != nullptr) {
    out += fmt::format("count = {}\nvolume_zipf_exponent = {}\nportfolio_hs6 = {}\nportfolio_origins = {}\n",
                       trader_count, Num(zipf), Num(portfolio_hs6), Num(portfolio_origins));
    out += fmt::format("home_office_share = {}\n", Num(home_share));
  }
  out += "fraud_prone_share = 0.0\nhonest_new_share = 0.0\nfraud_prone_new_share = 0.0\n";
  if (!trader_labels.empty()) out += fmt::format("labels = {}\n", StringArray(trader_labels));
  out += fmt::format("\n[fraud]\nfraud_prone_rate = 0.0\nhonest_rate = {}\n", Num(honest_rate));
  out += "\n[catalogue]\ncodes = [\n";
  for (std::size_t c = 0; c < codes.size(); ++c) {
    out += fmt::format(
        "  {{hs6 = {}, weight = {}, tariff = {}, log_price_mean = {}, log_price_sd = {}, log_quantity_mean = {}, "
        "log_quantity_sd = {}}},\n",
        codes[c], Num(code_count[c]), Num(code_tariff[c]), Num(price[c].mean), Num(price[c].sd), Num(quantity[c].mean),
        Num(quantity[c].sd));
  }
  out += "]\nchapter_origins = [\n";
  for (const auto& [chapter, counts] : chapter_origin_counts) {
    const auto ranked = Ranked(counts);
    out += fmt::format("  {{chapter = {}, origins = {}, weights = {}}},\n", chapter, StringArray(labels_of(ranked)),
                       NumberArray(weights_of(ranked)));
  }
  out += "]\n";
  try {
    ParseScenario(out, "<calibrated scenario>");
  } catch (const InputError& error) {  // the writer and the loader disagree: a bug, not bad input
    throw std::logic_error(std::string("calibrate wrote an invalid scenario:\n") + error.what());
  }
  return out;
}

}  // namespace crsim::sim
