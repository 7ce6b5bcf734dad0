#include "train/trainer.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>

#include "distributed/tensor_comm.h"
#include "model/cuda_graph_langevin.h"
#include "model/inference.h"
#include "model/precision.h"
#include "model/sampler.h"
#include "io/h5.h"
#include "io/io_stats.h"
#include "log.h"
#include "train/checkpoint.h"
#include "train/faults.h"
#include "train/transfer.h"

namespace latentebm {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int gpu_for_rank(int local_rank, int local_size, int gpus, bool share) {
  if (gpus < 1) throw std::invalid_argument("gpu_for_rank: no GPUs");
  if (local_size > gpus && !share)
    throw std::runtime_error(std::to_string(local_size) + " ranks run on this node but it has " + std::to_string(gpus) +
                             " GPU(s): ranks would share GPUs and run slower without saying so. Start one rank per GPU "
                             "(e.g. mpirun --map-by ppr:" + std::to_string(gpus) + ":node, or Slurm --ntasks-per-node=" +
                             std::to_string(gpus) + "), or set runtime.share_gpus=on to allow it");
  return local_rank % gpus;
}

torch::Device resolve_device(DeviceChoice choice, int local_rank, int local_size, bool share_gpus) {
  if (choice == DeviceChoice::kCpu) return torch::kCPU;
  if (choice == DeviceChoice::kCuda && !torch::cuda::is_available())
    throw std::runtime_error("runtime.device = cuda but this LibTorch sees no CUDA device (use runtime.device=cpu or auto)");
  if (choice == DeviceChoice::kCuda || torch::cuda::is_available()) {
    const int gpus = static_cast<int>(torch::cuda::device_count());
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(gpu_for_rank(local_rank, local_size, gpus, share_gpus)));
  }
  return torch::kCPU;
}

uint64_t iteration_seed(uint64_t seed, int rank, int64_t t) {
  // splitmix64 of a mix of the three: distinct, well-spread streams.
  uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(rank) << 40) ^ static_cast<uint64_t>(t);
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

torch::Tensor accumulate_gradients(Generator& g, RatioNet* active, const torch::Tensor& x, const torch::Tensor& z_post,
                                   const torch::Tensor& z_noise, double sigma, int64_t global_batch, PriorObjective objective) {
  const double B = static_cast<double>(global_batch);
  // Generator: -log p(x | z) at the posterior samples, summed, over the global batch.
  auto gen = (x - g->forward(z_post.detach())).pow(2).sum() / (2.0 * sigma * sigma) / B;
  auto total = gen;
  auto nce = torch::zeros({}, x.options());
  auto correct = torch::zeros({}, x.options());
  if (active != nullptr) {
    auto f_post = (*active)->forward(z_post.detach());
    auto f_noise = (*active)->forward(z_noise.detach());
    if (objective == PriorObjective::kNce) {
      // Logistic NCE: posterior samples (q_k) are the data, prior samples (p_k) the noise.
      nce = -(torch::log_sigmoid(f_post).sum() + torch::log_sigmoid(-f_noise).sum()) / B;
      correct = ((f_post > 0).sum() + (f_noise < 0).sum()).to(torch::kFloat32).detach() / (2.0 * B);
    } else {
      // LEBM maximum likelihood: raise f on posterior samples, lower it on prior samples.
      nce = (f_noise.sum() - f_post.sum()) / B;
    }
    total = total + nce;
  }
  total.backward();
  return torch::stack({gen.detach(), nce.detach(), correct});
}

Trainer::Trainer(const Config& cfg, Communicator& comm, const std::string& run_dir,
                 const std::optional<std::string>& resume_from, const std::optional<torch::Device>& device)
    : cfg_(cfg),
      traits_(traits(cfg.train.method)),
      comm_(comm),
      run_dir_(run_dir),
      metrics_(run_dir_.metrics()),
      start_time_(Clock::now()) {
  const io::IoCounters io_start = io::io_counters();
  // The node-local rank is an MPI collective: only ask when a GPU is wanted,
  // and only of a communicator spanning the MPI job.
  const bool local = cfg.runtime.device == DeviceChoice::kCpu || comm.backend() == "single";
  device_ = device ? *device
                   : resolve_device(cfg.runtime.device, local ? 0 : node_local_rank(), local ? 1 : node_local_size(),
                                    cfg.runtime.share_gpus == Switch::kOn);
  resolve_batch(cfg_, comm.size());  // train.batch_per_rank: the global batch for this rank count
  data_ = std::make_unique<data::ShardData>(cfg.data.path, "train", comm.rank(), comm.size(), cfg.data.train_limit);
  const auto& info = data_->info();
  const int64_t n = data_->split_size();
  dataset_fingerprint_ = data::dataset_fingerprint(info, cfg.data.train_limit);
  validate_against(cfg_, comm.size(), n, info.c, info.h, info.w);
  K_ = cfg_.train.stages;
  global_batch_ = cfg_.train.batch_size;
  local_batch_ = latentebm::local_batch(cfg_, comm.size(), comm.rank());
  // Whole batches of this rank's shard per pass over it; a shard smaller than
  // its batch wraps around (load_batch).
  iters_per_epoch_ = std::max<int64_t>(1, (n / comm.size()) / local_batch_);

  // Rank 0 alone reads `latest` (or the named checkpoint) and its manifest.
  const auto resume = resume_from ? shared_checkpoint(comm_, run_dir, resume_from) : std::nullopt;
  // T as the run first resolved it: a resume on another rank count (another
  // global batch) keeps the schedule.
  T_ = resume && resume->meta.total_iterations > 0 ? resume->meta.total_iterations : latentebm::total_iterations(cfg_, n);
  S_ = K_ <= 1 ? T_ : T_ / K_;

  torch::manual_seed(cfg.train.seed);
  g_ = Generator(cfg.model.generator, cfg.model.nz, cfg.model.ngf, info.c);
  prior_ = MultiStagePrior(cfg.model.nz, K_, cfg.model.ratio_hidden);
  g_->to(device_);
  prior_->to(device_);
  // runtime.precision (the generator's arithmetic) and runtime.cuda_graph.
  apply_runtime(g_, cfg.runtime.precision, cfg.runtime.cuda_graph == Switch::kOn, device_);
  g_opt_ = Adam(parameter_list(*g_), cfg.train.g_lr, cfg.train.beta1, cfg.train.beta2);
  bank_ = MemoryBank(data_->shard(), n, cfg.model.nz, cfg.train.seed, device_);
  plateau_ = PlateauRule({cfg.train.plateau_window, cfg.train.plateau_patience, cfg.train.plateau_tolerance,
                          cfg.train.min_stage_iterations, cfg.train.max_stage_iterations});

  stage_ = 0;
  if (resume) {
    const auto& meta = resume->meta;
    stage_ = meta.stage;
    if (K_ > 0) e_opt_ = Adam(parameter_list(*prior_->ratio(stage_)), cfg.train.e_lr, cfg.train.beta1, cfg.train.beta2);
    TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
    load_checkpoint(comm_, *resume, state);
    iteration_ = meta.iteration;
    restore_schedule(meta.schedule_json);
    spdlog::info("resumed from {} at iteration {} (stage {}, written by {} rank(s))", resume->dir, iteration_, stage_,
                 meta.world_size);
    if (comm_.is_root()) mark_restart(metrics_, iteration_, "resume");
  } else {
    if (K_ > 0) e_opt_ = Adam(parameter_list(*prior_->ratio(0)), cfg.train.e_lr, cfg.train.beta1, cfg.train.beta2);
    // Every rank starts from rank 0's parameters, whatever its own init drew.
    auto all = parameter_list(*g_);
    for (auto& p : parameter_list(*prior_)) all.push_back(p);
    broadcast_tensors(comm_, all, 0, "initial parameters");
    if (comm_.is_root()) mark_restart(metrics_, 0, "fresh");  // rows of an earlier attempt that left no checkpoint
  }
  check_loaded(resume ? resume->dir : std::string(), resume ? resume->manifest : std::string());
  report_io(resume ? "resume" : "start-up", io::io_counters() - io_start);
}

void Trainer::check_loaded(const std::string& ckpt_dir, const std::string& manifest) {
  // Every rank must hold the same checkpoint's bytes: the same manifest (rank
  // 0's, broadcast) and bit-identical parameters.
  data::Crc32 crc;
  crc.update(manifest.data(), manifest.size());
  if (!comm_.all_equal(static_cast<int64_t>(crc.value()), "loaded checkpoint: manifest checksum"))
    throw std::runtime_error("the ranks loaded different checkpoints (manifest checksums differ) from '" + ckpt_dir +
                             "': a node sees another version of the run directory (a stale shared-file-system cache?); "
                             "make every node see the same files and run the same command again");
  auto all = parameter_list(*g_);
  for (auto& p : parameter_list(*prior_)) all.push_back(p);
  if (!identical_on_all_ranks(comm_, all, "initial parameters checksum"))
    throw std::runtime_error(ckpt_dir.empty() ? "ranks hold different parameters after start-up (the broadcast from rank 0 "
                                                "failed); run the same command again"
                                              : "ranks hold different parameters after loading checkpoint '" + ckpt_dir +
                                                    "': the ranks did not load the same checkpoint bytes; verify it "
                                                    "(latentebm verify) and run the same command again");
}

void Trainer::report_io(const char* when, const io::IoCounters& used) {
  // Per-rank I/O of start-up / resume / rollback: the largest, rank 0's and
  // the job's total, in the log and as a metrics.jsonl row.
  // bytes_read is -1 where /proc/self/io is missing (then on every rank alike).
  std::vector<int64_t> mx{used.opens, used.bytes_read};
  comm_.allreduce_max(mx.data(), mx.size(), "I/O report: per-rank maximum");
  std::vector<double> total{static_cast<double>(used.opens), static_cast<double>(std::max<int64_t>(0, used.bytes_read))};
  comm_.allreduce_sum(total.data(), total.size(), "I/O report: job total");
  if (mx[1] < 0) total[1] = -1;
  spdlog::debug("{} I/O on rank {}: {} file opens, {} bytes read", when, comm_.rank(), used.opens, used.bytes_read);
  if (!comm_.is_root()) return;
  spdlog::info("{} I/O: at most {} file opens and {:.2f} MB read per rank (rank 0: {} opens, {:.2f} MB; job: {:.2f} MB over "
               "{} rank(s))",
               when, mx[0], static_cast<double>(mx[1]) / 1e6, used.opens, static_cast<double>(used.bytes_read) / 1e6,
               total[1] / 1e6, comm_.size());
  nlohmann::json row = {{"iteration", iteration_},      {"io", when},
                        {"ranks", comm_.size()},        {"opens_max", mx[0]},
                        {"opens_rank0", used.opens},    {"bytes_read_max", mx[1]},
                        {"bytes_read_rank0", used.bytes_read}, {"bytes_read_total", static_cast<int64_t>(total[1])}};
  metrics_.append(row);
}

int64_t Trainer::stage_for(int64_t t) const { return K_ == 0 ? 0 : std::min(t / S_, K_ - 1); }

bool Trainer::stage_ends_before(int64_t t) const {
  if (stage_ + 1 >= K_) return false;  // K is the cap: the last stage runs to T
  if (cfg_.train.stage_schedule == StageSchedule::kAdaptive) return advance_;
  return stage_ < stage_for(t);
}

int64_t Trainer::model_stages() const { return stages_through(stage_, K_); }

int64_t Trainer::posterior_stages() const { return traits_.posterior_stages(stage_); }

std::string Trainer::schedule_json() const {
  nlohmann::json j = {{"stage_starts", stage_starts_},
                      {"plateau", nlohmann::json::parse(plateau_.to_json())},
                      {"vote_pending", vote_pending_},
                      {"advance", advance_}};
  return j.dump();
}

void Trainer::restore_schedule(const std::string& text) {
  const auto j = nlohmann::json::parse(text);
  // Checkpoints from before the schedule was recorded: stages began every S.
  stage_starts_.clear();
  if (j.contains("stage_starts")) {
    stage_starts_ = j.at("stage_starts").get<std::vector<int64_t>>();
  } else {
    for (int64_t k = 0; k <= stage_; ++k) stage_starts_.push_back(k * S_);
  }
  if (static_cast<int64_t>(stage_starts_.size()) != stage_ + 1)
    throw std::runtime_error("checkpoint schedule lists " + std::to_string(stage_starts_.size()) + " stage starts for stage " +
                             std::to_string(stage_) + "; the checkpoint is inconsistent (resume from an earlier one)");
  plateau_.reset();
  if (j.contains("plateau")) plateau_.from_json(j.at("plateau").dump());
  vote_pending_ = j.value("vote_pending", false);
  advance_ = j.value("advance", false);
}

void Trainer::draw_reference() {
  reference_ = NoiseReference{};
  if (K_ == 0 || cfg_.log.noise_reference_samples == 0 || traits_.objective != PriorObjective::kNce) return;
  // Its own stream: the same reference on resume, training's stream untouched.
  torch::manual_seed(iteration_seed(cfg_.train.seed, comm_.rank(), -1000 - stage_));
  const auto t0 = Clock::now();
  reference_ = draw_noise_reference(prior_, stage_, cfg_.log.noise_reference_samples,
                                    {cfg_.log.noise_reference_steps, cfg_.log.noise_reference_delta},
                                    torch::TensorOptions().dtype(torch::kFloat32).device(device_));
  spdlog::debug("noise reference for stage {}: {} samples of p_{} ({} prior Langevin steps), bandwidth {:.3f}, "
                "importance ESS of p_{} / N(0, I) {:.4f} of draws, {:.1f} s",
                stage_, cfg_.log.noise_reference_samples, stage_, stage_ == 0 ? 0 : cfg_.log.noise_reference_steps,
                reference_.bandwidth, stage_, reference_.importance_ess, seconds_since(t0));
}

void Trainer::seed_iteration(int64_t t) { torch::manual_seed(iteration_seed(cfg_.train.seed, comm_.rank(), t)); }

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
  end_ = max_iterations > 0 ? std::min(T_, iteration_ + max_iterations) : T_;
  spdlog::info("training iterations {}..{} of T = {} | K = {} stages of {} iterations | {} rank(s), global batch {} "
               "(this rank {}) | {} | device {}",
               iteration_, end_, T_, K_, S_, comm_.size(), global_batch_, local_batch_, enum_name(cfg_.model.generator), device_.str());
  window_ = StepStats{};
  in_window_ = 0;
  window_start_ = Clock::now();
  while (iteration_ < end_) {
    const int64_t t = iteration_;
    // 5. Stage transition: every T/K iterations, or when the active stage's
    //    NCE loss has plateaued (train.stage_schedule); f_k frozen into the prior.
    if (stage_ends_before(t)) {
      const auto r = resolve_pending(false);
      if (r == Resolved::kStopped) return;
      if (r == Resolved::kRestart) continue;
      while (stage_ends_before(t)) enter_stage(stage_ + 1);
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
  if (iteration_ >= T_) spdlog::info("training finished: {} iterations in {}", T_, format_duration(seconds_since(start_time_)));
}

Trainer::Resolved Trainer::resolve_pending(bool in_flight) {
  if (!pending_) return Resolved::kGoOn;
  Launched l = std::move(*pending_);
  pending_.reset();
  const int64_t t = l.t;
  const StepStats s = read_launched(l);

  if (s.diverged) {  // every rank is here, at the same t; the masked step changed nothing
    const int64_t rollbacks = rollbacks_;
    iteration_ = t;  // as the step left it; a skip moves on to t + 1, a rollback to its checkpoint
    handle_divergence(t, s, l.batch, l.z_post, l.z_noise);  // throws when the guard gives up
    // Skipped: what is in flight started from the unchanged state, as a skip
    // would have. Rolled back: it belongs to a future that did not happen.
    return rollbacks_ != rollbacks ? Resolved::kRestart : Resolved::kGoOn;
  }
  consecutive_skips_ = 0;
  bank_.write(l.batch.indices, l.z_post, t);  // the memory matrix keeps each example's latest sample
  // Adaptive schedule: rank 0's vote came back in this all-reduce; the
  // plateau rule sees this iteration's all-reduced loss, and rank 0's vote
  // goes out with the next all-reduce.
  if (s.advance_stage) advance_ = true;
  if (cfg_.train.stage_schedule == StageSchedule::kAdaptive && stage_ + 1 < K_ && !advance_ && !vote_pending_ &&
      plateau_.observe(s.nce_loss))
    vote_pending_ = comm_.is_root();

  window_.gen_loss += s.gen_loss, window_.nce_loss += s.nce_loss, window_.nce_acc += s.nce_acc;
  window_.langevin_grad_norm += s.langevin_grad_norm;
  window_.t_langevin += s.t_langevin, window_.t_update += s.t_update, window_.t_allreduce += s.t_allreduce;
  window_.diag_mmd2 += s.diag_mmd2, window_.diag_logp_noise += s.diag_logp_noise, window_.diag_logp_ref += s.diag_logp_ref;
  window_.diag_logp_post += s.diag_logp_post, window_.diag_f_noise += s.diag_f_noise, window_.diag_f_ref += s.diag_f_ref;
  window_.diag_count += s.diag_count;
  ++in_window_;
  if ((t + 1) % cfg_.log.log_every == 0 || t + 1 == end_ || s.stop_requested) {
    log_progress(t + 1, window_, in_window_, seconds_since(window_start_));
    window_ = StepStats{};
    in_window_ = 0;
    window_start_ = Clock::now();
  }
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
  // Freeze f_{k-1}: every rank adopts rank 0's bytes and proves it holds them.
  auto frozen = parameter_list(*prior_->ratio(k - 1));
  comm_.barrier("stage transition");
  broadcast_tensors(comm_, frozen, 0, "stage transition: frozen ratio network");
  if (fault_point("train.stage-broadcast", comm_.rank())) {  // test hook: one rank's copy goes bad
    torch::NoGradGuard no_grad;
    frozen.front().view(-1)[0].add_(1.0f);
  }
  if (!identical_on_all_ranks(comm_, frozen, "stage transition: checksum"))
    throw std::runtime_error("stage transition " + std::to_string(k) + ": ranks hold different frozen ratio networks");
  // How much of the memory matrix stage k-1 refreshed (all ranks' rows).
  auto counts = torch::tensor({static_cast<float>(bank_.rows_written_since(stage_starts_.back())),
                               static_cast<float>(bank_.shard().size())});  // exact below 2^24 rows
  allreduce_sum(comm_, counts, "stage transition: memory rows refreshed");
  const double refreshed = counts[0].item<double>() / std::max(1.0, counts[1].item<double>());
  // The bank read in stage k is what the memory matrix holds now.
  if (uses_bank_draw(cfg_.train.prior_samples)) bank_.snapshot();
  stage_ = k;
  stage_starts_.push_back(iteration_);
  plateau_.reset();
  advance_ = vote_pending_ = false;
  e_opt_ = Adam(parameter_list(*prior_->ratio(k)), cfg_.train.e_lr, cfg_.train.beta1, cfg_.train.beta2);
  reference_ = NoiseReference{};  // drawn for p_k when the stage's first diagnostics need it
  spdlog::info("stage {} of {} begins at iteration {} (f_{} frozen, checksum verified on {} rank(s)); stage {} refreshed {:.1f}% "
               "of the memory matrix",
               k, K_, iteration_, k - 1, comm_.size(), k - 1, 100.0 * refreshed);
  if (comm_.is_root()) {
    nlohmann::json row = {{"iteration", iteration_},  {"stage_start", k},           {"stage", k},
                          {"stage_starts", stage_starts_}, {"bank_refreshed_fraction", refreshed}};
    metrics_.append(row);
  }
}

Batch Trainer::load_batch(int64_t t) {
  Batch b;
  const int64_t shard_size = data_->shard().size();
  if (local_batch_ <= shard_size) {
    // Whole batches of each epoch's order; the remainder of an epoch is dropped.
    const int64_t epoch = t / iters_per_epoch_, pos = t % iters_per_epoch_;
    if (epoch != cached_epoch_) {
      epoch_order_ = data::epoch_order(data_->split_size(), data_->shard(), cfg_.train.seed, epoch);
      cached_epoch_ = epoch;
    }
    b.indices.assign(epoch_order_.begin() + pos * local_batch_, epoch_order_.begin() + (pos + 1) * local_batch_);
  } else {
    // The shard is smaller than the batch (many ranks, little data): the
    // batch runs on through the epochs' orders, one after the other, so every
    // example is used equally often (an example may appear twice in a batch).
    for (int64_t k = t * local_batch_; k < (t + 1) * local_batch_; ++k) {
      const int64_t epoch = k / shard_size;
      if (epoch != cached_epoch_) {
        epoch_order_ = data::epoch_order(data_->split_size(), data_->shard(), cfg_.train.seed, epoch);
        cached_epoch_ = epoch;
      }
      b.indices.push_back(epoch_order_[static_cast<size_t>(k % shard_size)]);
    }
  }
  const auto& info = data_->info();
  const int64_t bytes = info.c * info.h * info.w;
  auto u8 = torch::empty({local_batch_, info.c, info.h, info.w}, torch::kUInt8);
  for (int64_t i = 0; i < local_batch_; ++i)
    std::memcpy(u8.data_ptr<uint8_t>() + i * bytes, data_->image(b.indices[static_cast<size_t>(i)]), static_cast<size_t>(bytes));
  b.x = to_unit_range(to_device(u8, device_));  // the bytes travel, not floats; no wait on CUDA
  return b;
}

torch::Tensor Trainer::sample_posterior(const torch::Tensor& x, torch::Tensor* grad_norm) {
  auto z0 = torch::randn({x.size(0), cfg_.model.nz}, x.options());
  return graphed_langevin().posterior(g_, prior_, posterior_stages(), x, z0, cfg_.model.sigma,
                            posterior_langevin_options(cfg_), grad_norm);
}

torch::Tensor Trainer::sample_noise(int64_t count) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  if (K_ == 0) return torch::empty({0, cfg_.model.nz}, options);
  const LangevinOptions short_run = prior_langevin_options(cfg_);
  // Maximum likelihood (LEBM): short-run samples of the current energy-based prior.
  if (traits_.objective == PriorObjective::kMaximumLikelihood)
    return graphed_langevin().prior(prior_, stage_ + 1, torch::randn({count, cfg_.model.nz}, options), short_run);
  const NoiseOptions opt{cfg_.train.prior_samples, short_run, cfg_.train.bank_langevin_steps, cfg_.train.noise_proposals};
  const bool uses_bank = stage_ > 0 && uses_bank_draw(cfg_.train.prior_samples);
  return stage_noise(prior_, stage_, opt, count, uses_bank ? bank_.draw(count) : torch::Tensor(), options);
}

torch::Tensor Trainer::local_terms(const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise,
                                   const torch::Tensor& langevin_grad_norm, bool diagnose) {
  RatioNet* active = K_ > 0 ? &prior_->ratio(stage_) : nullptr;
  g_opt_.zero_grad();
  if (active) e_opt_.zero_grad();
  auto local = accumulate_gradients(g_, active, batch.x, z_post, z_noise, cfg_.model.sigma, global_batch_,
                                    traits_.objective);
  auto grad_norm = langevin_grad_norm.defined() ? langevin_grad_norm.reshape({1}) : torch::zeros({1}, local.options());
  // Guard flags, summed over ranks: non-finite (or beyond the limit)
  // posterior / noise samples on this rank.
  const double limit = cfg_.train.divergence_z_limit;
  auto bad = [limit](const torch::Tensor& z) {
    if (z.numel() == 0) return torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
    return torch::isfinite(z).all().logical_not().logical_or(z.abs().max() > limit);
  };
  auto flags = torch::stack({bad(z_post), bad(z_noise)}).to(local.dtype());
  // Noise diagnostics, as rank means: [count, mmd2, log p_k on noise, on the
  // reference, on posterior samples, f_k on noise, on the reference].
  auto diag = torch::zeros({7}, local.options());
  if (diagnose && active && z_noise.numel() > 0 && reference_.stage != stage_) draw_reference();
  if (diagnose && active && reference_.z.defined() && z_noise.numel() > 0) {
    torch::NoGradGuard no_grad;
    const double w = static_cast<double>(comm_.size());
    diag = torch::stack({torch::ones({}, local.options()), mmd2(z_noise, reference_.z, reference_.bandwidth),
                         prior_->log_density(z_noise, stage_).mean(), reference_.log_p.mean(),
                         prior_->log_density(z_post, stage_).mean(), (*active)->forward(z_noise).mean(),
                         (*active)->forward(reference_.z).mean()})
               .to(local.dtype()) /
           w;
  }
  return torch::cat({local, grad_norm / static_cast<double>(comm_.size()), flags, diag});
}

// The terms' layout: [0] gen loss, [1] prior loss, [2] accuracy, [3] |grad z|,
// [4] ranks with bad posterior samples, [5] with bad noise, [6..12] noise
// diagnostics, [13] ranks with a stop signal, [14] rank 0's stage vote, then
// (not all-reduced) [15] whether the whole reduced buffer is finite and [16]
// whether the step was applied (the guard's verdict on the device).
namespace {
constexpr int64_t kPriorLoss = 1, kBadPost = 4, kBadNoise = 5, kDiag = 6, kStop = 13, kVote = 14, kFinite = 15,
                  kApplied = 16;
}

void Trainer::launch_step(int64_t t, Batch batch, torch::Tensor z_post, torch::Tensor z_noise, torch::Tensor local) {
  auto t0 = Clock::now();
  Launched l;
  l.t = t;
  // The host's flags, known now: a pending stop signal, rank 0's vote.
  local = torch::cat({local, to_device(torch::tensor({stop_requested() ? 1.0f : 0.0f, vote_pending_ ? 1.0f : 0.0f}),
                                       local.device()).to(local.dtype())});
  vote_pending_ = false;  // sent

  // One flat buffer in a fixed order: generator grads, active ratio grads, then the terms.
  l.stepped_ratio = K_ > 0;
  std::vector<torch::Tensor> parts;
  for (const auto& p : g_opt_.params()) parts.push_back(p.grad());
  if (l.stepped_ratio)
    for (const auto& p : e_opt_.params()) parts.push_back(p.grad());
  parts.push_back(local);
  auto flat = pack(parts);
  fault_point("train.before-allreduce", comm_.rank());
  auto t1 = Clock::now();
  start_allreduce_sum(comm_, flat, "gradients (generator + active ratio network)");
  l.t_allreduce = seconds_since(t1);
  unpack(flat, parts);

  // The guard, decided on the device from the summed values (the same on
  // every rank): no step where some rank's samples or the reduced buffer are
  // not finite, or the prior loss runs beyond its limit. The host reads the
  // verdict with the terms, one iteration on.
  const auto finite = torch::isfinite(flat).all();
  const auto ok = finite.logical_and(local[kBadPost] == 0)
                      .logical_and(local[kBadNoise] == 0)
                      .logical_and(local[kPriorLoss].abs() <= cfg_.train.divergence_loss_limit);
  l.terms.start(torch::cat({local, finite.to(local.dtype()).reshape({1}), ok.to(local.dtype()).reshape({1})}));
  const double scale = lr_scale(cfg_.train.lr_scaling, global_batch_, cfg_.train.lr_reference_batch,
                                cfg_.train.lr_warmup_iterations, t);
  g_opt_.set_lr(scale * generator_lr(cfg_.train.g_lr_schedule, cfg_.train.g_lr, t, T_));
  g_opt_.step_if(ok);
  if (l.stepped_ratio) {
    e_opt_.set_lr(scale * cfg_.train.e_lr);
    e_opt_.step_if(ok);
  }
  l.batch = std::move(batch);
  l.z_post = std::move(z_post);
  l.z_noise = std::move(z_noise);
  l.t_update = seconds_since(t0) - l.t_allreduce;
  pending_ = std::move(l);
}

StepStats Trainer::parse_terms(const torch::Tensor& host) const {
  const auto terms = host.to(torch::kDouble).contiguous();
  const double* v = terms.data_ptr<double>();
  StepStats s;
  s.gen_loss = v[0];
  s.nce_loss = v[kPriorLoss];
  s.nce_acc = v[2];
  s.langevin_grad_norm = v[3];
  s.stop_requested = v[kStop] > 0;
  s.advance_stage = v[kVote] > 0;
  if (v[kDiag] > 0.5) {  // diagnostics were computed (on every rank alike)
    s.diag_count = 1;
    s.diag_mmd2 = v[kDiag + 1];
    s.diag_logp_noise = v[kDiag + 2];
    s.diag_logp_ref = v[kDiag + 3];
    s.diag_logp_post = v[kDiag + 4];
    s.diag_f_noise = v[kDiag + 5];
    s.diag_f_ref = v[kDiag + 6];
  }
  // Every rank sees the same summed values, so every rank decides alike.
  const double bad_post = v[kBadPost], bad_noise = v[kBadNoise];
  const double limit = cfg_.train.divergence_z_limit;
  if (bad_post > 0 || bad_noise > 0) {
    s.diverged = true;
    s.divergence = (bad_post > 0 ? "posterior Langevin state (z) on " + std::to_string(static_cast<int>(bad_post))
                                 : "prior (noise) samples on " + std::to_string(static_cast<int>(bad_noise))) +
                   " rank(s), non-finite or beyond |z| = " + fmt::format("{:g}", limit) + " (train.divergence_z_limit)";
  } else if (v[kFinite] < 0.5) {
    s.diverged = true;
    s.divergence = "non-finite loss or gradient";
  } else if (v[kApplied] < 0.5) {
    s.diverged = s.energy_runaway = true;
    s.divergence = fmt::format("prior loss {:g}, beyond +-{:g} (train.divergence_loss_limit): the prior's energy is "
                               "running away with finite latents",
                               s.nce_loss, cfg_.train.divergence_loss_limit);
  }
  return s;
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
  StepStats s = parse_terms(l.terms.get());
  s.t_allreduce = l.t_allreduce + seconds_since(t0);
  s.t_langevin = l.t_langevin, s.t_update = l.t_update;
  if (s.diverged) {  // the masked step changed nothing: it does not count
    g_opt_.uncount_step();
    if (l.stepped_ratio) e_opt_.uncount_step();
  }
  return s;
}

void Trainer::check_replicas(const char* when) {
  auto all = parameter_list(*g_);
  for (auto& p : parameter_list(*prior_)) all.push_back(p);
  if (!identical_on_all_ranks(comm_, all, "replicated parameters checksum"))
    throw std::runtime_error(std::string(when) + " at iteration " + std::to_string(iteration_) +
                             ": the ranks hold different generator or prior parameters (they must stay bit-identical; "
                             "a rank's memory or its all-reduce is faulty). Nothing was written; resume from the last "
                             "checkpoint");
}

std::string Trainer::save() {
  check_replicas("checkpoint");
  CheckpointMeta meta;
  meta.iteration = iteration_;
  meta.stage = stage_;
  meta.world_size = comm_.size();
  meta.config_yaml = to_yaml(cfg_);
  meta.dataset_fingerprint = dataset_fingerprint_;
  meta.schedule_json = schedule_json();
  meta.total_iterations = T_;
  meta.global_batch = global_batch_;
  TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
  auto dir = save_checkpoint(comm_, run_dir_.root(), meta, state, cfg_.train.seed, cfg_.log.keep_checkpoints);
  spdlog::debug("checkpoint written: {}", dir);
  return dir;
}

void Trainer::handle_divergence(int64_t t, const StepStats& s, const Batch& batch, const torch::Tensor& z_post,
                                const torch::Tensor& z_noise) {
  const auto policy = cfg_.train.on_divergence;
  spdlog::warn("divergence guard: {} at iteration {} (stage {}, langevin_delta {}); policy '{}'", s.divergence, t,
               stage_, cfg_.train.langevin_delta, enum_name(policy));
  if (policy == DivergencePolicy::kSkip && consecutive_skips_ < cfg_.train.max_skips) {
    ++consecutive_skips_, ++skipped_;
    iteration_ = t + 1;  // the step is dropped; the memory matrix keeps its old rows
    spdlog::warn("divergence guard: iteration {} skipped ({} in a row, at most train.max_skips = {})", t, consecutive_skips_,
                 cfg_.train.max_skips);
    return;
  }
  if (policy == DivergencePolicy::kRollback && rollbacks_ < cfg_.train.max_rollbacks) {
    if (auto ckpt = shared_checkpoint(comm_, run_dir_.root())) {  // rank 0's `latest`, for every rank
      rollback(*ckpt, s.energy_runaway);
      return;
    }
    spdlog::warn("divergence guard: no checkpoint to roll back to");
  }
  write_debug_dump(t, batch, z_post, z_noise);
  std::string why = policy == DivergencePolicy::kStop ? "train.on_divergence = stop"
                    : policy == DivergencePolicy::kSkip ? std::to_string(consecutive_skips_) + " skipped steps in a row (train.max_skips)"
                                       : std::to_string(rollbacks_) + " rollbacks (train.max_rollbacks) or no checkpoint";
  comm_.barrier("divergence guard: debug dumps written");
  // A runaway energy comes from the prior's updates, an exploding chain from its step size.
  const double factor = cfg_.train.rollback_delta_factor;
  const std::string example = s.energy_runaway ? fmt::format("train.e_lr={:g}", cfg_.train.e_lr * factor)
                                               : fmt::format("train.langevin_delta={:g}", cfg_.train.langevin_delta * factor);
  throw DivergenceError(t, "training diverged at iteration " + std::to_string(t) + ": " + s.divergence +
                               "; stopped after " + why + ". Debug dumps are in " + run_dir_.debug() +
                               (s.energy_runaway ? ". Lower the prior's learning rate (e.g. `"
                                                 : ". Lower train.langevin_delta or the learning rates (e.g. `") +
                               example + "`) and run the same command to resume from the last checkpoint");
}

void Trainer::rollback(const CheckpointRef& ckpt, bool energy_runaway) {
  const io::IoCounters io_start = io::io_counters();
  const auto& meta = ckpt.meta;
  const std::string& ckpt_dir = ckpt.dir;
  stage_ = meta.stage;
  const double factor = cfg_.train.rollback_delta_factor;
  double& knob = energy_runaway ? cfg_.train.e_lr : cfg_.train.langevin_delta;
  const double old_value = knob;
  knob *= factor;  // before the ratio network's optimizer is rebuilt with e_lr
  if (K_ > 0) e_opt_ = Adam(parameter_list(*prior_->ratio(stage_)), cfg_.train.e_lr, cfg_.train.beta1, cfg_.train.beta2);
  TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
  load_checkpoint(comm_, ckpt, state);
  check_loaded(ckpt_dir, ckpt.manifest);
  const int64_t from = iteration_;
  iteration_ = meta.iteration;
  restore_schedule(meta.schedule_json);
  reference_ = NoiseReference{};
  cached_epoch_ = -1;
  // The progress window restarts with the replay: the undone iterations'
  // losses (a runaway's, say) must not blur the first row after it.
  window_ = StepStats{};
  in_window_ = 0;
  window_start_ = Clock::now();
  ++rollbacks_;
  if (comm_.is_root()) mark_restart(metrics_, iteration_, "rollback");
  report_io("rollback", io::io_counters() - io_start);
  spdlog::warn("divergence guard: rolled back from iteration {} to checkpoint {} (iteration {}); {} {} -> {} "
               "(rollback {} of at most {})",
               from, ckpt_dir, iteration_, energy_runaway ? "e_lr" : "langevin_delta", old_value, knob, rollbacks_,
               cfg_.train.max_rollbacks);
}

void Trainer::write_debug_dump(int64_t t, const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise) {
  try {
    const auto path = run_dir_.divergence_dump(static_cast<long long>(t), comm_.rank());
    std::filesystem::create_directories(run_dir_.debug());
    h5::File f(path, h5::Mode::Truncate);
    write_tensor(f, "/x", batch.x);
    write_tensor(f, "/z_posterior", z_post);
    if (z_noise.numel() > 0) write_tensor(f, "/z_noise", z_noise);  // none with K = 0
    f.write_i64("/indices", batch.indices.data(), {static_cast<int64_t>(batch.indices.size())});
    f.set_attr("/", "iteration", t);
    f.set_attr("/", "stage", stage_);
    f.set_attr("/", "rank", static_cast<int64_t>(comm_.rank()));
    f.set_attr("/", "langevin_delta", cfg_.train.langevin_delta);
    f.set_attr("/", "config", to_yaml(cfg_));
    spdlog::warn("divergence guard: debug dump {}", path);
  } catch (const std::exception& e) {
    spdlog::error("divergence guard: could not write the debug dump: {}", e.what());
  }
}

void Trainer::log_progress(int64_t t, const StepStats& sum, int64_t count, double window_s) {
  const double c = static_cast<double>(std::max<int64_t>(1, count));
  const double it_per_s = window_s > 0 ? c / window_s : 0.0;
  const double eta = it_per_s > 0 ? static_cast<double>(T_ - t) / it_per_s : 0.0;
  const double dc = static_cast<double>(sum.diag_count);
  const std::string noise =
      sum.diag_count > 0 ? fmt::format(" | noise MMD2 {:.4f} log p_k {:.2f} vs ref {:.2f}", sum.diag_mmd2 / dc,
                                       sum.diag_logp_noise / dc, sum.diag_logp_ref / dc)
                         : "";
  // Stage k of K (k = 0..K-1, as "stage k of K begins" says) and how far
  // into it; the fixed schedule knows each stage's length.
  const int64_t in_stage = t - stage_starts_.back();
  const std::string stage =
      K_ == 0 ? "no prior stages"
              : fmt::format("stage {} of {} ({}{} it)", stage_, K_, in_stage,
                            cfg_.train.stage_schedule == StageSchedule::kAdaptive ? "" : "/" + std::to_string(S_));
  // Time to the next checkpoint (every log.checkpoint_every iterations, and one at the end).
  const int64_t every = cfg_.log.checkpoint_every;
  const int64_t next_ckpt = std::min(T_, (t / every + 1) * every);
  const std::string ckpt = it_per_s > 0 && next_ckpt > t
                               ? " | checkpoint in " + format_duration(static_cast<double>(next_ckpt - t) / it_per_s)
                               : "";
  spdlog::info("it {}/{} | {} | gen {:.3f} | nce {:.4f} acc {:.3f}{} | |grad z| {:.3f} | {:.2f} it/s | ETA {}{}{}", t, T_,
               stage, sum.gen_loss / c, sum.nce_loss / c, sum.nce_acc / c, noise, sum.langevin_grad_norm / c, it_per_s,
               format_duration(eta), ckpt, progress_note_.empty() ? "" : " | last eval: " + progress_note_);
  if (!comm_.is_root()) return;
  nlohmann::json row = {{"iteration", t},
                        {"stage", stage_},
                        {"gen_loss", sum.gen_loss / c},
                        {"nce_loss", sum.nce_loss / c},
                        {"nce_acc", sum.nce_acc / c},
                        {"langevin_grad_norm", sum.langevin_grad_norm / c},
                        {"g_lr", g_opt_.lr()},
                        {"it_per_s", it_per_s},
                        {"time_langevin_s", sum.t_langevin / c},
                        {"time_update_s", sum.t_update / c},
                        {"time_allreduce_s", sum.t_allreduce / c},
                        {"elapsed_s", seconds_since(start_time_)}};
  if (sum.diag_count > 0) {
    row["noise_mmd2"] = sum.diag_mmd2 / dc;
    row["noise_logp"] = sum.diag_logp_noise / dc;
    row["reference_logp"] = sum.diag_logp_ref / dc;
    row["posterior_logp"] = sum.diag_logp_post / dc;
    row["noise_f"] = sum.diag_f_noise / dc;
    row["reference_f"] = sum.diag_f_ref / dc;
    // rank 0's reference draws; the weights of `importance` noise
    if (reference_.z.defined() && reference_.stage == stage_) row["importance_ess"] = reference_.importance_ess;
  }
  metrics_.append(row);
}

}  // namespace latentebm
