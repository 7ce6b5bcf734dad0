#pragma once
// Rank 0's TensorBoard log of a training run, in <run>/tensorboard/ (one new
// events file per invocation, io/tensorboard.h):
//   scalars  every metrics.jsonl row appended while it runs, as
//            tensorboard_scalars() names them (it tails the file, so the
//            events say exactly what metrics.jsonl says); a restart row
//            (resume, rollback) becomes a SessionLog START at the step after
//            it, so TensorBoard drops the undone steps as metrics.jsonl readers do
//   images   samples/prior, samples/reconstructions (top rows data, below them
//            their reconstructions), samples/langevin_strip, every
//            log.tensorboard_images_every iterations and at the last one
//   text     config: the resolved config.yaml, at the first iteration
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "io/metrics_log.h"
#include "io/run_dir.h"
#include "io/tensorboard.h"

namespace latentebm {
class Trainer;
}

namespace latentebm::app {

// The TensorBoard scalars of one metrics.jsonl row, (tag, value) with the
// row's "iteration" as the step:
//   progress rows  train/<key> for each number, except nce_loss and nce_acc,
//                  which go to nce/stage_<stage>/loss and nce/stage_<stage>/accuracy
//                  (one curve per stage)
//   stage rows     stage/bank_refreshed_fraction (at the iteration a stage began)
//   anomaly rows   anomaly/auprc, anomaly/auroc (and the window means/stds)
//   final rows     final/recon_mse
// Counters and labels (iteration, stage outside progress rows, stage_start,
// anomaly_label, test_images, recon_images) and non-numbers are left out;
// restart rows give none.
std::vector<std::pair<std::string, double>> tensorboard_scalars(const nlohmann::json& row);

class TensorBoardLog {
 public:
  // Opens a new events file and starts following metrics.jsonl from its
  // current end. Construct before the Trainer, whose restart row it must see.
  TensorBoardLog(const RunDir& run, const Config& cfg);

  // Scalars for the metrics rows appended since the last call.
  void poll();
  // The config as text (once, at the trainer's first iteration of this invocation).
  void config_text(int64_t step);
  // Samples, reconstructions and the Langevin strip of the model as it stands.
  void pictures(Trainer& trainer);

  const std::string& path() const { return writer_.path(); }

 private:
  Config cfg_;
  TensorBoardWriter writer_;
  MetricsFollower metrics_;
  bool config_written_ = false;
};

}  // namespace latentebm::app
