#pragma once
// The layout of a run directory, in one place. Everything latentebm writes
// for a run lives under its root:
//
//   config.yaml              resolved config (all keys), written at start-up
//   logs/rank-NNNNN.log      one debug log per rank
//   metrics.jsonl            one JSON object per line (see io/metrics_log.h)
//   checkpoints/             ckpt-NNNNNNNN/ (sharded, with manifest.json) and
//                            the `latest` pointer (train/checkpoint.h)
//   debug/                   divergence dumps, divergence-itNNNNNNNN-rankNNNNN.h5
//   tensorboard/             TensorBoard event files, one per invocation (io/tensorboard.h)
//   samples.png, reconstructions.png, langevin_strip.png, nce_loss.png,
//   auprc.png, anomaly.json  pictures and summaries of a finished run
//   eval.json                `latentebm eval`
//
// RunDir only computes paths (and creates folders when asked); it holds no
// open files, so copies are cheap and every rank may hold one.
#include <string>

namespace latentebm {

class RunDir {
 public:
  RunDir() = default;
  explicit RunDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  bool empty() const { return root_.empty(); }

  std::string config_yaml() const { return file("config.yaml"); }
  std::string logs() const { return file("logs"); }
  std::string rank_log(int rank) const;
  std::string metrics() const { return file("metrics.jsonl"); }
  std::string checkpoints() const { return file("checkpoints"); }
  std::string debug() const { return file("debug"); }
  std::string tensorboard() const { return file("tensorboard"); }
  std::string divergence_dump(long long iteration, int rank) const;
  // A file directly under the root (pictures, summaries: "samples.png", ...).
  std::string file(const std::string& name) const;

  // Create the root (and parents). Returns *this.
  const RunDir& create() const;
  // config.yaml, atomically, with a header line.
  void write_config(const std::string& yaml) const;

 private:
  std::string root_;
};

}  // namespace latentebm
