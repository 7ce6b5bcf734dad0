#pragma once
// Splitting indexed work over ranks and putting the per-rank results back
// together, in index order. Used by every evaluation that runs on several
// ranks (eval, score, anomaly evaluation during training).
//
// Rank-count independence: work is cut into global batches of `batch`
// (batch b = items [b*batch, (b+1)*batch)); each rank takes a contiguous run
// of whole batches and reseeds its generator from (seed, stream, b) before
// batch b, so the random draws of an item do not depend on the rank count.
#include <cstdint>
#include <vector>

namespace latentebm {

class Communicator;

// Items [begin, end) of n that `rank` of `world` owns, whole batches of
// `batch` each; first_batch is the global index of the first. Ranks beyond the
// number of batches get an empty range.
struct BatchRange {
  int64_t begin = 0, end = 0, first_batch = 0;
  int64_t size() const { return end - begin; }
};
BatchRange batch_range(int64_t n, int64_t batch, int rank, int world);
// Seed for global batch `b` of random stream `stream` (splitmix64 mixing).
uint64_t batch_seed(uint64_t seed, uint64_t stream, int64_t b);

// Collective: rank r holds the values of global examples [begin, begin +
// local.size()); every rank receives all n_total values in index order (one
// all-reduce of 2 n_total doubles). Ranges must not overlap and must cover
// [0, n_total).
std::vector<double> gather_by_index(Communicator& comm, int64_t n_total, int64_t begin, const std::vector<double>& local,
                                    const char* what);

}  // namespace latentebm
