#include "eval/anomaly_monitor.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "distributed/communicator.h"
#include "distributed/gather.h"

namespace latentebm {

AnomalyMonitor::AnomalyMonitor(const Config& cfg, Communicator& comm, MetricsWriter metrics, int64_t batch_size)
    : cfg_(cfg), comm_(comm), metrics_(std::move(metrics)), batch_size_(batch_size) {
  anomaly_label_ = data::inspect_dataset(cfg.data.path).anomaly_label;
  if (anomaly_label_ < 0)
    throw std::runtime_error("eval.anomaly_every is set but '" + cfg.data.path +
                             "' is not an anomaly-detection split; prepare it with --holdout-label D");
}

AnomalyMetrics AnomalyMonitor::evaluate(const ModelState& model) {
  if (!test_) {  // first evaluation: this rank's test shard, and every test image's anomaly flag
    test_ = std::make_unique<data::ShardData>(cfg_.data.path, "test", comm_.rank(), comm_.size(), cfg_.data.test_limit);
    const std::vector<double> labels(test_->images().labels.begin(), test_->images().labels.end());
    for (double l : gather_by_index(comm_, test_->split_size(), test_->shard().begin, labels, "anomaly labels"))
      test_is_anomaly_.push_back(static_cast<int64_t>(l) == anomaly_label_);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto local = score_images(model.g, model.prior, model.stages, test_->images(), cfg_.model.sigma, model.langevin,
                                  batch_size_, model.device);
  const auto scores = gather_by_index(comm_, test_->split_size(), test_->shard().begin, local, "anomaly scores");
  const auto m = anomaly_metrics(scores, test_is_anomaly_);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("anomaly (label {} held out) at it {}: AUPRC {:.4f} AUROC {:.4f} over {} test images ({} anomalies), {:.1f} s",
               anomaly_label_, model.iteration, m.auprc, m.auroc, m.n, m.n_anomalous, seconds);
  if (comm_.is_root())
    metrics_.append({{"iteration", model.iteration}, {"stage", model.stage},  {"auprc", m.auprc},
                     {"auroc", m.auroc},            {"anomaly_label", anomaly_label_}, {"test_images", m.n}});
  return m;
}

}  // namespace latentebm
