#include "app/startup.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "distributed/communicator.h"
#include "train/checkpoint.h"
#include "train/faults.h"
#include "train/run_schedule.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace latentebm::app {
namespace {

// Runs `step` on every rank and agrees on the outcome: the first failing
// rank's message, the same on every rank, or nothing.
std::optional<StartupResult> agree(Communicator& comm, const std::function<void()>& step) {
  std::string error;
  try {
    step();
  } catch (const std::exception& e) {
    error = e.what();
  }
  const auto failed = comm.first_error(error, "start-up checks");
  if (!failed) return std::nullopt;
  StartupResult r;
  r.failed_rank = failed->first;
  r.error = failed->second;
  return r;
}

// What a resume on another rank count does to the batch, in words.
std::string batch_on_resume(const CheckpointMeta& meta, const Config& cfg, int world) {
  const int64_t before = meta.global_batch > 0 ? meta.global_batch : parse_config(meta.config_yaml, "checkpoint").train.batch_size;
  const std::string ranks = "resuming on " + std::to_string(world) + " rank(s), the checkpoint was written by " +
                            std::to_string(meta.world_size) + ": ";
  if (cfg.train.batch_per_rank > 0)
    return ranks + "train.batch_per_rank = " + std::to_string(cfg.train.batch_per_rank) + " is kept, so the global batch " +
           (before == cfg.train.batch_size ? "stays " + std::to_string(before)
                                           : "changes " + std::to_string(before) + " -> " + std::to_string(cfg.train.batch_size)) +
           " (T stays as it was; add train.batch_per_rank=0 train.batch_size=" + std::to_string(before) +
           " to keep the global batch instead)";
  return ranks + "the global batch " + std::to_string(cfg.train.batch_size) + " is kept (" +
         describe_local_batch(cfg, world) + " per rank; add train.batch_per_rank=N to fix the per-rank batch instead)";
}

}  // namespace

StartupResult run_startup_checks(Communicator& comm, const TrainOptions& opt) {
  TrainingSetup s;
  s.run_dir = opt.run_dir.value_or((fs::path("runs") / fs::path(opt.config_path).stem()).string());
  // 1. Leftovers of interrupted saves (rank 0), fault injection (every rank).
  if (auto failed = agree(comm, [&] {
        check_fault_injection(comm.rank(), comm.size());  // LATENTEBM_INJECT: warn when set, refuse a malformed value
        if (comm.is_root())
          for (const auto& p : clean_interrupted_saves(s.run_dir)) spdlog::warn("removed {} (left by an interrupted checkpoint save)", p);
      }))
    return *failed;
  // 2. Which checkpoint, if any: rank 0's answer for every rank.
  std::optional<CheckpointRef> resume;
  try {
    resume = shared_checkpoint(comm, s.run_dir, opt.checkpoint);  // collective; throws on every rank alike
  } catch (const std::exception& e) {
    StartupResult r;
    r.error = e.what();
    r.failed_rank = 0;
    return r;
  }
  if (resume) s.resume = resume->dir;
  // 3. The config, the data, the checkpoint's compatibility.
  if (auto failed = agree(comm, [&] {
        if (resume) {
          s.cfg = parse_config(resume->manifest.meta.config_yaml, resume->dir + "/manifest.json");
          if (opt.config_given)
            spdlog::warn("resuming {}: its saved config is used; --config {} is ignored", s.run_dir, opt.config_path);
        } else {
          s.cfg = load_config(opt.config_path);
        }
        apply_overrides(s.cfg, opt.overrides);
        for (const auto& note : resolve_method(s.cfg)) spdlog::info("{}", note);
        if (const auto note = resolve_batch(s.cfg, comm.size())) spdlog::info("{}", *note);
        validate(s.cfg);
        s.dataset = data::inspect_dataset(s.cfg.data.path);
        const auto& info = s.dataset;
        const int64_t n = s.cfg.data.train_limit > 0 ? std::min(s.cfg.data.train_limit, info.n_train) : info.n_train;
        validate_against(s.cfg, comm.size(), n, info.c, info.h, info.w);
        if (s.cfg.eval.anomaly_every > 0 && info.anomaly_label < 0)
          throw std::runtime_error("eval.anomaly_every is set but '" + s.cfg.data.path +
                                   "' is not an anomaly-detection split; prepare it with --holdout-label D");
        if (resume) {
          check_resume_compatible(*resume, s.cfg, data::dataset_fingerprint(info, s.cfg.data.train_limit));
          // A larger T continues the run; a smaller one is refused here, before any rank starts.
          resumed_total_iterations(resume->manifest.meta.total_iterations, parse_config(resume->manifest.meta.config_yaml, resume->dir),
                                   s.cfg, resume->manifest.meta.iteration, n);
          if (comm.is_root()) verify_checkpoint(resume->dir);
          if (resume->manifest.meta.world_size != comm.size()) spdlog::info("{}", batch_on_resume(resume->manifest.meta, s.cfg, comm.size()));
        }
        if (comm.is_root() && !resume)
          for (const auto& line : describe_schedule(s.cfg, n, comm.size())) spdlog::info("{}", line);
      }))
    return *failed;
  // 4. GPUs: no node may run more ranks than it has GPUs, unless allowed.
  const bool wants_gpu = s.cfg.runtime.device != DeviceChoice::kCpu && torch::cuda::is_available();
  if (wants_gpu) {
    const int local_rank = node_local_rank(), local_size = node_local_size();  // collectives, every rank alike
    if (auto failed = agree(comm, [&] {
          gpu_for_rank(local_rank, local_size, static_cast<int>(torch::cuda::device_count()),
                       s.cfg.runtime.share_gpus == Switch::kOn);
        }))
      return *failed;
  }
  StartupResult r;
  r.setup = std::move(s);
  return r;
}

}  // namespace latentebm::app
