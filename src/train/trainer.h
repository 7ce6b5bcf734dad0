#pragma once
// Algorithm 1 of the paper (adaptive multi-stage density ratio estimation),
// data-parallel over the ranks of a Communicator. trainer.cpp reads top to
// bottom as the algorithm: see Trainer::train(). Its named parts: the
// mini-batches (ShardBatches), the step's terms (StepTermsOf, all-reduced
// with the gradients), the divergence guard (DivergenceGuard), the stage and
// learning-rate schedule (RunSchedule) and the progress reporting
// (ProgressReporter).
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "data/dataset.h"
#include "distributed/communicator.h"
#include "io/run_dir.h"
#include "model/generator.h"
#include "model/noise.h"
#include "model/prior.h"
#include "model/sampler.h"
#include "train/adam.h"
#include "train/checkpoint.h"
#include "train/device.h"
#include "train/divergence_guard.h"
#include "train/memory_bank.h"
#include "train/progress_reporter.h"
#include "train/run_schedule.h"
#include "train/shard_batches.h"
#include "train/step_terms.h"
#include "train/transfer.h"

namespace latentebm {

class Trainer {
 public:
  // Builds the model and this rank's view of the data. If `resume_from` names
  // a checkpoint directory, state is loaded from it (a larger T in `cfg`
  // continues the run: train/run_schedule.h); otherwise parameters are
  // initialised from the seed and broadcast from rank 0. `device`: the device
  // the caller already resolved (default: resolve runtime.device here).
  Trainer(const Config& cfg, Communicator& comm, const std::string& run_dir,
          const std::optional<std::string>& resume_from = std::nullopt,
          const std::optional<torch::Device>& device = std::nullopt);

  // Called on every rank after each iteration's update (iteration() is the
  // number done; the parameters are as its step left them, its summed terms
  // are read in the next iteration), before that iteration's checkpoint, in
  // the order added.
  // Evaluation during training hooks in here (the application layer adds it);
  // a callback that runs collectives must run them on every rank.
  using IterationCallback = std::function<void(Trainer&)>;
  void add_iteration_callback(IterationCallback cb) { iteration_callbacks_.push_back(std::move(cb)); }
  // The latest evaluation in words ("AUPRC 0.81 at it 500"), which the
  // progress line repeats until the next one (set by the callback that ran it).
  void set_progress_note(std::string note) { reporter_.set_note(std::move(note)); }

  // Run Algorithm 1 until iteration T, or for at most `max_iterations` more
  // iterations (> 0) of this invocation. Checkpoints every
  // log.checkpoint_every iterations and when it stops. Returns early, after a
  // checkpoint, when a rank received SIGTERM/SIGINT (see stopped()).
  void train(int64_t max_iterations = 0);
  bool stopped() const { return stopped_; }
  int64_t rollbacks() const { return guard_.rollbacks(); }
  int64_t skipped_steps() const { return guard_.skipped(); }
  // The settings in effect: the configured ones, unless the divergence
  // guard's rollbacks lowered them (config() keeps what was configured).
  double langevin_delta() const { return guard_.in_effect().langevin_delta; }
  double e_lr() const { return guard_.in_effect().e_lr; }
  // Posterior Langevin as training runs it now (train.langevin_steps, the step in effect).
  LangevinOptions posterior_langevin() const {  // the config's chain, at the step size in effect (the guard's)
    LangevinOptions o = posterior_langevin_options(cfg_);
    o.delta = langevin_delta();
    return o;
  }
  std::string dataset_fingerprint() const { return data::dataset_fingerprint(data_->info(), cfg_.data.train_limit); }

  // Training finished (not stopped early, every iteration done)?
  bool finished() const { return !stopped_ && iteration_ >= schedule_.total(); }

  // --- state, exposed for tools and tests
  int64_t iteration() const { return iteration_; }
  int64_t stage() const { return schedule_.stage(); }
  int64_t total_iterations() const { return schedule_.total(); }
  int64_t stage_length() const { return schedule_.stage_length(); }  // the fixed schedule's S
  // Iteration at which each stage so far began (stage_starts()[0] = 0).
  const std::vector<int64_t>& stage_starts() const { return schedule_.stage_starts(); }
  const PlateauRule& plateau_rule() const { return schedule_.plateau_rule(); }
  const RunSchedule& schedule() const { return schedule_; }
  const DivergenceGuard& guard() const { return guard_; }
  Generator& generator() { return g_; }
  MultiStagePrior& prior() { return prior_; }
  MemoryBank& bank() { return bank_; }
  Adam& generator_optimizer() { return g_opt_; }
  const data::ShardData& data() const { return *data_; }
  torch::Device device() const { return device_; }
  // The run's config, as config.yaml and every checkpoint hold it (never
  // changed by training; the guard's lowered settings are langevin_delta(), e_lr()).
  const Config& config() const { return cfg_; }
  const RunDir& run_dir() const { return run_dir_; }
  Communicator& comm() { return comm_; }
  int64_t local_batch() const { return batches_->local_batch(); }
  int64_t global_batch() const { return cfg_.train.batch_size; }
  // Prior stages of the model as it stands (the active ratio included): what
  // evaluation during training scores with.
  int64_t evaluation_stages() const { return stages_through(stage(), schedule_.stages()); }

  // --- the pieces of one iteration (public so tests can drive them)
  void enter_stage(int64_t k);  // step 5: freeze f_{k-1}, broadcast + verify, snapshot bank
  Batch load_batch(int64_t t) { return batches_->at(t); }  // step 1
  torch::Tensor sample_posterior(const torch::Tensor& x, torch::Tensor* grad_norm = nullptr);  // step 2
  torch::Tensor sample_noise(int64_t count);  // prior samples for the NCE of the active stage
  // Reference samples of p_k for the noise diagnostics (drawn once per stage,
  // when its first logged row needs them; seeded by (seed, rank, stage)).
  const NoiseReference& noise_reference() const { return reference_; }
  // Steps 3 + 4 at once: the update, then its all-reduced terms read (a
  // diverged update is not applied). train() runs the same pieces with the
  // read one iteration later.
  StepStats update(const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise,
                   const torch::Tensor& langevin_grad_norm = {}, bool diagnose = false);
  std::string save();

 private:
  // An iteration whose update is enqueued (all-reduce started, optimizer
  // steps masked on the device by the guard) and whose summed terms the host
  // has not read yet.
  struct Launched {
    int64_t t = -1;
    Batch batch;
    torch::Tensor z_post, z_noise;
    DeferredRead terms;  // the summed StepTerms, then the GuardVerdict
    bool stepped_ratio = false;  // the active ratio network's optimizer stepped too
    double t_langevin = 0, t_update = 0, t_allreduce = 0;
  };
  // Gradients of this rank's share into .grad; its loss terms, |grad z|, the
  // guard's flags and (when `diagnose`) the noise diagnostics, on the device.
  StepTermsOf<torch::Tensor> local_terms(const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise,
                                         const torch::Tensor& langevin_grad_norm, bool diagnose);
  // The host's flags set, the all-reduce started, the masked optimizer steps
  // enqueued; the result becomes pending_.
  void launch_step(int64_t t, Batch batch, torch::Tensor z_post, torch::Tensor z_noise, StepTermsOf<torch::Tensor> local);
  // Waits for a launched update's terms (and, with NCCL, its all-reduce) and
  // reads them; a masked (diverged) step is taken back from the step counts.
  StepStats read_launched(Launched& l);
  // Reads pending_'s terms and does what they decide (guard, memory rows,
  // stage vote, progress line, stop). kRestart: the state moved (rollback) or
  // a stage switch is due, so work `in_flight` for the next iteration is void;
  // kStopped: a stop signal's checkpoint is written.
  enum class Resolved { kGoOn, kRestart, kStopped };
  Resolved resolve_pending(bool in_flight);
  // The divergence guard's decision (identical on every rank): skip, roll
  // back, or write the debug dumps and throw DivergenceError.
  void handle_divergence(int64_t t, const StepStats& s, const Launched& l);
  // Reloads the checkpoint; the guard lowers what drove the divergence.
  void rollback(const CheckpointRef& ckpt, bool energy_runaway);
  // Stages of the prior that posterior Langevin targets: the current p_k
  // (adaptive-ce, single-stage), N(0, I) (gaussian, non-adaptive), or the
  // energy being learnt (lebm).
  int64_t posterior_stages() const { return traits_.posterior_stages(stage()); }
  void seed_iteration(int64_t t) { torch::manual_seed(iteration_seed(cfg_.train.seed, comm_.rank(), t)); }
  void draw_reference();
  Adam ratio_optimizer(int64_t k);  // Adam over f_k at the e_lr in effect
  std::vector<torch::Tensor> replicated_parameters();
  ProgressContext progress_context() const;

  const Config cfg_;  // the run's config, train.batch_size resolved for this rank count
  const MethodTraits& traits_;
  Communicator& comm_;
  RunDir run_dir_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<data::ShardData> data_;
  std::unique_ptr<ShardBatches> batches_;
  std::vector<IterationCallback> iteration_callbacks_;
  ProgressReporter reporter_;
  RunSchedule schedule_;
  DivergenceGuard guard_;

  // The model and its optimizers (f_k's: the active stage's), the memory matrix.
  Generator g_{nullptr};
  MultiStagePrior prior_{nullptr};
  Adam g_opt_, e_opt_;
  MemoryBank bank_;
  NoiseReference reference_;

  int64_t iteration_ = 0;  // iterations done
  int64_t end_ = 0;        // where this train() call stops
  bool stopped_ = false;
  std::optional<Launched> pending_;
};

}  // namespace latentebm
