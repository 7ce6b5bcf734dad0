#include "app/tensorboard_log.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "method.h"
#include "model/inference.h"
#include "report/grid.h"
#include "report/strip.h"
#include "train/trainer.h"

namespace latentebm::app {

std::vector<std::pair<std::string, double>> tensorboard_scalars(const nlohmann::json& row) {
  std::vector<std::pair<std::string, double>> out;
  if (!row.is_object() || row.contains("restart") || !row.contains("iteration")) return out;
  const bool final_row = row.contains("final");
  const bool anomaly_row = row.contains("auprc");
  const bool stage_row = row.contains("stage_start");
  const std::string group = final_row ? "final" : anomaly_row ? "anomaly" : stage_row ? "stage" : "train";
  static const std::set<std::string> skip = {"iteration", "anomaly_label", "test_images", "recon_images", "stage_start"};
  const int64_t stage = row.contains("stage") && row["stage"].is_number_integer() ? row["stage"].get<int64_t>() : 0;
  for (const auto& item : row.items()) {
    const std::string& key = item.key();
    const auto& value = item.value();
    if (!value.is_number() || skip.count(key) || (key == "stage" && group != "train")) continue;
    if (group == "train" && (key == "nce_loss" || key == "nce_acc"))
      out.emplace_back("nce/stage_" + std::to_string(stage) + (key == "nce_loss" ? "/loss" : "/accuracy"),
                       value.get<double>());
    else
      out.emplace_back(group + "/" + key, value.get<double>());
  }
  return out;
}

TensorBoardLog::TensorBoardLog(const RunDir& run, const Config& cfg)
    : cfg_(cfg), writer_(run.tensorboard()), metrics_(run.metrics()) {}

void TensorBoardLog::poll() {
  for (const auto& row : metrics_.poll()) {
    if (row.contains("restart")) {
      // Steps after the restart point were undone: TensorBoard drops what it
      // read at steps >= the START event's.
      writer_.session_start(row.value("iteration", int64_t{0}) + 1);
      continue;
    }
    const auto values = tensorboard_scalars(row);
    if (!values.empty()) writer_.scalars(values, row["iteration"].get<int64_t>());
  }
}

void TensorBoardLog::config_text(int64_t step) {
  if (config_written_) return;
  config_written_ = true;
  // Markdown: an indented block keeps the YAML as it is.
  std::istringstream in(to_yaml(cfg_));
  std::string md, line;
  while (std::getline(in, line)) md += "    " + line + "\n";
  writer_.text("config", step, md);
}

void TensorBoardLog::pictures(Trainer& t) {
  const auto& cfg = t.config();
  const int64_t it = t.iteration(), stages = t.evaluation_stages();
  // A stream of its own: training reseeds every iteration, other evaluations use -2 - it.
  torch::manual_seed(iteration_seed(cfg.train.seed, 0, -(int64_t{1} << 40) - it));
  int64_t w = 0, h = 0;
  // Prior samples.
  SampleConfig sc = cfg.sample;
  const int64_t n = std::clamp<int64_t>(sc.count, 1, 64);
  const auto samples = sample_images(t.generator(), t.prior(), stages, sc, n, t.device());
  auto png = grid_png(samples, 8, &w, &h);
  writer_.image("samples/prior", it, png, w, h, samples.size(1));
  // Reconstructions of the first 16 training images of this rank's shard.
  const auto& imgs = t.data().images();
  const int64_t m = std::min<int64_t>(16, imgs.n);
  if (m > 0) {
    auto x = model_images(imgs, 0, m).to(t.device());
    const auto recon = reconstruct_images(t.generator(), t.prior(), traits(cfg.train.method).test_posterior_stages(stages),
                                          x, cfg.model.sigma, t.posterior_langevin());
    png = grid_png(interleave_rows(x, recon, 8), 8, &w, &h);
    writer_.image("samples/reconstructions", it, png, w, h, x.size(1));
  }
  // The Langevin strip: 8 chains from N(0, I), a column every 20 of 200 prior Langevin steps.
  StripOptions so;
  so.delta = cfg.sample.delta;
  int64_t columns = 0;
  const auto strip = langevin_strip(t.generator(), t.prior(), stages, so, t.device(), &columns);
  png = grid_png(strip, columns, &w, &h);
  writer_.image("samples/langevin_strip", it, png, w, h, strip.size(1));
}

}  // namespace latentebm::app
