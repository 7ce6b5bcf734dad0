#pragma once
// Sharded checkpoints.
//
// Layout (one directory per checkpoint, docs/CHECKPOINTS.md has the details):
//   <run_dir>/checkpoints/latest                 text file: "ckpt-00000480\n"
//   <run_dir>/checkpoints/ckpt-00000480/
//       model.h5          written once, by rank 0 (replicated state)
//           /             attrs: format="latentebm-checkpoint", version=1,
//                         iteration (next to run), stage, world_size,
//                         num_stages, nz, config (resolved YAML)
//           /generator/<name>              float32, e.g. /generator/net.0.weight
//           /prior/<name>                  float32, e.g. /prior/stage_0.net.0.weight
//           /optimizer/generator/<name>/{exp_avg,exp_avg_sq}  attr steps on the group
//           /optimizer/ratio/<name>/{exp_avg,exp_avg_sq}      attrs steps, stage
//       shard-00000.h5    one per rank
//           /memory, /snapshot   float32 [rows, nz]; attrs begin, end, n_total
//           /            attrs: rank, world_size, iteration, rng_seed, rng_scheme
//
// Atomicity: every rank writes into ckpt-X.tmp/, fsyncs, all ranks agree that
// every file was written, then rank 0 renames the directory into place and
// replaces `latest` by writing latest.tmp and renaming it. A crash at any
// point leaves `latest` naming a complete checkpoint (or none).
//
// RNG state: training reseeds LibTorch's generator at every iteration from
// (seed, rank, iteration) and the data order is a pure function of
// (seed, epoch), so the per-rank RNG state is fully described by rng_seed and
// the iteration counter stored in each shard.
#include <optional>
#include <string>
#include <vector>

#include "model/generator.h"
#include "model/prior.h"
#include "train/adam.h"
#include "train/memory_bank.h"

namespace latentebm {

class Communicator;

struct CheckpointMeta {
  int64_t iteration = 0;  // the next iteration to run
  int64_t stage = 0;      // the active stage
  int64_t world_size = 1;
  std::string config_yaml;
};

// The pieces of training state a checkpoint holds (references, not copies).
struct TrainingState {
  Generator& generator;
  MultiStagePrior& prior;
  Adam& g_opt;
  Adam& e_opt;  // optimizer of the active ratio network (empty when K = 0)
  MemoryBank& bank;
};

// Collective: every rank calls it. Returns the checkpoint directory.
std::string save_checkpoint(Communicator& comm, const std::string& run_dir, const CheckpointMeta& meta,
                            TrainingState& state, uint64_t seed, int64_t keep);

// Directory of the newest complete checkpoint of a run, if any.
std::optional<std::string> latest_checkpoint(const std::string& run_dir);

// Read the metadata (and config) of a checkpoint without loading tensors.
CheckpointMeta read_checkpoint_meta(const std::string& ckpt_dir);

// Load replicated state (model, optimizers) and this rank's memory rows,
// re-sharding rows by example index if the checkpoint's world size differs.
// The caller must have built e_opt for meta.stage's ratio network.
void load_checkpoint(const std::string& ckpt_dir, TrainingState& state);

// Load only model parameters (for sample / reconstruct).
void load_model_parameters(const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior);

}  // namespace latentebm
