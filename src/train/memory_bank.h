#pragma once
// The posterior memory matrix M: one row of nz floats per training example,
// holding that example's latest posterior sample. It is sharded by example
// index exactly like the data: a rank owns the rows of its data shard and
// nothing else. Checkpoints back it with one HDF5 file per rank.
//
// Persistent-bank semantics (DESIGN.md section 1): when stage k >= 1 begins,
// snapshot() freezes a copy of M; NCE in stage k draws its prior ("noise")
// samples only from that snapshot. Stage k's own posterior samples are
// written to M but never serve as its noise samples. Rows are initialised
// with N(0, I) draws (exact p_0 samples) so a row never visited still holds a
// sample of the previous prior rather than garbage.
//
// A checkpoint gathers every rank's rows into one file (checkpoint.h); load()
// takes this rank's rows from whichever files hold them.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"

namespace latentebm {
namespace h5 { class File; }

class MemoryBank {
 public:
  MemoryBank() = default;
  MemoryBank(const data::Shard& shard, int64_t n_total, int64_t nz, uint64_t seed, torch::Device device);

  const data::Shard& shard() const { return shard_; }
  int64_t n_total() const { return n_total_; }
  int64_t nz() const { return nz_; }

  // Store z (rows aligned with global_indices, all inside this shard),
  // written at training iteration `iteration` (kept per row for diagnostics).
  // An index listed twice (a shard smaller than the batch wraps around) keeps
  // its last sample.
  void write(const std::vector<int64_t>& global_indices, const torch::Tensor& z, int64_t iteration = -1);
  // Rows of this shard last written at an iteration >= `since`.
  int64_t rows_written_since(int64_t since) const;
  // Freeze a copy of M as the bank read during the stage that is starting.
  void snapshot();
  // `count` rows drawn uniformly (with replacement) from the snapshot.
  torch::Tensor draw(int64_t count) const;

  const torch::Tensor& rows() const { return rows_; }
  const torch::Tensor& snapshot_rows() const { return snapshot_; }
  const std::vector<int64_t>& written_at() const { return written_at_; }

  // Write this rank's rows to an open file (write_memory_rows).
  void save(h5::File& file) const;
  // Fill this rank's rows from files that each hold a [begin, end) range of
  // examples (a checkpoint's memory.h5 holds them all; a format-2
  // checkpoint one file per writing rank): resharding by example index.
  void load(const std::vector<std::string>& shard_paths);

 private:
  data::Shard shard_;
  int64_t n_total_ = 0, nz_ = 0;
  torch::Tensor rows_, snapshot_;  // [shard size, nz]
  std::vector<int64_t> written_at_;  // per row: iteration of the last write, -1 = the initial N(0, I) draw
};

class Communicator;
// Collective: the fraction of the whole memory matrix (every rank's rows)
// written since iteration `since`.
double refreshed_fraction(Communicator& comm, const MemoryBank& bank, int64_t since);

}  // namespace latentebm
