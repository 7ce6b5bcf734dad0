#pragma once
// A checkpoint's files read as untrusted bytes, without LibTorch: the
// manifest parsed and checked field by field, every file it lists checked
// against its size and CRC-32, model.h5's tensors read against the shapes
// the model expects, and the memory matrix's rows read with their ranges
// checked. A user may resume from a copied or downloaded checkpoint, so every
// reader here either returns what its comment promises or throws a
// std::runtime_error that names the file and says what to do; none trusts a
// size, a range or a file name it read. checkpoint.cpp copies what they
// return into tensors; fuzz/ runs them under sanitizers (docs/FUZZING.md).
// The format itself is described in train/checkpoint.h.
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "io/h5.h"

namespace latentebm {

constexpr const char* kCheckpointFormat = "latentebm-checkpoint";
constexpr int64_t kCheckpointVersion = 3;         // written
constexpr int64_t kOldestReadableCheckpoint = 2;  // read: 2 held one memory shard file per rank
// The largest world size a manifest may name (a bound on the format-2 shard
// walk, far above any job this runs).
constexpr int64_t kMaxCheckpointWorldSize = 1 << 20;

struct CheckpointMeta {
  int64_t iteration = 0;  // the next iteration to run
  int64_t stage = 0;      // the active stage
  int64_t world_size = 1;
  std::string config_yaml;
  std::string dataset_fingerprint;  // data::dataset_fingerprint of the training data
  // The stage schedule's state (JSON object as text; "{}" when absent):
  // stage_starts (iteration each stage began), the plateau rule's state and
  // a pending stage-switch vote (train/schedule.h).
  std::string schedule_json = "{}";
  // The divergence guard's state (JSON object as text; "{}" when absent,
  // train/divergence_guard.h): the settings its rollbacks lowered.
  std::string guard_json = "{}";
  int64_t total_iterations = 0;  // T as the run resolved it (0: not recorded, older checkpoints)
  int64_t global_batch = 0;      // the global batch it was trained with (0: not recorded)
};

// One file of a checkpoint as its manifest lists it.
struct ManifestFile {
  std::string name;  // a plain file name inside the checkpoint directory
  int64_t bytes = 0;
  std::string crc32;  // 8 lowercase hex digits
};

// manifest.json, checked. What parse_manifest returns always holds:
// version in [kOldestReadableCheckpoint, kCheckpointVersion]; iteration,
// stage >= 0; world_size in [1, kMaxCheckpointWorldSize]; total_iterations,
// global_batch >= 0 and iteration <= total_iterations when T is recorded;
// schedule_json and guard_json JSON objects; file names plain (no '/', not
// "." or ".."), distinct, bytes >= 0; model.h5 listed, and the memory matrix's
// file(s) too: format 3's memory_file (memory_rows >= 0), format 2's
// shard-NNNNN.h5 for every rank below world_size.
struct Manifest {
  int64_t version = 0;
  CheckpointMeta meta;
  std::string structure;    // the structural config keys, one "key: value" per line
  std::string memory_file;  // format 3: the memory matrix's file (empty in format 2)
  int64_t memory_rows = 0;  // format 3: its rows
  // Set by scripts/strip_checkpoint_for_eval.py: model.h5 keeps only the
  // generator and the prior (its size and CRC rewritten), the memory matrix is
  // gone. Evaluation reads it; a whole verify and a resume refuse it.
  bool evaluation_only = false;
  std::vector<ManifestFile> files;
};

// Parse and check manifest text (`where` names it in errors).
Manifest parse_manifest(const std::string& text, const std::string& where);
// <ckpt_dir>/manifest.json's text, or an error saying the checkpoint is incomplete.
std::string read_manifest_text(const std::string& ckpt_dir);
Manifest read_manifest(const std::string& ckpt_dir);

// Read the metadata (and config) of a checkpoint from its manifest.
CheckpointMeta read_checkpoint_meta(const std::string& ckpt_dir);

// Check every file the manifest lists: present, same size, same CRC-32.
// Throws naming the first bad file and what to do. With `only`, that one
// file alone, which the manifest must list (the sampling commands check
// model.h5 so before HDF5 parses it: libhdf5 can crash on a damaged file).
// Without `only`, an evaluation-only checkpoint is refused (it cannot resume).
void verify_checkpoint(const std::string& ckpt_dir, const std::string& only = "");

// A file's size and CRC-32 (the manifest's "bytes" and "crc32").
struct FileSum {
  int64_t bytes = 0;
  uint32_t crc = 0;
  std::string crc_hex() const;  // 8 lowercase hex digits
};
FileSum checksum_file(const std::string& path);

// "shard-00003.h5": format 2's memory rows of one writing rank.
std::string checkpoint_shard_name(int rank);

// The files that hold rows `mine` of a memory matrix of n_total rows: the
// memory matrix's file (format 3, whose row count must be n_total), or the
// format-2 shards whose writer ranges overlap `mine`, so a rank never opens a
// shard it has no row in.
std::vector<std::string> memory_files(const std::string& ckpt_dir, const Manifest& m, const data::Shard& mine,
                                      int64_t n_total);

// A float32 tensor of model.h5 and the shape the model expects of it.
struct TensorSpec {
  std::string name;  // e.g. "/generator/net.0.weight"
  std::vector<int64_t> shape;
};

// model.h5, as resume and the sampling commands read it.
class ModelFileReader {
 public:
  explicit ModelFileReader(const std::string& path);
  const std::string& path() const { return file_.path(); }
  // The number of ratio networks it holds (>= 0).
  int64_t num_stages() const;
  // The tensor's values, row-major: present, exactly spec.shape, every value finite.
  std::vector<float> tensor(const TensorSpec& spec) const;
  // An optimizer group's step count (>= 0).
  int64_t steps(const std::string& group) const;

 private:
  h5::File file_;
};

// The memory matrix's layout in a file, which read_memory_rows reads back:
// examples `rows` of n_total as /memory and /snapshot (float32
// [rows.size(), nz]) and /written_at (int64 [rows.size()]), the range as
// attributes begin, end, n_total of /memory. A checkpoint's memory.h5 is one
// such file for all N rows (checkpoint.h).
void write_memory_rows(h5::File& file, const data::Shard& rows, int64_t n_total, int64_t nz, const float* memory,
                       const float* snapshot, const int64_t* written_at);

// One rank's rows of the memory matrix, read from `paths` (memory_files).
// Each file's row range [begin, end) lies in [0, n_total) and its datasets
// have exactly its rows: /memory and /snapshot [end - begin, nz],
// /written_at [end - begin] when present. Every row of `mine` comes from
// exactly one file; values are finite, written_at >= -1 (-1: never written,
// also where a file predates /written_at).
struct MemoryRows {
  std::vector<float> memory, snapshot;  // [mine.size(), nz]
  std::vector<int64_t> written_at;      // [mine.size()]
};
MemoryRows read_memory_rows(const std::vector<std::string>& paths, const data::Shard& mine, int64_t n_total, int64_t nz);

}  // namespace latentebm
