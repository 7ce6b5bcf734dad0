// libFuzzer harness: the SVHN .mat reader (matio underneath) on arbitrary
// bytes, through a temp file because matio opens files by path.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "data/readers.h"
#include "input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_io::temp_path("svhn", ".mat");
  fuzz_io::write_file(path, data, size);
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
