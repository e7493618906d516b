// Runs the crsim program (CRSIM_CLI_PATH) with arguments and collects its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace crsim::testing {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline Outcome RunCli(const std::string& arguments) {
  const std::string command = std::string(CRSIM_CLI_PATH) + " " + arguments + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  Outcome outcome;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) outcome.output += buffer.data();
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

}  // namespace crsim::testing
