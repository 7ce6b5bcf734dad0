// libFuzzer harness: the SVHN .mat reader (matio underneath) on arbitrary
// bytes, through a temp file because matio opens files by path.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "data/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/latentebm-fuzz-svhn-" + std::to_string(getpid()) + ".mat";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  try {
    const auto set = latentebm::data::read_svhn_mat(path);
    if (set.pixels.size() != static_cast<size_t>(set.n * set.c * set.h * set.w) ||
        set.labels.size() != static_cast<size_t>(set.n)) {
      __builtin_trap();
    }
    for (int64_t label : set.labels) {
      if (label < 0 || label > 9) __builtin_trap();
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
