#include "app/startup.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "distributed/communicator.h"
#include "train/checkpoint.h"
#include "train/faults.h"

namespace fs = std::filesystem;

namespace latentebm::app {

StartupResult run_startup_checks(Communicator& comm, const TrainOptions& opt) {
  TrainingSetup s;
  s.run_dir = opt.run_dir.value_or((fs::path("runs") / fs::path(opt.config_path).stem()).string());
  std::string error;
  try {
    check_fault_injection(comm.rank(), comm.size());  // LATENTEBM_INJECT: warn when set, refuse a malformed value
    if (comm.is_root())
      for (const auto& p : clean_interrupted_saves(s.run_dir)) spdlog::warn("removed {} (left by an interrupted checkpoint save)", p);
    s.resume = opt.checkpoint ? opt.checkpoint : latest_checkpoint(s.run_dir);
    if (s.resume) {
      s.cfg = parse_config(read_checkpoint_meta(*s.resume).config_yaml, *s.resume + "/manifest.json");
      if (opt.config_given)
        spdlog::warn("resuming {}: its saved config is used; --config {} is ignored", s.run_dir, opt.config_path);
    } else {
      s.cfg = load_config(opt.config_path);
    }
    apply_overrides(s.cfg, opt.overrides);
    for (const auto& note : resolve_method(s.cfg)) spdlog::info("{}", note);
    validate(s.cfg);
    s.dataset = data::inspect_dataset(s.cfg.data.path);
    const auto& info = s.dataset;
    const int64_t n = s.cfg.data.train_limit > 0 ? std::min(s.cfg.data.train_limit, info.n_train) : info.n_train;
    validate_against(s.cfg, comm.size(), n, info.c, info.h, info.w);
    if (s.cfg.eval.anomaly_every > 0 && info.anomaly_label < 0)
      throw std::runtime_error("eval.anomaly_every is set but '" + s.cfg.data.path +
                               "' is not an anomaly-detection split; prepare it with --holdout-label D");
    if (s.resume) {
      check_resume_compatible(*s.resume, s.cfg, data::dataset_fingerprint(info, s.cfg.data.train_limit));
      if (comm.is_root()) verify_checkpoint(*s.resume);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  StartupResult r;
  int64_t first_bad = error.empty() ? comm.size() : comm.rank();
  comm.allreduce_min(&first_bad, 1, "start-up checks");
  if (first_bad < comm.size()) {
    r.error = comm.broadcast_string(error, static_cast<int>(first_bad), "start-up error message");
    r.failed_rank = static_cast<int>(first_bad);
    return r;
  }
  r.setup = std::move(s);
  return r;
}

}  // namespace latentebm::app
