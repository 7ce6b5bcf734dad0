// run_training: `latentebm train`. The start-up protocol (app/startup.h), the
// device and communicator, the Trainer with the evaluation callbacks this
// layer registers, and the final report of a finished run.
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

#include "app/app.h"
#include "app/startup.h"
#include "app/tensorboard_log.h"
#include "distributed/communicator.h"
#include "distributed/mpi_session.h"
#include "eval/anomaly_monitor.h"
#include "io/run_dir.h"
#include "log.h"
#include "report/training_report.h"
#include "train/faults.h"
#include "train/trainer.h"

namespace latentebm::app {

namespace {

// eval.anomaly_every > 0: score the test split every that many iterations.
void add_anomaly_evaluation(Trainer& trainer, const Config& cfg, std::shared_ptr<AnomalyMonitor> monitor) {
  trainer.add_iteration_callback([monitor, every = cfg.eval.anomaly_every](Trainer& t) {
    if (t.iteration() % every != 0) return;
    const auto& c = t.config();
    torch::manual_seed(iteration_seed(c.train.seed, t.comm().rank(), -2 - t.iteration()));  // not training's stream
    const auto m = monitor->evaluate(ModelState{t.generator(), t.prior(), t.evaluation_stages(), t.iteration(), t.stage(),
                                                t.device(), posterior_langevin_options(c)});
    t.set_progress_note(fmt::format("AUPRC {:.3f} AUROC {:.3f} at it {}", m.auprc, m.auroc, t.iteration()));
  });
}

// Rank 0's TensorBoard log (tb is null on the other ranks and with
// log.tensorboard=off): the metrics rows of each iteration, the config once,
// pictures every log.tensorboard_images_every iterations and at the end.
// Registered after the evaluations, so their rows go out the same iteration.
void add_tensorboard(Trainer& trainer, const Config& cfg, std::shared_ptr<TensorBoardLog> tb) {
  if (!tb) return;
  trainer.add_iteration_callback([tb, every = cfg.log.tensorboard_images_every](Trainer& t) {
    tb->config_text(t.iteration());
    tb->poll();
    if ((every > 0 && t.iteration() % every == 0) || t.iteration() == t.total_iterations()) tb->pictures(t);
  });
}

// log.tensorboard=on on rank 0: the log, or none (with a warning) where this
// build or the run directory cannot have one. Training goes on either way.
std::shared_ptr<TensorBoardLog> open_tensorboard(const RunDir& run, const Config& cfg, bool root) {
  if (!root || cfg.log.tensorboard != Switch::kOn) return nullptr;
  try {
    auto tb = std::make_shared<TensorBoardLog>(run, cfg);
    spdlog::debug("TensorBoard events file {}", tb->path());
    return tb;
  } catch (const std::exception& e) {
    spdlog::warn("no TensorBoard events: {}", e.what());
    return nullptr;
  }
}

}  // namespace

std::string config_keys_help() {
  const std::string s = to_yaml(Config{});
  std::string out, line;
  for (char c : s) {
    if (c == '\n') {
      out += "  " + line + "\n";
      line.clear();
    } else {
      line += c;
    }
  }
  return out;
}

int run_training(const TrainOptions& opt) {
  const auto wall_start = std::chrono::steady_clock::now();
  MpiSession mpi;
  install_stop_signals();
  init_console_logging(mpi.comm().rank());

  const auto startup = run_startup_checks(mpi.comm(), opt);
  if (!startup.setup) {
    auto& comm = mpi.comm();
    if (comm.is_root())
      spdlog::error("{}{}", comm.size() > 1 ? "rank " + std::to_string(startup.failed_rank) + ": " : "", startup.error);
    return kExitBadSetup;
  }
  const TrainingSetup& setup = *startup.setup;
  const Config& cfg = setup.cfg;
  const RunDir run(setup.run_dir);
  set_collective_timeout(cfg.runtime.collective_timeout_s);

  if (mpi.comm().is_root()) run.create().write_config(to_yaml(cfg));
  mpi.comm().barrier("run directory ready");
  // GPUs: pick this rank's device from its node-local rank before any CUDA
  // work, then move gradient all-reduces onto NCCL.
  const bool cpu = cfg.runtime.device == DeviceChoice::kCpu;  // the node-local queries are MPI collectives
  const auto device = resolve_device(cfg.runtime.device, cpu ? 0 : node_local_rank(), cpu ? 1 : node_local_size(),
                                     cfg.runtime.share_gpus == Switch::kOn);
  if (device.is_cuda() && mpi.comm().size() > 1) {
    if (nccl_available())
      mpi.replace(make_nccl_communicator(mpi.release(), device.index()));
    else
      spdlog::warn("this build has no NCCL: GPU gradients are all-reduced through host memory over MPI");
  }
  auto& comm = mpi.comm();
  init_run_logging(run.root(), comm.rank());
  spdlog::debug("rank {} pid {}", comm.rank(), static_cast<long>(::getpid()));
  torch::set_num_threads(static_cast<int>(cfg.runtime.threads));
  spdlog::info("run directory {} | {} rank(s) over {}", run.root(), comm.size(), comm.backend());

  auto tb = open_tensorboard(run, cfg, comm.is_root());  // before the Trainer: it may write a restart row
  Trainer trainer(cfg, comm, run.root(), setup.resume, device);
  if (cfg.eval.anomaly_every > 0)
    add_anomaly_evaluation(trainer, cfg,
                           std::make_shared<AnomalyMonitor>(cfg, comm, MetricsWriter(run.metrics()), trainer.local_batch()));
  add_tensorboard(trainer, cfg, tb);
  try {
    trainer.train(opt.max_iterations);
    if (tb) tb->poll();  // rows written after the last callback (a stop signal's)
  } catch (const DivergenceError& e) {  // thrown on every rank at the same iteration
    if (tb) tb->poll();
    spdlog::error("{}", e.what());
    spdlog::default_logger()->flush();
    return kExitDiverged;
  }
  if (trainer.finished()) {
    // Rank 0 alone draws the pictures and summaries; the others only wait for
    // it. That wait is not a collective that can stall on a dead peer (mpirun
    // ends the job if rank 0 dies), and a large model's pictures may take
    // longer than runtime.collective_timeout_s: the watchdog stops here.
    set_collective_timeout(0);
    if (comm.is_root()) {
      fault_point("report.final", comm.rank());
      // The trainer's config: a rollback may have lowered train.langevin_delta.
      write_anomaly_summary(run, trainer.config(), setup.dataset.anomaly_label);
      if (opt.pictures)
        write_final_pictures(run, trainer.config(),
                             TrainedModel{trainer.generator(), trainer.prior(), trainer.evaluation_stages(), trainer.iteration(),
                                          trainer.device(), iteration_seed(cfg.train.seed, 0, -1)});
      if (tb) tb->poll();  // the final row
    }
  }
  if (comm.is_root()) {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const std::string pictures = trainer.finished() && opt.pictures
                                     ? " | pictures: " + run.file("samples.png") + ", reconstructions.png, langevin_strip.png"
                                     : "";
    const std::string board = tb ? " | watch it: tensorboard --logdir " + run.tensorboard() : "";
    spdlog::info("{} at iteration {}/{} in {} (this invocation){}{}", trainer.finished() ? "done" : "stopped",
                 trainer.iteration(), trainer.total_iterations(), format_duration(wall), pictures, board);
  }
  comm.barrier("done");
  spdlog::default_logger()->flush();
  return kExitOk;
}

}  // namespace latentebm::app
