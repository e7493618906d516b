// The one error type for bad input (scenario files, --set overrides, command-line values, and later
// CSV and model files). It carries every problem found, each with what and where, so that a user
// fixes them all in one pass. Programs catch it, print what() and exit with code 2.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace crsim {

struct InputProblem {
  std::string source;   // file path, or "--set" for a command-line override
  std::int64_t line = 0;    // 1-based; 0 when unknown
  std::int64_t column = 0;  // 1-based; 0 when unknown
  std::string key;      // dotted key, e.g. "run.days"; empty when the problem is not about a key
  std::string message;  // what is wrong, and the fix when there is an obvious one

  // "file:line:column: key: message" (parts that are unknown are left out).
  std::string Format() const;
};

class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<InputProblem> problems);
  const std::vector<InputProblem>& problems() const { return problems_; }

 private:
  std::vector<InputProblem> problems_;
};

}  // namespace crsim
