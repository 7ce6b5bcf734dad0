#include "cli/args.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace latentebm::cli {

std::string Args::get(const std::string& k, const std::string& def) const {
  auto it = flags.find(k);
  return it == flags.end() ? def : it->second;
}

std::optional<std::string> Args::get_opt(const std::string& k) const {
  auto it = flags.find(k);
  return it == flags.end() ? std::nullopt : std::optional<std::string>(it->second);
}

int64_t Args::get_int(const std::string& k, int64_t def) const {
  if (!has(k)) return def;
  try {
    size_t used = 0;
    const int64_t v = std::stoll(get(k), &used);
    if (used == get(k).size()) return v;
  } catch (const std::exception&) {
  }
  throw std::runtime_error("--" + k + " expects an integer, got '" + get(k) + "'");
}

std::optional<int64_t> Args::get_int_opt(const std::string& k) const {
  return has(k) ? std::optional<int64_t>(get_int(k, 0)) : std::nullopt;
}

std::optional<double> Args::get_double_opt(const std::string& k) const {
  if (!has(k)) return std::nullopt;
  try {
    size_t used = 0;
    const double v = std::stod(get(k), &used);
    if (used == get(k).size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw std::runtime_error("--" + k + " expects a number, got '" + get(k) + "'");
}

Args parse_args(int argc, char** argv, int first, const std::vector<std::string>& boolean_flags) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      s = s.substr(2);
      auto eq = s.find('=');
      if (eq != std::string::npos) {
        a.flags[s.substr(0, eq)] = s.substr(eq + 1);
      } else if (std::find(boolean_flags.begin(), boolean_flags.end(), s) != boolean_flags.end()) {
        a.flags[s] = "1";
      } else {
        if (i + 1 >= argc) throw std::runtime_error("--" + s + " needs a value");
        a.flags[s] = argv[++i];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

void reject_unknown(const Args& a, const std::vector<std::string>& known, const char* command) {
  for (const auto& kv : a.flags)
    if (std::find(known.begin(), known.end(), kv.first) == known.end())
      throw std::runtime_error(std::string("unknown option --") + kv.first + " for `latentebm " + command + "` (see --help)");
}

}  // namespace latentebm::cli
