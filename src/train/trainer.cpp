#include "train/trainer.h"

#include <spdlog/spdlog.h>

#include "distributed/tensor_comm.h"
#include "io/io_stats.h"
#include "log.h"
#include "model/cuda_graph_langevin.h"
#include "model/precision.h"
#include "train/faults.h"
#include "train/replicas.h"

namespace latentebm {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Config resolved_for(Config cfg, int world) {
  resolve_batch(cfg, world);  // train.batch_per_rank: the global batch for this rank count
  return cfg;
}
}  // namespace

Trainer::Trainer(const Config& cfg, Communicator& comm, const std::string& run_dir,
                 const std::optional<std::string>& resume_from, const std::optional<torch::Device>& device)
    : cfg_(resolved_for(cfg, comm.size())),
      traits_(traits(cfg.train.method)),
      comm_(comm),
      run_dir_(run_dir),
      reporter_(MetricsWriter(run_dir_.metrics()), comm.is_root(), cfg.log),
      schedule_(cfg.train, 0),
      guard_(cfg.train) {
  const io::IoCounters io_start = io::io_counters();
  device_ = device ? *device : rank_device(cfg.runtime, comm);
  data_ = std::make_unique<data::ShardData>(cfg.data.path, "train", comm.rank(), comm.size(), cfg.data.train_limit);
  const auto& info = data_->info();
  const int64_t n = data_->split_size();
  validate_against(cfg_, comm.size(), n, info.c, info.h, info.w);
  batches_ = std::make_unique<ShardBatches>(*data_, comm.size(), latentebm::local_batch(cfg_, comm.size(), comm.rank()),
                                            cfg.train.seed, device_);

  // Rank 0 alone reads `latest` (or the named checkpoint) and its manifest.
  const auto resume = resume_from ? shared_checkpoint(comm_, run_dir, resume_from) : std::nullopt;
  // T as the run first resolved it: a resume on another rank count (another
  // global batch) keeps the schedule.
  const int64_t K = cfg_.train.stages;
  schedule_ = RunSchedule(cfg_.train, resume && resume->manifest.meta.total_iterations > 0 ? resume->manifest.meta.total_iterations
                                                                                   : latentebm::total_iterations(cfg_, n));

  torch::manual_seed(cfg.train.seed);
  g_ = Generator(cfg.model.generator, cfg.model.nz, cfg.model.ngf, info.c);
  prior_ = MultiStagePrior(cfg.model.nz, K, cfg.model.ratio_hidden);
  g_->to(device_);
  prior_->to(device_);
  // runtime.precision (the generator's arithmetic) and runtime.cuda_graph.
  apply_runtime(g_, cfg.runtime.precision, cfg.runtime.cuda_graph == Switch::kOn, device_);
  g_opt_ = Adam(parameter_list(*g_), cfg.train.g_lr, cfg.train.beta1, cfg.train.beta2);
  bank_ = MemoryBank(data_->shard(), n, cfg.model.nz, cfg.train.seed, device_);

  if (resume) {
    const auto& meta = resume->manifest.meta;
    guard_.restore(meta.guard_json, cfg_);  // the settings earlier rollbacks lowered
    if (K > 0) e_opt_ = ratio_optimizer(meta.stage);
    TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
    load_checkpoint(comm_, *resume, state);
    iteration_ = meta.iteration;
    schedule_.restore(meta.schedule_json, meta.stage, schedule_.total());
    schedule_.continue_to(resumed_total_iterations(meta.total_iterations, parse_config(meta.config_yaml, resume->dir),
                                                   cfg_, iteration_, n),
                          iteration_, cfg_.train);  // a larger T continues the run
    spdlog::info("resumed from {} at iteration {} (stage {}, written by {} rank(s))", resume->dir, iteration_, stage(),
                 meta.world_size);
    reporter_.restart(iteration_, "resume");
  } else {
    if (K > 0) e_opt_ = ratio_optimizer(0);
    // Every rank starts from rank 0's parameters, whatever its own init drew.
    broadcast_tensors(comm_, replicated_parameters(), 0, "initial parameters");
    reporter_.restart(0, "fresh");  // rows of an earlier attempt that left no checkpoint
  }
  check_loaded(comm_, replicated_parameters(), resume ? resume->dir : std::string(), resume ? resume->manifest_text : std::string());
  reporter_.io(comm_, resume ? "resume" : "start-up", io::io_counters() - io_start, iteration_);
}

Adam Trainer::ratio_optimizer(int64_t k) {
  return Adam(parameter_list(*prior_->ratio(k)), e_lr(), cfg_.train.beta1, cfg_.train.beta2);
}

std::vector<torch::Tensor> Trainer::replicated_parameters() {
  auto all = parameter_list(*g_);
  for (auto& p : parameter_list(*prior_)) all.push_back(p);
  return all;
}

// ---------------------------------------------------------------------------
// Algorithm 1.
//
// The host never waits for the device inside an iteration: iteration t's
// update (all-reduce, optimizer steps masked on the device by the divergence
// guard) is only enqueued, and the host reads its summed terms (losses, the
// guard's verdict, the stop signal, rank 0's stage vote) in iteration t+1,
// once t+1's sampling is queued behind it. What the terms decide is then
// done as before: a diverged step was never applied (the mask) and its
// memory rows are not written; a rollback, a stop or a stage switch discards
// t+1's unstepped work and starts t+1 again (its seed makes it the same).
// Where the host needs the state whole (a stage transition, a checkpoint,
// the end) it reads the terms first.
void Trainer::train(int64_t max_iterations) {
  const int64_t T = schedule_.total();
  end_ = max_iterations > 0 ? std::min(T, iteration_ + max_iterations) : T;
  spdlog::info("training iterations {}..{} of T = {} | K = {} stages of {} iterations | {} rank(s), global batch {} "
               "(this rank {}) | {} | device {}",
               iteration_, end_, T, schedule_.stages(), schedule_.stage_length(), comm_.size(), global_batch(),
               local_batch(), enum_name(cfg_.model.generator), device_.str());
  reporter_.start_window();
  while (iteration_ < end_) {
    const int64_t t = iteration_;
    // 5. Stage transition: every T/K iterations, or when the active stage's
    //    NCE loss has plateaued (train.stage_schedule); f_k frozen into the prior.
    if (schedule_.stage_ends_before(t)) {
      const auto r = resolve_pending(false);
      if (r == Resolved::kStopped) return;
      if (r == Resolved::kRestart) continue;
      while (schedule_.stage_ends_before(t)) enter_stage(stage() + 1);
    }
    seed_iteration(t);
    fault_point("train.iteration", comm_.rank());

    // 1. Mini-batch of this rank's shard.
    Batch batch = load_batch(t);

    // 2. Posterior samples z ~ p(z | x) under the current prior p_k, by short-run Langevin.
    auto t0 = Clock::now();
    torch::Tensor grad_norm;
    auto z_post = sample_posterior(batch.x, &grad_norm);
    const double t_langevin = seconds_since(t0);

    // Noise samples of p_k for the contrastive estimation of r_k = q_k / p_k.
    auto z_noise = sample_noise(static_cast<int64_t>(batch.indices.size()));

    // 3 + 4. Gradients of f_k (NCE) and of the generator into .grad ...
    const bool diagnose = (t + 1) % cfg_.log.log_every == 0 || t + 1 == end_;
    t0 = Clock::now();
    auto local = local_terms(batch, z_post, z_noise, grad_norm, diagnose);
    const double t_grad = seconds_since(t0);

    // ... iteration t-1's terms read, and acted on (its update is done) ...
    const auto r = resolve_pending(true);
    if (r == Resolved::kStopped) return;
    if (r == Resolved::kRestart) continue;  // what this iteration computed is dropped

    // ... then one all-reduce and one Adam step on each, enqueued.
    launch_step(t, std::move(batch), std::move(z_post), std::move(z_noise), std::move(local));
    pending_->t_langevin = t_langevin;
    pending_->t_update += t_grad;
    iteration_ = t + 1;

    for (auto& callback : iteration_callbacks_) callback(*this);  // evaluation during training (app/)
    if (iteration_ % cfg_.log.checkpoint_every == 0 || iteration_ == end_) {
      const auto rs = resolve_pending(false);
      if (rs == Resolved::kStopped) return;
      if (rs == Resolved::kRestart) continue;
      save();
    }
  }
  if (resolve_pending(false) == Resolved::kStopped) return;  // (only a stop can be left: every end saves)
  if (iteration_ >= T) spdlog::info("training finished: {} iterations in {}", T, format_duration(reporter_.elapsed_s()));
}

Trainer::Resolved Trainer::resolve_pending(bool in_flight) {
  if (!pending_) return Resolved::kGoOn;
  Launched l = std::move(*pending_);
  pending_.reset();
  const int64_t t = l.t;
  const StepStats s = read_launched(l);

  if (s.diverged) {  // every rank is here, at the same t; the masked step changed nothing
    const int64_t rollbacks = guard_.rollbacks();
    iteration_ = t;  // as the step left it; a skip moves on to t + 1, a rollback to its checkpoint
    handle_divergence(t, s, l);  // throws when the guard gives up
    // Skipped: what is in flight started from the unchanged state, as a skip
    // would have. Rolled back: it belongs to a future that did not happen.
    return guard_.rollbacks() != rollbacks ? Resolved::kRestart : Resolved::kGoOn;
  }
  guard_.step_ok();
  bank_.write(l.batch.indices, l.z_post, t);  // the memory matrix keeps each example's latest sample
  schedule_.observe(s.advance_stage, s.nce_loss, comm_.is_root());  // the adaptive schedule's plateau rule
  if (reporter_.add(t, s, end_)) reporter_.report(t + 1, progress_context());
  if (s.stop_requested) {  // preemption: every rank learnt it from the same all-reduce
    iteration_ = t + 1;
    const auto dir = save();
    spdlog::warn("stop signal: checkpoint {} written at iteration {}; run the same command again to resume", dir, iteration_);
    stopped_ = true;
    return Resolved::kStopped;
  }
  // A stage switch decided here comes before the next iteration's sampling.
  return s.advance_stage && in_flight ? Resolved::kRestart : Resolved::kGoOn;
}
// ---------------------------------------------------------------------------

void Trainer::enter_stage(int64_t k) {
  share_frozen_ratio(comm_, parameter_list(*prior_->ratio(k - 1)), k);  // freeze f_{k-1}, the same on every rank
  const double refreshed = refreshed_fraction(comm_, bank_, stage_starts().back());  // by stage k-1
  // The bank read in stage k is what the memory matrix holds now.
  if (uses_bank_draw(cfg_.train.prior_samples)) bank_.snapshot();
  schedule_.begin_stage(k, iteration_);
  e_opt_ = ratio_optimizer(k);
  reference_ = NoiseReference{};  // drawn for p_k when the stage's first diagnostics need it
  spdlog::info("stage {} of {} begins at iteration {} (f_{} frozen, checksum verified on {} rank(s)); stage {} refreshed {:.1f}% "
               "of the memory matrix",
               k, schedule_.stages(), iteration_, k - 1, comm_.size(), k - 1, 100.0 * refreshed);
  reporter_.stage_started(iteration_, k, stage_starts(), refreshed);
}

torch::Tensor Trainer::sample_posterior(const torch::Tensor& x, torch::Tensor* grad_norm) {
  auto z0 = torch::randn({x.size(0), cfg_.model.nz}, x.options());
  return graphed_langevin().posterior(g_, prior_, posterior_stages(), x, z0, cfg_.model.sigma, posterior_langevin(),
                                      grad_norm);
}

torch::Tensor Trainer::sample_noise(int64_t count) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  if (schedule_.stages() == 0) return torch::empty({0, cfg_.model.nz}, options);
  const LangevinOptions short_run = prior_langevin_options(cfg_);
  // Maximum likelihood (LEBM): short-run samples of the current energy-based prior.
  if (traits_.objective == PriorObjective::kMaximumLikelihood)
    return graphed_langevin().prior(prior_, stage() + 1, torch::randn({count, cfg_.model.nz}, options), short_run);
  const NoiseOptions opt{cfg_.train.prior_samples, short_run, cfg_.train.bank_langevin_steps, cfg_.train.noise_proposals};
  const bool uses_bank = stage() > 0 && uses_bank_draw(cfg_.train.prior_samples);
  return stage_noise(prior_, stage(), opt, count, uses_bank ? bank_.draw(count) : torch::Tensor(), options);
}

void Trainer::draw_reference() {
  reference_ = NoiseReference{};
  if (schedule_.stages() == 0 || cfg_.log.noise_reference_samples == 0 || traits_.objective != PriorObjective::kNce) return;
  reference_ = draw_stage_reference(prior_, stage(), cfg_.log, iteration_seed(cfg_.train.seed, comm_.rank(), -1000 - stage()),
                                    device_);
}

StepTermsOf<torch::Tensor> Trainer::local_terms(const Batch& batch, const torch::Tensor& z_post,
                                                const torch::Tensor& z_noise, const torch::Tensor& langevin_grad_norm,
                                                bool diagnose) {
  RatioNet* active = schedule_.stages() > 0 ? &prior_->ratio(stage()) : nullptr;
  g_opt_.zero_grad();
  if (active) e_opt_.zero_grad();
  auto terms = accumulate_gradients(g_, active, batch.x, z_post, z_noise, cfg_.model.sigma, global_batch(),
                                    traits_.objective);
  const auto options = terms.gen_loss.options();
  terms.langevin_grad_norm = (langevin_grad_norm.defined() ? langevin_grad_norm : torch::zeros({}, options)) /
                             static_cast<double>(comm_.size());
  // Guard flags, summed over ranks: non-finite (or beyond the limit)
  // posterior / noise samples on this rank.
  terms.bad_posterior = out_of_bounds(z_post, cfg_.train.divergence_z_limit);
  terms.bad_noise = out_of_bounds(z_noise, cfg_.train.divergence_z_limit);
  // Noise diagnostics, as rank means (zero when not computed).
  for (auto* v : {&terms.diagnosed, &terms.mmd2, &terms.logp_noise, &terms.logp_reference, &terms.logp_posterior,
                  &terms.f_noise, &terms.f_reference})
    *v = torch::zeros({}, options);
  if (diagnose && active && z_noise.numel() > 0 && reference_.stage != stage()) draw_reference();
  if (diagnose && active && reference_.z.defined() && z_noise.numel() > 0)
    add_noise_diagnostics(terms, prior_, *active, stage(), reference_, z_noise, z_post, comm_.size());
  return terms;
}

void Trainer::launch_step(int64_t t, Batch batch, torch::Tensor z_post, torch::Tensor z_noise,
                          StepTermsOf<torch::Tensor> local) {
  auto t0 = Clock::now();
  Launched l;
  l.t = t;
  // The host's flags, known now: a pending stop signal, rank 0's vote.
  const auto opts = local.gen_loss.options();
  local.stop = torch::full({}, stop_requested() ? 1.0f : 0.0f, opts);
  local.vote = torch::full({}, schedule_.take_vote() ? 1.0f : 0.0f, opts);
  auto terms = pack_fields<StepTermsOf>(local, torch::kFloat32);

  // One flat buffer in a fixed order: generator grads, active ratio grads, then the terms.
  l.stepped_ratio = schedule_.stages() > 0;
  std::vector<torch::Tensor> parts;
  for (const auto& p : g_opt_.params()) parts.push_back(p.grad());
  if (l.stepped_ratio)
    for (const auto& p : e_opt_.params()) parts.push_back(p.grad());
  parts.push_back(terms);
  auto flat = pack(parts);
  fault_point("train.before-allreduce", comm_.rank());
  auto t1 = Clock::now();
  start_allreduce_sum(comm_, flat, "gradients (generator + active ratio network)");
  l.t_allreduce = seconds_since(t1);
  unpack(flat, parts);

  // The guard, decided on the device from the summed values (the same on
  // every rank); the host reads the verdict with the terms, one iteration on.
  const auto verdict = guard_.judge(flat, view_fields<StepTermsOf>(terms));
  l.terms.start(torch::cat({terms, pack_fields<GuardVerdictOf>(verdict, terms.scalar_type())}));
  const double scale = lr_scale(cfg_.train.lr_scaling, global_batch(), cfg_.train.lr_reference_batch,
                                cfg_.train.lr_warmup_iterations, t);
  g_opt_.set_lr(scale * schedule_.generator_lr(cfg_.train.g_lr_schedule, cfg_.train.g_lr, t));
  g_opt_.step_if(verdict.applied);
  if (l.stepped_ratio) {
    e_opt_.set_lr(scale * e_lr());
    e_opt_.step_if(verdict.applied);
  }
  l.batch = std::move(batch);
  l.z_post = std::move(z_post);
  l.z_noise = std::move(z_noise);
  l.t_update = seconds_since(t0) - l.t_allreduce;
  pending_ = std::move(l);
}

StepStats Trainer::update(const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise,
                          const torch::Tensor& langevin_grad_norm, bool diagnose) {
  auto local = local_terms(batch, z_post, z_noise, langevin_grad_norm, diagnose);
  launch_step(iteration_, batch, z_post, z_noise, std::move(local));
  Launched l = std::move(*pending_);
  pending_.reset();
  return read_launched(l);
}

StepStats Trainer::read_launched(Launched& l) {
  auto t0 = Clock::now();
  finish_allreduce(comm_);  // the watchdog's timed wait (NCCL); the host path finished in launch_step
  StepStats s = guard_.read(l.terms.get());
  s.t_allreduce = l.t_allreduce + seconds_since(t0);
  s.t_langevin = l.t_langevin, s.t_update = l.t_update;
  if (s.diverged) {  // the masked step changed nothing: it does not count
    g_opt_.uncount_step();
    if (l.stepped_ratio) e_opt_.uncount_step();
  }
  return s;
}

std::string Trainer::save() {
  check_replicas(comm_, replicated_parameters(), "checkpoint", iteration_);
  CheckpointMeta meta;
  meta.iteration = iteration_;
  meta.stage = stage();
  meta.world_size = comm_.size();
  meta.config_yaml = to_yaml(cfg_);
  meta.dataset_fingerprint = dataset_fingerprint();
  meta.schedule_json = schedule_.to_json();
  meta.guard_json = guard_.to_json();
  meta.total_iterations = schedule_.total();
  meta.global_batch = global_batch();
  TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
  auto dir = save_checkpoint(comm_, run_dir_.root(), meta, state, cfg_.train.seed, cfg_.log.keep_checkpoints);
  spdlog::debug("checkpoint written: {}", dir);
  return dir;
}

void Trainer::handle_divergence(int64_t t, const StepStats& s, const Launched& l) {
  spdlog::warn("divergence guard: {} at iteration {} (stage {}, langevin_delta {}); policy '{}'", s.divergence, t, stage(),
               langevin_delta(), enum_name(cfg_.train.on_divergence));
  const DivergenceGuard::Finding finding{s.diverged, s.energy_runaway, s.divergence};
  const auto action = guard_.decide(t);
  if (action == DivergenceGuard::Action::kSkip) {
    iteration_ = t + 1;  // the step is dropped; the memory matrix keeps its old rows
    return;
  }
  if (action == DivergenceGuard::Action::kRollback) {
    if (auto ckpt = shared_checkpoint(comm_, run_dir_.root())) {  // rank 0's `latest`, for every rank
      rollback(*ckpt, s.energy_runaway);
      return;
    }
    spdlog::warn("divergence guard: no checkpoint to roll back to");
  }
  write_divergence_dump(run_dir_, comm_.rank(), t, stage(), langevin_delta(), to_yaml(cfg_), l.batch.indices, l.batch.x,
                        l.z_post, l.z_noise);
  comm_.barrier("divergence guard: debug dumps written");
  throw guard_.give_up(t, finding, run_dir_.debug());
}

void Trainer::rollback(const CheckpointRef& ckpt, bool energy_runaway) {
  const io::IoCounters io_start = io::io_counters();
  const auto& meta = ckpt.manifest.meta;
  const int64_t from = iteration_, T = schedule_.total();
  guard_.rolled_back(energy_runaway, from, meta.iteration, ckpt.dir);  // before f_k's optimizer is rebuilt with e_lr
  if (schedule_.stages() > 0) e_opt_ = ratio_optimizer(meta.stage);
  TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
  load_checkpoint(comm_, ckpt, state);
  check_loaded(comm_, replicated_parameters(), ckpt.dir, ckpt.manifest_text);
  iteration_ = meta.iteration;
  // The checkpoint's schedule, at this run's T (a checkpoint of before a
  // continuation recorded the smaller one).
  schedule_.restore(meta.schedule_json, meta.stage, meta.total_iterations > 0 ? meta.total_iterations : T);
  schedule_.continue_to(T, iteration_);
  reference_ = NoiseReference{};
  reporter_.restart(iteration_, "rollback");
  reporter_.io(comm_, "rollback", io::io_counters() - io_start, iteration_);
}

ProgressContext Trainer::progress_context() const {
  const bool drawn = reference_.z.defined() && reference_.stage == stage();  // rank 0's reference of this stage
  return {schedule_.total(), stage(), schedule_.stages(), stage_starts().back(),
          schedule_.adaptive() ? 0 : schedule_.stage_length(), g_opt_.lr(),
          drawn ? std::optional<double>(reference_.importance_ess) : std::nullopt};
}

}  // namespace latentebm
