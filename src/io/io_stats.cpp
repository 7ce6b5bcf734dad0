#include "io/io_stats.h"

#include <atomic>
#include <cstdio>
#include <cstring>

namespace latentebm::io {
namespace {
std::atomic<int64_t> g_opens{0};

int64_t proc_rchar() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return -1;
  char line[128];
  int64_t value = -1;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    long long v = 0;
    if (std::sscanf(line, "rchar: %lld", &v) == 1) {
      value = static_cast<int64_t>(v);
      break;
    }
  }
  std::fclose(f);
  return value;
}
}  // namespace

void count_open() { g_opens.fetch_add(1, std::memory_order_relaxed); }

IoCounters io_counters() { return {g_opens.load(std::memory_order_relaxed), proc_rchar()}; }

IoCounters operator-(const IoCounters& b, const IoCounters& a) {
  return {b.opens - a.opens, b.bytes_read < 0 || a.bytes_read < 0 ? -1 : b.bytes_read - a.bytes_read};
}

}  // namespace latentebm::io
