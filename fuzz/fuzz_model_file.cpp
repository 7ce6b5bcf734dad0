// libFuzzer harness: a checkpoint's model.h5, read as resume and the sampling
// commands read it (train/checkpoint_files.h's ModelFileReader): the number of
// ratio networks, every tensor of a fixed small layout (fuzz/checkpoint_layout.h)
// and an optimizer group's step count. What a reader returns must keep its
// promises: the layout's exact number of values, all finite, counts >= 0;
// anything else must be a std::runtime_error. HDF5 itself (Debian's libhdf5)
// is not instrumented: a crash inside it is still a finding, reported as
// HDF5's (docs/FUZZING.md).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "checkpoint_layout.h"
#include "input_file.h"

using namespace latentebm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_io::temp_path("model_file", ".h5");
  fuzz_io::write_file(path, data, size);
  try {
    const ModelFileReader reader(path);
    if (reader.num_stages() < 0) __builtin_trap();
    for (const auto& spec : fuzz_layout::model_tensors()) {
      const auto values = reader.tensor(spec);
      size_t want = 1;
      for (int64_t d : spec.shape) want *= static_cast<size_t>(d);
      if (values.size() != want) __builtin_trap();
      for (float v : values)
        if (!std::isfinite(v)) __builtin_trap();
    }
    if (reader.steps(fuzz_layout::kOptimizerGroup) < 0) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
