#include "report/training_report.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "io/atomic_file.h"
#include "io/metrics_log.h"
#include "model/inference.h"
#include "report/grid.h"
#include "report/plot.h"
#include "report/strip.h"

namespace latentebm {

namespace {
std::pair<double, double> mean_std(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(std::max<size_t>(1, v.size()));
  for (double x : v) var += (x - mean) * (x - mean);
  return {mean, v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0.0};
}
}  // namespace

void write_anomaly_summary(const RunDir& run, const Config& cfg, int64_t anomaly_label) {
  if (anomaly_label < 0) return;
  std::vector<double> auprc, auroc;
  std::vector<int64_t> its;
  for (const auto& r : current_metrics(read_metrics(run.metrics())))
    if (r.contains("auprc")) {
      auprc.push_back(r["auprc"].get<double>());
      auroc.push_back(r["auroc"].get<double>());
      its.push_back(r["iteration"].get<int64_t>());
    }
  if (auprc.empty()) return;
  const size_t w = std::min<size_t>(auprc.size(), static_cast<size_t>(cfg.eval.anomaly_window));
  const std::vector<double> last_p(auprc.end() - static_cast<std::ptrdiff_t>(w), auprc.end());
  const std::vector<double> last_r(auroc.end() - static_cast<std::ptrdiff_t>(w), auroc.end());
  const auto [pm, ps] = mean_std(last_p);
  const auto [rm, rs] = mean_std(last_r);
  nlohmann::json out = {{"anomaly_label", anomaly_label},
                        {"method", enum_name(cfg.train.method)},
                        {"evaluations", auprc.size()},
                        {"window", w},
                        {"auprc_mean", pm},
                        {"auprc_std", ps},
                        {"auroc_mean", rm},
                        {"auroc_std", rs},
                        {"iterations", std::vector<int64_t>(its.end() - static_cast<std::ptrdiff_t>(w), its.end())}};
  io::write_file_atomically(run.file("anomaly.json"), out.dump(2) + "\n");
  spdlog::info("anomaly detection, label {} held out: AUPRC {:.4f} +- {:.4f}, AUROC {:.4f} +- {:.4f} (last {} evaluations)",
               anomaly_label, pm, ps, rm, rs, w);
}

void write_final_pictures(const RunDir& run, const Config& cfg, const TrainedModel& model) {
  const int64_t K = model.stages;
  torch::manual_seed(model.seed);
  const int64_t n = cfg.sample.count, cols = 8;
  auto samples = sample_images(model.g, model.prior, K, cfg.sample, n, model.device);
  const auto samples_path = run.file("samples.png");
  save_grid(samples_path, samples, cols);

  const auto info = data::inspect_dataset(cfg.data.path);
  data::ShardData test(cfg.data.path, "test", 0, 1, std::min<int64_t>(n, info.n_test));
  const auto& imgs = test.images();
  auto x = model_images(imgs).to(model.device);
  // Posterior sampling under the prior the generator was trained with.
  auto recon = reconstruct_images(model.g, model.prior, traits(cfg.train.method).test_posterior_stages(K), x, cfg.model.sigma,
                                  posterior_langevin_options(cfg));
  const double mse = (recon - x).pow(2).mean().item<double>();
  const auto recon_path = run.file("reconstructions.png");
  save_reconstruction_grid(recon_path, x, recon, cols);
  spdlog::info("wrote {} (prior samples, {}) and {} (test reconstruction MSE {:.5f} over {} images)", samples_path,
               enum_name(cfg.sample.method), recon_path, mse, x.size(0));
  MetricsWriter(run.metrics()).append({{"iteration", model.iteration}, {"final", true}, {"recon_mse", mse}, {"recon_images", x.size(0)}});

  // Figure 3: prior Langevin chains decoded every 20 of 200 steps.
  const auto strip_path = run.file("langevin_strip.png");
  save_langevin_strip(strip_path, model.g, model.prior, K, StripOptions{}, model.device);
  // Figure 4: the prior loss of each stage over training; AUPRC on anomaly splits.
  if (!gnuplot_available()) {
    spdlog::warn("gnuplot not found: nce_loss.png not drawn (apt-get install gnuplot-nox)");
    return;
  }
  std::vector<PlotSeries> loss, mmd, auprc(1);
  auprc[0].name = "AUPRC";
  for (const auto& r : current_metrics(read_metrics(run.metrics()))) {
    if (r.contains("nce_loss") && r.contains("stage")) {
      const auto k = static_cast<size_t>(r["stage"].get<int64_t>());
      while (loss.size() <= k) loss.push_back(PlotSeries{"stage " + std::to_string(loss.size()), {}, {}});
      loss[k].xs.push_back(static_cast<double>(r["iteration"].get<int64_t>()));
      loss[k].ys.push_back(r["nce_loss"].get<double>());
      if (r.contains("noise_mmd2")) {  // how far the stage's noise is from p_k
        while (mmd.size() <= k) mmd.push_back(PlotSeries{"stage " + std::to_string(mmd.size()), {}, {}});
        mmd[k].xs.push_back(static_cast<double>(r["iteration"].get<int64_t>()));
        mmd[k].ys.push_back(r["noise_mmd2"].get<double>());
      }
    }
    if (r.contains("auprc")) {
      auprc[0].xs.push_back(static_cast<double>(r["iteration"].get<int64_t>()));
      auprc[0].ys.push_back(r["auprc"].get<double>());
    }
  }
  const MethodTraits& tr = traits(cfg.train.method);
  const std::string objective = tr.objective == PriorObjective::kMaximumLikelihood ? "energy ML loss" : "NCE loss";
  if (K > 0 && !loss.empty())
    plot_lines(run.file("nce_loss.png"), objective + " per stage (" + tr.name + ")", "iteration", objective, loss);
  if (!mmd.empty())
    plot_lines(run.file("noise_mmd2.png"),
               std::string("MMD^2 of the stage's noise (") + enum_name(cfg.train.prior_samples) + ") to samples of p_k",
               "iteration", "MMD^2", mmd);
  if (!auprc[0].xs.empty())
    plot_lines(run.file("auprc.png"), "anomaly detection, label " + std::to_string(info.anomaly_label) + " held out",
               "iteration", "AUPRC", auprc);
  spdlog::info("wrote {}{}{}", strip_path, K > 0 ? " and nce_loss.png" : "", mmd.empty() ? "" : ", noise_mmd2.png");
}

}  // namespace latentebm
