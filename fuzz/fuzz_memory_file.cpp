// libFuzzer harness: a checkpoint's memory matrix file (format 3's memory.h5,
// or one of format 2's shard-NNNNN.h5), read as a resume reads it
// (read_memory_rows, train/checkpoint_files.h) for a job's every row and for
// one rank's rows (fuzz/checkpoint_layout.h). What it returns must keep its
// promises: exactly the rank's rows x nz values, all finite, written_at >= -1;
// anything else must be a std::runtime_error. HDF5 itself is not
// instrumented: a crash inside it is still a finding (docs/FUZZING.md).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "checkpoint_layout.h"
#include "input_file.h"

using namespace latentebm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = fuzz_io::temp_path("memory_file", ".h5");
  fuzz_io::write_file(path, data, size);
  using namespace fuzz_layout;
  for (const data::Shard mine : {data::Shard{0, kMemoryRows}, data::Shard{kShardBegin, kShardEnd}}) {
    try {
      const MemoryRows rows = read_memory_rows({path}, mine, kMemoryRows, kMemoryNz);
      const size_t n = static_cast<size_t>(mine.size());
      if (rows.memory.size() != n * kMemoryNz || rows.snapshot.size() != n * kMemoryNz || rows.written_at.size() != n)
        __builtin_trap();
      for (size_t i = 0; i < rows.memory.size(); ++i)
        if (!std::isfinite(rows.memory[i]) || !std::isfinite(rows.snapshot[i])) __builtin_trap();
      for (int64_t w : rows.written_at)
        if (w < -1) __builtin_trap();
    } catch (const std::runtime_error&) {
    }
  }
  return 0;
}
