// Collective commands over a trained model: eval (eval/evaluate.h) and score
// (eval/score.h). Any rank count gives the same numbers.
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/app.h"
#include "app/loaded_run.h"
#include "distributed/mpi_session.h"
#include "eval/anomaly.h"
#include "eval/evaluate.h"
#include "eval/score.h"
#include "io/atomic_file.h"
#include "io/run_dir.h"
#include "io/tensorboard.h"
#include "log.h"
#include "train/checkpoint.h"

namespace fs = std::filesystem;

namespace latentebm::app {

namespace {
// The eval.json summary printed on the console.
std::string eval_summary(const nlohmann::json& result) {
  std::ostringstream s;
  s << std::setprecision(6);
  const auto& m = result["reconstruction_mse"];
  if (m.contains("value")) s << "reconstruction_mse " << m["value"].get<double>() << " images " << m["images"] << "\n";
  const auto& fd = result["fd_classifier"];
  if (fd.contains("value"))
    s << "fd_classifier " << fd["value"].get<double>() << " samples " << fd["samples"] << " classifier_test_accuracy "
      << fd["classifier_test_accuracy"].get<double>() << "\n";
  else
    s << "fd_classifier skipped: " << fd["skipped"].get<std::string>() << "\n";
  if (result.contains("fd_classifier_reconstructions"))
    s << "fd_classifier_reconstructions " << result["fd_classifier_reconstructions"]["value"].get<double>()
      << " fd_classifier_test_images " << result["fd_classifier_test_images"]["value"].get<double>() << " images "
      << result["fd_classifier_test_images"]["images"] << "\n";
  const auto& fid = result["fid"];
  if (fid.contains("value"))
    s << "fid " << fid["value"].get<double>() << " samples " << fid["samples"] << "\n";
  else
    s << "fid skipped: " << fid["skipped"].get<std::string>() << "\n";
  const auto& p = result["parameters"];
  s << "parameters generator " << p["generator"] << " prior " << p["prior"] << " (" << std::setprecision(3)
    << 100.0 * p["prior_to_generator"].get<double>() << "% of the generator)\n";
  return s.str();
}
}  // namespace

// An evaluation of a run directory's checkpoint also lands in the run's
// TensorBoard log (a new events file, as a resumed run adds one), at the
// checkpoint's iteration: eval/<metric>, or eval/stages_<k>/<metric> when
// --stages chose a number of prior stages.
static void log_eval_to_tensorboard(const EvalCommandOptions& o, const LoadedRun& r, const nlohmann::json& result,
                             int64_t iteration) {
  if (!o.model.run_dir || r.cfg.log.tensorboard != Switch::kOn || !tensorboard_available()) return;
  const std::string prefix = o.sampling.stages ? "eval/stages_" + std::to_string(*o.sampling.stages) + "/" : "eval/";
  std::vector<std::pair<std::string, double>> values;
  for (const char* key : {"reconstruction_mse", "fd_classifier", "fd_classifier_reconstructions", "fid"})
    if (result.contains(key) && result[key].is_object() && result[key].contains("value") && result[key]["value"].is_number())
      values.emplace_back(prefix + key, result[key]["value"].get<double>());
  if (values.empty()) return;
  try {
    TensorBoardWriter tb(RunDir(*o.model.run_dir).tensorboard());
    tb.scalars(values, iteration);
    spdlog::info("TensorBoard: {} value(s) at iteration {} in {}", values.size(), iteration, tb.path());
  } catch (const std::exception& e) {
    spdlog::warn("could not add the evaluation to the TensorBoard log: {}", e.what());
  }
}

int run_eval(const EvalCommandOptions& o) {
  MpiSession mpi;
  auto& comm = mpi.comm();
  init_console_logging(comm.rank());
  auto r = load_run(o.model);
  torch::set_num_threads(static_cast<int>(r.cfg.runtime.threads));
  EvalOptions opt;
  opt.samples = o.samples;
  opt.batch_size = o.sampling.batch_size;
  opt.seed = o.sampling.seed;
  opt.test_limit = o.test_limit.value_or(-1);
  opt.fid_model = o.fid_model;
  opt.fid_reference_limit = o.fid_reference_limit;
  opt.classifier.epochs = o.classifier_epochs;
  opt.prior_stages = prior_stages(o.sampling.stages, r);
  Config cfg = r.cfg;  // the FD / FID samples' sampler: the run's, or the command line's
  cfg.sample = sampler_config(r.cfg.sample, o.sampling.prior);
  const fs::path out_dir = o.model.run_dir ? fs::path(*o.model.run_dir) : fs::path(r.ckpt);
  // The classifier cache lives next to the dataset unless that folder is read-only.
  std::string cache = o.classifier.value_or("");
  if (cache.empty() && comm.is_root()) {
    cache = default_classifier_path(r.cfg.data.path);
    const auto dir = fs::absolute(r.cfg.data.path).parent_path();
    if (::access(dir.c_str(), W_OK) != 0 && !fs::exists(cache)) {
      cache = (out_dir / "feature-classifier.h5").string();
      spdlog::info("{} is not writable: caching the feature classifier in {}", dir.string(), cache);
    }
  }
  opt.classifier_path = comm.broadcast_string(cache, 0, "classifier cache path");
  if (opt.fid_model.empty())
    spdlog::info("no --fid-model: FID is skipped (it needs Inception weights; `latentebm eval --help` says how to export them)");
  spdlog::info("evaluating {} on {} rank(s), prior stages {}", r.ckpt, comm.size(), opt.prior_stages);

  auto result = evaluate_model(comm, cfg, r.g, r.prior, r.device, opt);
  const auto meta = read_checkpoint_meta(r.ckpt);
  result["checkpoint"] = r.ckpt;
  result["iteration"] = meta.iteration;
  const std::string out = o.out.value_or((out_dir / "eval.json").string());
  if (comm.is_root()) {
    io::write_file_atomically(out, result.dump(2) + "\n");
    std::cout << eval_summary(result) << std::flush;
    spdlog::info("wrote {}", out);
    log_eval_to_tensorboard(o, r, result, meta.iteration);
  }
  comm.barrier("eval done");
  return kExitOk;
}

int run_score(const ScoreCommandOptions& o) {
  if (o.data.empty()) throw std::runtime_error("score needs --data FILE.h5 (a prepared dataset)");
  if (o.out.empty()) throw std::runtime_error("score needs --out FILE.csv");
  MpiSession mpi;
  auto& comm = mpi.comm();
  init_console_logging(comm.rank());
  auto r = load_run(o.model);
  torch::set_num_threads(static_cast<int>(r.cfg.runtime.threads));
  ScoreOptions so;
  so.data_path = o.data;
  so.split = o.split;
  so.limit = o.limit;
  so.batch_size = o.sampling.batch_size;
  so.seed = o.sampling.seed;
  so.sigma = r.cfg.model.sigma;
  so.langevin = posterior_langevin_options(r.cfg);
  if (so.split != "train" && so.split != "test") throw std::runtime_error("--split must be train or test");
  so.stages = prior_stages(o.sampling.stages, r);
  const auto result = score_dataset(comm, r.g, r.prior, so, r.device);
  if (comm.is_root()) {
    const auto n = static_cast<int64_t>(result.score.size());
    std::ostringstream csv;
    csv << "index,label,score,reconstruction,prior\n" << std::setprecision(10);
    for (size_t i = 0; i < static_cast<size_t>(n); ++i)
      csv << result.rows[i] << "," << result.labels[i] << "," << result.score[i] << "," << result.reconstruction[i] << ","
          << result.prior[i] << "\n";
    io::write_file_atomically(o.out, csv.str());
    spdlog::info("wrote {} ({} {} images of {}, prior stages {})", o.out, n, so.split, so.data_path, so.stages);
    if (o.anomaly_label) {
      std::vector<bool> is_anomaly;
      for (int64_t l : result.labels) is_anomaly.push_back(l == *o.anomaly_label);
      const auto m = anomaly_metrics(result.score, is_anomaly);
      std::cout << std::setprecision(6) << "auprc " << m.auprc << " auroc " << m.auroc << " images " << m.n << " anomalies "
                << m.n_anomalous << "\n";
      // Each term ranked alone: which of the two finds the anomalies.
      const auto r = anomaly_metrics(result.reconstruction, is_anomaly);
      const auto p = anomaly_metrics(result.prior, is_anomaly);
      std::cout << "reconstruction term alone: auprc " << r.auprc << " auroc " << r.auroc << "\n"
                << "prior term alone: auprc " << p.auprc << " auroc " << p.auroc << "\n";
    }
  }
  comm.barrier("score done");
  return kExitOk;
}

}  // namespace latentebm::app
