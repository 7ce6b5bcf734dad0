#pragma once
// Algorithm 1 of the paper (adaptive multi-stage density ratio estimation),
// data-parallel over the ranks of a Communicator. trainer.cpp reads top to
// bottom as the algorithm: see Trainer::train().
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
#include "io/io_stats.h"
#include "io/metrics_log.h"
#include "io/run_dir.h"
#include "model/generator.h"
#include "model/noise.h"
#include "model/prior.h"
#include "train/adam.h"
#include "train/checkpoint.h"
#include "train/memory_bank.h"
#include "train/schedule.h"
#include "train/transfer.h"

namespace latentebm {

// A mini-batch of this rank's shard.
struct Batch {
  std::vector<int64_t> indices;  // global example indices
  torch::Tensor x;               // [b, C, H, W] in [-1, 1]
};

// Per-iteration quantities summed over ranks (already divided by the global
// batch where they are means).
struct StepStats {
  double gen_loss = 0, nce_loss = 0, nce_acc = 0, langevin_grad_norm = 0;
  // Noise diagnostics (only on iterations that compute them, see
  // Trainer::update; rank means): squared MMD between the noise batch and the
  // stage's reference samples of p_k, mean log p_k (unnormalised) on noise,
  // reference and posterior samples, mean f_k (active) on noise and reference.
  double diag_mmd2 = 0, diag_logp_noise = 0, diag_logp_ref = 0, diag_logp_post = 0, diag_f_noise = 0, diag_f_ref = 0;
  int64_t diag_count = 0;  // iterations summed into the diag_* fields
  bool advance_stage = false;  // rank 0's plateau vote (adaptive schedule), seen by every rank
  double t_langevin = 0, t_update = 0, t_allreduce = 0;  // seconds, this rank
  // Decisions every rank reads from the same all-reduced values:
  bool diverged = false;        // some rank saw a non-finite loss, gradient or Langevin state,
                                // or the prior loss ran beyond train.divergence_loss_limit
  bool energy_runaway = false;  // the latter: finite, but the prior's energy runs away
  std::string divergence;       // what was wrong
  bool stop_requested = false;  // some rank received SIGTERM / SIGINT
};

// Thrown on every rank at the same iteration when the divergence guard gives
// up (policy stop, or rollbacks / skips exhausted).
struct DivergenceError : std::runtime_error {
  DivergenceError(int64_t it, const std::string& msg) : std::runtime_error(msg), iteration(it) {}
  int64_t iteration;
};

// The local share of the global-batch losses, backpropagated into .grad:
//   gen: sum_i ||x_i - g(z_i)||^2 / (2 sigma^2) / B
//   nce: -(1/B) sum log sigmoid(f(z_post)) - (1/B) sum log sigmoid(-f(z_noise))
//   ml (LEBM): (1/B) sum f(z_noise) - (1/B) sum f(z_post), whose gradient is
//        minus the log-likelihood gradient of p(z) ~ exp(f(z)) N(z; 0, I)
//        (z_noise: samples of the current prior, z_post: posterior samples)
// With every rank's grads summed, this equals the single-process gradient on
// the union batch of size B = global_batch. Returns [gen, prior loss,
// correct/(2B)] as a 3-element tensor of the local contributions (no .grad on
// it); the accuracy is 0 for the ML objective.
torch::Tensor accumulate_gradients(Generator& g, RatioNet* active, const torch::Tensor& x, const torch::Tensor& z_post,
                                   const torch::Tensor& z_noise, double sigma, int64_t global_batch,
                                   PriorObjective objective = PriorObjective::kNce);

class Trainer {
 public:
  // Builds the model and this rank's view of the data. If `resume_from` names
  // a checkpoint directory, state is loaded from it; otherwise parameters are
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
  void set_progress_note(std::string note) { progress_note_ = std::move(note); }

  // Run Algorithm 1 until iteration T, or for at most `max_iterations` more
  // iterations (> 0) of this invocation. Checkpoints every
  // log.checkpoint_every iterations and when it stops. Returns early, after a
  // checkpoint, when a rank received SIGTERM/SIGINT (see stopped()).
  void train(int64_t max_iterations = 0);
  bool stopped() const { return stopped_; }
  int64_t rollbacks() const { return rollbacks_; }
  int64_t skipped_steps() const { return skipped_; }
  double langevin_delta() const { return cfg_.train.langevin_delta; }
  double e_lr() const { return cfg_.train.e_lr; }
  const std::string& dataset_fingerprint() const { return dataset_fingerprint_; }

  // Training finished (not stopped early, every iteration done)?
  bool finished() const { return !stopped_ && iteration_ >= T_; }

  // --- state, exposed for tools and tests
  int64_t iteration() const { return iteration_; }
  int64_t stage() const { return stage_; }
  int64_t total_iterations() const { return T_; }
  int64_t stage_length() const { return S_; }  // the fixed schedule's T/K
  // Iteration at which each stage so far began (stage_starts()[0] = 0).
  const std::vector<int64_t>& stage_starts() const { return stage_starts_; }
  const PlateauRule& plateau_rule() const { return plateau_; }
  Generator& generator() { return g_; }
  MultiStagePrior& prior() { return prior_; }
  MemoryBank& bank() { return bank_; }
  Adam& generator_optimizer() { return g_opt_; }
  const data::ShardData& data() const { return *data_; }
  torch::Device device() const { return device_; }
  const Config& config() const { return cfg_; }  // as it stands (a rollback lowers langevin_delta)
  const RunDir& run_dir() const { return run_dir_; }
  Communicator& comm() { return comm_; }
  int64_t local_batch() const { return local_batch_; }
  int64_t global_batch() const { return global_batch_; }
  // Prior stages of the model as it stands (the active ratio included): what
  // evaluation during training scores with.
  int64_t evaluation_stages() const { return model_stages(); }

  // --- the pieces of one iteration (public so tests can drive them)
  void enter_stage(int64_t k);  // step 5: freeze f_{k-1}, broadcast + verify, snapshot bank
  Batch load_batch(int64_t t);  // step 1
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
  int64_t stage_for(int64_t t) const;
  // Stages of the prior that posterior Langevin targets: the current p_k
  // (adaptive-ce, single-stage), N(0, I) (gaussian, non-adaptive), or the
  // energy being learnt (lebm).
  int64_t posterior_stages() const;
  // Stages of the model as it stands (the active ratio included): what
  // evaluation during training scores with.
  int64_t model_stages() const;
  void seed_iteration(int64_t t);
  // Whether stage k+1 begins at the top of iteration t (the schedule).
  bool stage_ends_before(int64_t t) const;
  void draw_reference();
  std::string schedule_json() const;
  void restore_schedule(const std::string& json);
  void log_progress(int64_t t, const StepStats& sum, int64_t count, double window_s);

  // An iteration whose update is enqueued (all-reduce started, optimizer
  // steps masked on the device by the guard) and whose summed terms the host
  // has not read yet.
  struct Launched {
    int64_t t = -1;
    Batch batch;
    torch::Tensor z_post, z_noise;
    DeferredRead terms;  // see the layout in trainer.cpp
    bool stepped_ratio = false;  // the active ratio network's optimizer stepped too
    double t_langevin = 0, t_update = 0, t_allreduce = 0;
  };
  // Gradients of this rank's share into .grad; its loss terms, |grad z|, the
  // guard's flags and (when `diagnose`) the noise diagnostics, on the device.
  torch::Tensor local_terms(const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise,
                            const torch::Tensor& langevin_grad_norm, bool diagnose);
  // The host's flags appended, the all-reduce started, the masked optimizer
  // steps enqueued; the result becomes pending_.
  void launch_step(int64_t t, Batch batch, torch::Tensor z_post, torch::Tensor z_noise, torch::Tensor local);
  StepStats parse_terms(const torch::Tensor& host_terms) const;
  // Waits for a launched update's terms (and, with NCCL, its all-reduce) and
  // reads them; a masked (diverged) step is taken back from the step counts.
  StepStats read_launched(Launched& l);
  // Reads pending_'s terms and does what they decide (guard, memory rows,
  // stage vote, progress line, stop). kRestart: the state moved (rollback) or
  // a stage switch is due, so work `in_flight` for the next iteration is void;
  // kStopped: a stop signal's checkpoint is written.
  enum class Resolved { kGoOn, kRestart, kStopped };
  Resolved resolve_pending(bool in_flight);
  // The divergence guard's decision (identical on every rank).
  void handle_divergence(int64_t t, const StepStats& s, const Batch& batch, const torch::Tensor& z_post,
                         const torch::Tensor& z_noise);
  // Reloads the checkpoint and shrinks, by train.rollback_delta_factor, what
  // drove the divergence: train.e_lr for a runaway energy, else langevin_delta.
  void rollback(const CheckpointRef& ckpt, bool energy_runaway);
  // After a start-up or a load: every rank holds the same checkpoint (rank
  // 0's manifest) and bit-identical parameters; throws naming a mismatch.
  void check_loaded(const std::string& ckpt_dir, const std::string& manifest);
  // The files opened and bytes read since `start`, per rank, into the log and metrics.jsonl.
  void report_io(const char* when, const io::IoCounters& used);
  void write_debug_dump(int64_t t, const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise);

  // Replicated state (generator, prior) identical on every rank? Throws if not.
  void check_replicas(const char* when);

  Config cfg_;
  const MethodTraits& traits_;
  Communicator& comm_;
  RunDir run_dir_;
  MetricsWriter metrics_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<data::ShardData> data_;
  std::vector<IterationCallback> iteration_callbacks_;
  std::string progress_note_;
  int64_t T_ = 0, S_ = 0, K_ = 0, global_batch_ = 0, local_batch_ = 0, iters_per_epoch_ = 0;
  int64_t iteration_ = 0, stage_ = 0;
  bool stopped_ = false;
  int64_t rollbacks_ = 0, skipped_ = 0, consecutive_skips_ = 0;
  std::string dataset_fingerprint_;
  // Stage schedule: where each stage began; the adaptive rule, rank 0's vote
  // waiting for the next all-reduce, and a decided switch for the next iteration.
  std::vector<int64_t> stage_starts_{0};
  PlateauRule plateau_;
  bool vote_pending_ = false, advance_ = false;
  NoiseReference reference_;

  Generator g_{nullptr};
  MultiStagePrior prior_{nullptr};
  Adam g_opt_, e_opt_;
  MemoryBank bank_;

  std::optional<Launched> pending_;
  int64_t end_ = 0;  // where this train() call stops
  StepStats window_;  // iterations summed since the last progress line
  int64_t in_window_ = 0;
  std::chrono::steady_clock::time_point window_start_;

  int64_t cached_epoch_ = -1;
  std::vector<int64_t> epoch_order_;
  std::chrono::steady_clock::time_point start_time_;
};

// The GPU of the node-local rank `local_rank` of `local_size` on a node with
// `gpus` GPUs: local_rank modulo gpus. Throws when the node has more ranks
// than GPUs, unless `share` (runtime.share_gpus) allows it.
int gpu_for_rank(int local_rank, int local_size, int gpus, bool share);
// Pick the device named by runtime.device ("auto" = CUDA when available);
// on GPUs, gpu_for_rank decides the index.
torch::Device resolve_device(DeviceChoice choice, int local_rank = 0, int local_size = 1, bool share_gpus = false);

// The seed LibTorch's generator gets at iteration t on `rank`.
uint64_t iteration_seed(uint64_t seed, int rank, int64_t t);

}  // namespace latentebm
