#pragma once
// Sharded, atomic, self-verifying checkpoints (docs/CHECKPOINTS.md has more).
//
// Format version 3. One directory per checkpoint, three files whatever the
// rank count:
//   <run_dir>/checkpoints/latest                 text file: "ckpt-00000480\n"
//   <run_dir>/checkpoints/ckpt-00000480/
//       manifest.json     written last, by rank 0:
//           format "latentebm-checkpoint", version 3, iteration (the next
//           to run), stage, world_size, total_iterations (T as the run
//           resolved it; a resume on another rank count keeps it), global_batch,
//           structure (the config fields a resume may not change) and
//           config_fingerprint (its CRC-32), dataset_fingerprint, config
//           (resolved YAML: the run's config.yaml), schedule (stage starts,
//           the stage length, the learning-rate cycles and the adaptive
//           schedule's state), guard (the settings the divergence guard's
//           rollbacks lowered, with the configured values), memory (the memory matrix's file, rows and the
//           row range each writing rank held), and files: every other file of
//           the directory with its size in bytes and CRC-32.
//       model.h5          written by rank 0 (replicated state)
//           /             attrs: format, version, iteration, stage,
//                         world_size, num_stages, nz, config
//           /generator/<name>              float32, e.g. /generator/net.0.weight
//           /prior/<name>                  float32, e.g. /prior/stage_0.net.0.weight
//           /optimizer/generator/<name>/{exp_avg,exp_avg_sq}  attr steps on the group
//           /optimizer/ratio/<name>/{exp_avg,exp_avg_sq}      attrs steps, stage
//       memory.h5         written by rank 0, every rank's rows gathered:
//           /memory, /snapshot   float32 [N, nz]; attrs begin (0), end (N), n_total
//           /written_at          int64 [N]: iteration of each row's last write
//           /            attrs: world_size, iteration, rng_seed, rng_scheme
// Version 2 checkpoints (one shard-NNNNN.h5 per rank instead of memory.h5)
// are still read: a rank opens only the shards that hold its rows.
//
// Protocol (save_checkpoint, a collective):
//   1. rank 0 removes leftovers of interrupted saves and creates ckpt-X.tmp/;
//   2. every rank sends its memory rows to rank 0 (one gather), and a
//      barrier shows that every rank is still there; rank 0 writes
//      memory.h5 and model.h5, closes and fsyncs each, computes its size and
//      CRC-32, writes manifest.json (fsync), renames ckpt-X.tmp/ to ckpt-X/,
//      writes latest.tmp (fsync) and renames it over `latest`, then deletes
//      all but the newest keep_checkpoints complete checkpoints;
//   3. an all-reduce tells every rank whether rank 0 published.
// A crash anywhere leaves `latest` naming a complete, verified checkpoint (or
// none); *.tmp leftovers are never read and are removed by the next save or
// resume. Resume verifies every file against the manifest first.
//
// Reading (load_checkpoint, a collective): rank 0 alone reads `latest`, the
// manifest and model.h5 and broadcasts them; each rank reads only its own
// rows of the memory matrix. Opens and bytes per rank do not grow with the
// rank count (docs/CLUSTER.md has the measurements).
//
// RNG state: training reseeds LibTorch's generator at every iteration from
// (seed, rank, iteration) and the data order is a pure function of
// (seed, epoch), so the per-rank RNG state is fully described by rng_seed and
// the iteration counter stored in the checkpoint.
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "train/checkpoint_files.h"  // CheckpointMeta, the manifest and the files' readers, verify_checkpoint
#include "model/generator.h"
#include "model/prior.h"
#include "train/adam.h"
#include "train/memory_bank.h"

namespace latentebm {

class Communicator;

// A checkpoint as rank 0 found it: its directory and manifest (text and
// parsed, once), the same on every rank.
struct CheckpointRef {
  std::string dir;
  std::string manifest_text;  // manifest.json's text
  Manifest manifest;          // parsed and checked (manifest.meta: the run's state)
};

// The pieces of training state a checkpoint holds (references, not copies).
struct TrainingState {
  Generator& generator;
  MultiStagePrior& prior;
  Adam& g_opt;
  Adam& e_opt;  // optimizer of the active ratio network (empty when K = 0)
  MemoryBank& bank;
};

// A tensor as a float32 HDF5 dataset (copied to the CPU; a scalar gets shape
// [1]). Checkpoints and the divergence guard's debug dumps write through it.
void write_tensor(h5::File& f, const std::string& name, const torch::Tensor& t);

// Collective: every rank calls it. Returns the checkpoint directory.
std::string save_checkpoint(Communicator& comm, const std::string& run_dir, const CheckpointMeta& meta,
                            TrainingState& state, uint64_t seed, int64_t keep);

// Directory of the newest complete checkpoint of a run, if any.
std::optional<std::string> latest_checkpoint(const std::string& run_dir);

// Collective: rank 0 alone decides which checkpoint to load (`explicit_dir`
// when given, else the run's `latest`) and reads its manifest; every rank
// receives rank 0's answer, so no node can act on a stale view of a shared
// file system. std::nullopt when the run has no checkpoint. When rank 0
// fails, every rank throws rank 0's message.
std::optional<CheckpointRef> shared_checkpoint(Communicator& comm, const std::string& run_dir,
                                               const std::optional<std::string>& explicit_dir = std::nullopt);

// Remove leftovers of interrupted saves (ckpt-*.tmp/, latest.tmp) from a
// run's checkpoints/ folder; returns the paths removed. Rank 0 only.
std::vector<std::string> clean_interrupted_saves(const std::string& run_dir);


// Throws (listing every difference) when `cfg` or the dataset differ from
// what the checkpoint was trained with in a way a resume cannot absorb: a
// structural key (structural_config, config.h) or the training data. (A
// smaller T is refused by resumed_total_iterations, train/run_schedule.h.)
void check_resume_compatible(const std::string& ckpt_dir, const Config& cfg, const std::string& dataset_fingerprint);
void check_resume_compatible(const CheckpointRef& ckpt, const Config& cfg, const std::string& dataset_fingerprint);

// Collective. Load replicated state (model, optimizers: read by rank 0 and
// broadcast) and this rank's memory rows (read by each rank from the file
// that holds them), re-sharding rows by example index if the checkpoint's
// world size differs. The caller must have built e_opt for meta.stage's
// ratio network.
void load_checkpoint(Communicator& comm, const CheckpointRef& ckpt, TrainingState& state);

// Load only model parameters (for sample / reconstruct).
void load_model_parameters(const std::string& ckpt_dir, Generator& g, MultiStagePrior& prior);

}  // namespace latentebm
