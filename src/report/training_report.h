#pragma once
// What a finished training run leaves beside its checkpoints (rank 0 only):
//   samples.png          prior samples (sample.method of the config)
//   reconstructions.png  test images and their reconstructions, row by row
//   langevin_strip.png   prior Langevin decoded every 20 of 200 steps (paper Fig. 3)
//   nce_loss.png         the prior loss of each stage over training (Fig. 4)
//   auprc.png            AUPRC over training (anomaly splits)
//   anomaly.json         mean and std of AUPRC / AUROC over the last
//                        eval.anomaly_window evaluations (anomaly splits)
// plus a final metrics.jsonl row with the reconstruction MSE of the images
// shown. Summaries read metrics.jsonl through current_metrics(), so rows of
// iterations undone by a rollback or a resume do not count.
#include <torch/torch.h>

#include <cstdint>

#include "config.h"
#include "io/run_dir.h"
#include "model/generator.h"
#include "model/prior.h"

namespace latentebm {

struct TrainedModel {
  Generator& g;
  MultiStagePrior& prior;
  int64_t stages = 0;      // prior stages to sample from (K of a finished run)
  int64_t iteration = 0;   // the run's iteration (for the final metrics row)
  torch::Device device{torch::kCPU};
  uint64_t seed = 0;       // LibTorch's generator is seeded with this first
};

// samples.png, reconstructions.png, langevin_strip.png, nce_loss.png and
// auprc.png, and the final metrics row.
void write_final_pictures(const RunDir& run, const Config& cfg, const TrainedModel& model);

// anomaly.json from the anomaly rows of metrics.jsonl; nothing when the run
// has none (not an anomaly split). `anomaly_label` is the dataset's.
void write_anomaly_summary(const RunDir& run, const Config& cfg, int64_t anomaly_label);

}  // namespace latentebm
