// libFuzzer harness: the prepared-dataset reader (inspect_dataset, then
// ShardData on both splits as `train` and `score` open them) on an arbitrary
// file. A file that opens must keep docs/DATA.md's promises: shapes
// [N, C, H, W] with C 1 or 3, N labels per split, each -1 or a class >= 0,
// every row of each shard readable; anything but that or a
// std::runtime_error is a finding. HDF5 itself (Debian's libhdf5) is not
// instrumented: a crash inside it is still a finding, reported as HDF5's.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "data/dataset.h"
#include "input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_io::temp_path("dataset", ".h5");
  fuzz_io::write_file(path, data, size);
  try {
    const auto info = latentebm::data::inspect_dataset(path);
    if (info.n_train < 0 || info.n_test < 0 || (info.c != 1 && info.c != 3) || info.h <= 0 || info.w <= 0) __builtin_trap();
    for (const char* split : {"train", "test"}) {
      const int64_t n = split[1] == 'r' ? info.n_train : info.n_test;
      if (n == 0) continue;
      latentebm::data::ShardData shard(path, split, 0, 1);
      if (shard.split_size() != n || shard.shard().size() != n) __builtin_trap();
      const int64_t bytes = info.c * info.h * info.w;
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t* px = shard.image(i);
        volatile uint8_t sink = px[0] ^ px[bytes - 1];  // ASan checks the whole row is there
        (void)sink;
        if (shard.label(i) < -1) __builtin_trap();
      }
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
