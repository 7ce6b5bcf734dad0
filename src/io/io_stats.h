#pragma once
// What this process has read from storage: file opens counted by
// latentebm's own readers (HDF5 files, checkpoint manifests, `latest`, files
// checksummed) and the bytes of every read() system call it made
// (/proc/self/io `rchar`: page-cache hits included, mmapped libraries not).
// The trainer reports both per rank after start-up and after each resume or
// rollback, so a cluster job can see that its I/O per rank does not grow
// with the rank count (docs/CLUSTER.md).
#include <cstdint>

namespace latentebm::io {

struct IoCounters {
  int64_t opens = 0;       // files opened by latentebm's readers
  int64_t bytes_read = 0;  // rchar; -1 where /proc/self/io is unavailable
};

// Called by every reader when it opens a file.
void count_open();
IoCounters io_counters();
// b - a, field by field (bytes_read stays -1 when unavailable).
IoCounters operator-(const IoCounters& b, const IoCounters& a);

}  // namespace latentebm::io
