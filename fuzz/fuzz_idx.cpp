// libFuzzer harness: the MNIST-format idx reader (`prepare idx`, read_idx) on
// an arbitrary images file and labels file, gzip or raw. The first 2 bytes of
// the input (little-endian, modulo the rest's length) say where the images
// file ends and the labels file begins. A result must keep docs/DATA.md's
// promises (one channel, n images of h x w, n labels in 0..9); anything but
// such a result or a std::runtime_error is a finding.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "data/mnist_readers.h"
#include "input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t rest = size - 2;
  const size_t split = rest == 0 ? 0 : (size_t{data[0]} | size_t{data[1]} << 8) % (rest + 1);
  static const std::string images = fuzz_io::temp_path("idx", "_images"), labels = fuzz_io::temp_path("idx", "_labels");
  fuzz_io::write_file(images, data + 2, split);
  fuzz_io::write_file(labels, data + 2 + split, rest - split);
  try {
    const auto set = latentebm::data::read_idx(images, labels);
    if (set.n <= 0 || set.c != 1 || set.h <= 0 || set.w <= 0) __builtin_trap();
    if (set.pixels.size() != static_cast<size_t>(set.n * set.h * set.w)) __builtin_trap();
    if (set.labels.size() != static_cast<size_t>(set.n)) __builtin_trap();
    for (int64_t label : set.labels)
      if (label < 0 || label > 9) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
