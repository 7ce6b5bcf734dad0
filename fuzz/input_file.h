#pragma once
// The fuzz input as a file, for readers that open paths (HDF5, matio, idx,
// a checkpoint directory): every harness writes its temporary files here.
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <string>

namespace fuzz_io {

// "/tmp/fuzz_<harness>_<pid><suffix>": one per process, so parallel jobs never share one.
inline std::string temp_path(const std::string& harness, const std::string& suffix) {
  return "/tmp/fuzz_" + harness + "_" + std::to_string(::getpid()) + suffix;
}

// Writes `size` bytes to `path`, replacing it; traps when it cannot (a harness
// that cannot write its input tests nothing).
inline void write_file(const std::string& path, const void* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) __builtin_trap();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
}

}  // namespace fuzz_io
