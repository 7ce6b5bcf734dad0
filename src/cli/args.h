#pragma once
// Command-line words of one command: --flag value / --flag=value options,
// boolean flags, and positional words (sources, section.key=value overrides).
// Parsing only: what the options mean is app/'s business.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace latentebm::cli {

struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;  // words without a leading "--"

  bool has(const std::string& k) const { return flags.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def = "") const;
  std::optional<std::string> get_opt(const std::string& k) const;
  // Throws "--k expects an integer, got '...'" for a value that is not one.
  int64_t get_int(const std::string& k, int64_t def) const;
  std::optional<int64_t> get_int_opt(const std::string& k) const;
  // Throws "--k expects a number, got '...'" for a value that is not a finite one.
  std::optional<double> get_double_opt(const std::string& k) const;
};

// argv[first..argc). `boolean_flags` take no value.
Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& boolean_flags);

// Throws "unknown option --x for `latentebm <command>` (see --help)".
void reject_unknown(const Args& a, const std::vector<std::string>& known, const char* command);

}  // namespace latentebm::cli
