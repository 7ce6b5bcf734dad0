#include "distributed/gather.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "distributed/communicator.h"

namespace latentebm {

BatchRange batch_range(int64_t n, int64_t batch, int rank, int world) {
  if (batch < 1) throw std::invalid_argument("batch size must be >= 1");
  if (world < 1 || rank < 0 || rank >= world) throw std::invalid_argument("batch_range: bad rank/world");
  const int64_t batches = (n + batch - 1) / batch;
  // Like data::shard_range over batches, but empty ranges are allowed.
  const int64_t base = batches / world, extra = batches % world;
  const int64_t b0 = rank * base + std::min<int64_t>(rank, extra);
  const int64_t b1 = b0 + base + (rank < extra ? 1 : 0);
  BatchRange r;
  r.first_batch = b0;
  r.begin = std::min(n, b0 * batch);
  r.end = std::min(n, b1 * batch);
  return r;
}

uint64_t batch_seed(uint64_t seed, uint64_t stream, int64_t b) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL ^ (stream << 56) ^ static_cast<uint64_t>(b);
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return (x ^ (x >> 31)) & 0x7FFFFFFFFFFFFFFFULL;
}

std::vector<double> gather_by_index(Communicator& comm, int64_t n_total, int64_t begin, const std::vector<double>& local,
                                    const char* what) {
  const auto n_local = static_cast<int64_t>(local.size());
  if (begin < 0 || begin + n_local > n_total)
    throw std::invalid_argument(std::string(what) + ": local range [" + std::to_string(begin) + ", " +
                                std::to_string(begin + n_local) + ") outside [0, " + std::to_string(n_total) + ")");
  // Each slot is written by exactly one rank; the others contribute zeros. A
  // count per slot catches overlapping or missing ranges.
  std::vector<double> all(static_cast<size_t>(2 * n_total), 0.0);
  for (int64_t i = 0; i < n_local; ++i) {
    all[static_cast<size_t>(begin + i)] = local[static_cast<size_t>(i)];
    all[static_cast<size_t>(n_total + begin + i)] = 1.0;
  }
  comm.allreduce_sum(all.data(), all.size(), what);
  for (int64_t i = 0; i < n_total; ++i)
    if (all[static_cast<size_t>(n_total + i)] != 1.0)
      throw std::runtime_error(std::string(what) + ": example " + std::to_string(i) + " was provided by " +
                               std::to_string(int64_t(all[static_cast<size_t>(n_total + i)])) + " ranks instead of 1");
  all.resize(static_cast<size_t>(n_total));
  return all;
}

}  // namespace latentebm
