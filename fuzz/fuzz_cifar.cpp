// libFuzzer harness: the CIFAR-10 batch parser on arbitrary bytes. Anything
// but a clean result or a std::runtime_error is a finding.
#include <cstdint>
#include <stdexcept>

#include "data/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto set = latentebm::data::parse_cifar10_batch(data, size, "fuzz-input");
    if (set.pixels.size() != static_cast<size_t>(set.n * 3072) || set.labels.size() != static_cast<size_t>(set.n)) {
      __builtin_trap();
    }
    for (int64_t label : set.labels) {
      if (label < 0 || label > 9) __builtin_trap();
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
