// "Did you mean" hints for misspelt names in user input (scenario keys, strategy names, schema
// fields, CSV column names).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crsim {

// Optimal string alignment distance (Damerau-Levenshtein restricted to adjacent transpositions).
std::size_t EditDistance(std::string_view a, std::string_view b);

std::string LowerCase(std::string_view text);

// The closest candidate to `typed`, if it is close enough to be a plausible typo: a case-insensitive
// edit distance of at most 2, or of a third of the typed length for long names; at most 1 for names
// of up to 3 characters (where 2 edits would make any two-letter code "close"). Ties go to the
// candidate listed first.
template <typename Range>
std::optional<std::string> DidYouMean(std::string_view typed, const Range& candidates) {
  const std::string typed_lower = LowerCase(typed);
  const std::size_t limit = typed.size() <= 3 ? 1 : std::max<std::size_t>(2, typed.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::string_view candidate_view(candidate);
    const std::size_t distance = EditDistance(typed_lower, LowerCase(candidate_view));
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate_view);
    }
  }
  return best;
}

// "; did you mean \"x\"?" or "".
template <typename Range>
std::string HintSuffix(std::string_view typed, const Range& candidates) {
  if (auto hint = DidYouMean(typed, candidates)) return "; did you mean \"" + *hint + "\"?";
  return "";
}

}  // namespace crsim
