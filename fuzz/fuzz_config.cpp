// libFuzzer harness: the config parser (parse_config on YAML text, then
// apply_overrides on key=value lines). The input up to its first NUL byte is
// the YAML; each line after it is an override. A config that parses is then
// validated as `train` does; anything but that or a std::runtime_error (with
// yaml-cpp's, which derive from it) is a finding.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string yaml = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string::npos) {
    size_t start = nul + 1;
    while (start <= input.size()) {
      const size_t end = input.find('\n', start);
      overrides.push_back(input.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  try {
    latentebm::Config cfg = latentebm::parse_config(yaml, "fuzz-input");
    latentebm::apply_overrides(cfg, overrides);
    latentebm::resolve_method(cfg);
    latentebm::validate(cfg);
    // A config that validates survives its own round trip (config.yaml of a run is read back on resume).
    const latentebm::Config again = latentebm::parse_config(latentebm::to_yaml(cfg), "round trip");
    if (latentebm::to_yaml(again) != latentebm::to_yaml(cfg)) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
