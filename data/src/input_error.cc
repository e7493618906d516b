#include "crsim/data/input_error.h"

#include <string>
#include <utility>

namespace crsim {

std::string InputProblem::Format() const {
  std::string text = source;
  if (line > 0) {
    text.append(":").append(std::to_string(line));
    if (column > 0) text.append(":").append(std::to_string(column));
  }
  if (!text.empty()) text += ": ";
  if (!key.empty()) text += key + ": ";
  text += message;
  return text;
}

namespace {
std::string JoinProblems(const std::vector<InputProblem>& problems) {
  std::string text;
  for (const InputProblem& problem : problems) {
    if (!text.empty()) text += '\n';
    text += problem.Format();
  }
  return text;
}
}  // namespace

InputError::InputError(std::vector<InputProblem> problems)
    : std::runtime_error(JoinProblems(problems)), problems_(std::move(problems)) {}

}  // namespace crsim
