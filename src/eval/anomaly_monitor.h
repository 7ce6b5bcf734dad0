#pragma once
// Anomaly detection during training (eval.anomaly_every > 0 on a split made
// by `prepare --holdout-label D`): every rank scores its shard of the test
// split under the model as it stands, the scores are gathered by index, and
// AUPRC / AUROC are logged and appended to metrics.jsonl (rank 0). The
// application layer calls evaluate() from a training callback.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "config.h"
#include "data/dataset.h"
#include "eval/anomaly.h"
#include "io/metrics_log.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

class Communicator;

// Where the model stands when it is evaluated.
struct ModelState {
  Generator& g;
  MultiStagePrior& prior;
  int64_t stages = 0;     // prior stages of the model as it stands (the active ratio included)
  int64_t iteration = 0;
  int64_t stage = 0;
  torch::Device device{torch::kCPU};
  LangevinOptions langevin;  // posterior Langevin: the training settings as they stand
};

class AnomalyMonitor {
 public:
  // Throws when the dataset is not an anomaly-detection split. `batch_size`:
  // images per scoring batch on this rank.
  AnomalyMonitor(const Config& cfg, Communicator& comm, MetricsWriter metrics, int64_t batch_size);

  // Collective. The caller seeds LibTorch's generator first (a stream apart
  // from training's). Returns the metrics on every rank.
  AnomalyMetrics evaluate(const ModelState& model);

  int64_t anomaly_label() const { return anomaly_label_; }

 private:
  Config cfg_;
  Communicator& comm_;
  MetricsWriter metrics_;
  int64_t batch_size_ = 0, anomaly_label_ = -1;
  std::unique_ptr<data::ShardData> test_;  // loaded on first evaluation
  std::vector<bool> test_is_anomaly_;      // every test image's flag, gathered then
};

}  // namespace latentebm
