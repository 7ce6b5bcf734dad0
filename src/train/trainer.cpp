#include "train/trainer.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "distributed/tensor_comm.h"
#include "model/inference.h"
#include "model/sampler.h"
#include "eval/anomaly.h"
#include "eval/metrics.h"
#include "eval/plot.h"
#include "eval/strip.h"
#include "io/h5.h"
#include "train/checkpoint.h"
#include "train/faults.h"

namespace latentebm {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string format_duration(double s) {
  const auto total = static_cast<long long>(std::max(0.0, s));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
  return buf;
}
}  // namespace

torch::Device resolve_device(const std::string& name, int local_rank) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" && !torch::cuda::is_available())
    throw std::runtime_error("runtime.device = cuda but this LibTorch sees no CUDA device (use runtime.device=cpu or auto)");
  if (name == "cuda" || (name == "auto" && torch::cuda::is_available()))
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % static_cast<int>(torch::cuda::device_count())));
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
                 const std::optional<std::string>& resume_from)
    : cfg_(cfg), comm_(comm), run_dir_(run_dir), start_time_(Clock::now()) {
  // The node-local rank is an MPI collective: only ask when a GPU is wanted,
  // and only of a communicator spanning the MPI job.
  device_ = resolve_device(cfg.runtime.device,
                           cfg.runtime.device == "cpu" || comm.backend() == "single" ? 0 : node_local_rank());
  data_ = std::make_unique<data::ShardData>(cfg.data.path, "train", comm.rank(), comm.size(), cfg.data.train_limit);
  const auto& info = data_->info();
  const int64_t n = data_->split_size();
  dataset_fingerprint_ = data::dataset_fingerprint(info, cfg.data.train_limit);
  validate_against(cfg, comm.size(), n, info.c, info.h, info.w);
  K_ = cfg.train.stages;
  T_ = latentebm::total_iterations(cfg, n);
  S_ = latentebm::stage_length(cfg, n);
  local_batch_ = cfg.train.batch_size / comm.size();
  iters_per_epoch_ = std::max<int64_t>(1, (n / comm.size()) / local_batch_);

  torch::manual_seed(cfg.train.seed);
  g_ = Generator(cfg.model.generator, cfg.model.nz, cfg.model.ngf, info.c);
  prior_ = MultiStagePrior(cfg.model.nz, K_, cfg.model.ratio_hidden);
  g_->to(device_);
  prior_->to(device_);
  g_opt_ = Adam(parameter_list(*g_), cfg.train.g_lr, cfg.train.beta1, cfg.train.beta2);
  bank_ = MemoryBank(data_->shard(), n, cfg.model.nz, cfg.train.seed, device_);

  stage_ = 0;
  if (resume_from) {
    const auto meta = read_checkpoint_meta(*resume_from);
    stage_ = meta.stage;
    if (K_ > 0) e_opt_ = Adam(parameter_list(*prior_->ratio(stage_)), cfg.train.e_lr, cfg.train.beta1, cfg.train.beta2);
    TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
    load_checkpoint(*resume_from, state);
    iteration_ = meta.iteration;
    spdlog::info("resumed from {} at iteration {} (stage {}, written by {} rank(s))", *resume_from, iteration_, stage_,
                 meta.world_size);
  } else {
    if (K_ > 0) e_opt_ = Adam(parameter_list(*prior_->ratio(0)), cfg.train.e_lr, cfg.train.beta1, cfg.train.beta2);
    // Every rank starts from rank 0's parameters, whatever its own init drew.
    auto all = parameter_list(*g_);
    for (auto& p : parameter_list(*prior_)) all.push_back(p);
    broadcast_tensors(comm_, all, 0, "initial parameters");
  }
  auto all = parameter_list(*g_);
  for (auto& p : parameter_list(*prior_)) all.push_back(p);
  if (!identical_on_all_ranks(comm_, all, "initial parameters checksum"))
    throw std::runtime_error("ranks hold different parameters after start-up; a checkpoint shard may be corrupt");
}

int64_t Trainer::stage_for(int64_t t) const { return K_ == 0 ? 0 : std::min(t / S_, K_ - 1); }

int64_t Trainer::model_stages() const {
  if (cfg_.train.method == "gaussian") return 0;
  if (cfg_.train.method == "lebm") return 1;
  return std::min(stage_ + 1, K_);
}

int64_t Trainer::posterior_stages() const {
  const auto& m = cfg_.train.method;
  if (m == "gaussian" || m == "non-adaptive") return 0;
  if (m == "lebm") return 1;
  return stage_;
}

void Trainer::seed_iteration(int64_t t) { torch::manual_seed(iteration_seed(cfg_.train.seed, comm_.rank(), t)); }

// ---------------------------------------------------------------------------
// Algorithm 1.
void Trainer::train(int64_t max_iterations) {
  const int64_t end = max_iterations > 0 ? std::min(T_, iteration_ + max_iterations) : T_;
  spdlog::info("training iterations {}..{} of T = {} | K = {} stages of {} iterations | {} rank(s) x batch {} | {} | device {}",
               iteration_, end, T_, K_, S_, comm_.size(), local_batch_, cfg_.model.generator, device_.str());
  StepStats window;
  int64_t in_window = 0;
  auto window_start = Clock::now();
  while (iteration_ < end) {
    const int64_t t = iteration_;
    // 5. Stage transition: a new stage every T/K iterations (f_k frozen into the prior).
    while (stage_ < stage_for(t)) enter_stage(stage_ + 1);
    seed_iteration(t);
    fault_point("train.iteration", comm_.rank());

    // 1. Mini-batch of this rank's shard.
    const Batch batch = load_batch(t);

    // 2. Posterior samples z ~ p(z | x) under the current prior p_k, by short-run Langevin.
    auto t0 = Clock::now();
    torch::Tensor grad_norm;
    const auto z_post = sample_posterior(batch.x, &grad_norm);
    const double t_langevin = seconds_since(t0);

    // Noise samples of p_k for the contrastive estimation of r_k = q_k / p_k.
    const auto z_noise = sample_noise(static_cast<int64_t>(batch.indices.size()));

    // 3 + 4. One Adam step on f_k (NCE) and one on the generator, one all-reduce.
    StepStats s = update(batch, z_post, z_noise, grad_norm);
    if (s.diverged) {  // every rank is here, at the same t
      handle_divergence(t, s, batch, z_post, z_noise);
      const bool skipped = iteration_ == t + 1;  // (a rollback moved it back instead)
      if (skipped && (iteration_ % cfg_.log.checkpoint_every == 0 || iteration_ == end)) save();
      continue;
    }
    consecutive_skips_ = 0;
    bank_.write(batch.indices, z_post);  // the memory matrix keeps each example's latest sample
    s.t_langevin = t_langevin;
    iteration_ = t + 1;

    window.gen_loss += s.gen_loss, window.nce_loss += s.nce_loss, window.nce_acc += s.nce_acc;
    window.langevin_grad_norm += s.langevin_grad_norm;
    window.t_langevin += s.t_langevin, window.t_update += s.t_update, window.t_allreduce += s.t_allreduce;
    ++in_window;
    if (iteration_ % cfg_.log.log_every == 0 || iteration_ == end || s.stop_requested) {
      log_progress(iteration_, window, in_window, seconds_since(window_start));
      window = StepStats{};
      in_window = 0;
      window_start = Clock::now();
    }
    if (s.stop_requested) {  // preemption: every rank learnt it from the same all-reduce
      const auto dir = save();
      spdlog::warn("stop signal: checkpoint {} written at iteration {}; run the same command again to resume", dir, iteration_);
      stopped_ = true;
      return;
    }
    if (cfg_.eval.anomaly_every > 0 && iteration_ % cfg_.eval.anomaly_every == 0) evaluate_anomaly();
    if (iteration_ % cfg_.log.checkpoint_every == 0 || iteration_ == end) save();
  }
  if (iteration_ >= T_) spdlog::info("training finished: {} iterations in {}", T_, format_duration(seconds_since(start_time_)));
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
  // The bank read in stage k is what the memory matrix holds now.
  if (cfg_.train.prior_samples == "persistent") bank_.snapshot();
  stage_ = k;
  e_opt_ = Adam(parameter_list(*prior_->ratio(k)), cfg_.train.e_lr, cfg_.train.beta1, cfg_.train.beta2);
  spdlog::info("stage {} of {} begins at iteration {} (f_{} frozen, checksum verified on {} rank(s))", k, K_, iteration_, k - 1,
               comm_.size());
}

Batch Trainer::load_batch(int64_t t) {
  const int64_t epoch = t / iters_per_epoch_, pos = t % iters_per_epoch_;
  if (epoch != cached_epoch_) {
    epoch_order_ = data::epoch_order(data_->split_size(), data_->shard(), cfg_.train.seed, epoch);
    cached_epoch_ = epoch;
  }
  Batch b;
  b.indices.assign(epoch_order_.begin() + pos * local_batch_, epoch_order_.begin() + (pos + 1) * local_batch_);
  const auto& info = data_->info();
  const int64_t bytes = info.c * info.h * info.w;
  auto u8 = torch::empty({local_batch_, info.c, info.h, info.w}, torch::kUInt8);
  for (int64_t i = 0; i < local_batch_; ++i)
    std::memcpy(u8.data_ptr<uint8_t>() + i * bytes, data_->image(b.indices[static_cast<size_t>(i)]), static_cast<size_t>(bytes));
  b.x = to_unit_range(u8).to(device_);
  return b;
}

torch::Tensor Trainer::sample_posterior(const torch::Tensor& x, torch::Tensor* grad_norm) {
  auto z0 = torch::randn({x.size(0), cfg_.model.nz}, x.options());
  return posterior_langevin(g_, prior_, posterior_stages(), x, z0, cfg_.model.sigma,
                            {cfg_.train.langevin_steps, cfg_.train.langevin_delta}, grad_norm);
}

torch::Tensor Trainer::sample_noise(int64_t count) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  if (K_ == 0) return torch::empty({0, cfg_.model.nz}, options);
  const LangevinOptions short_run{cfg_.train.prior_langevin_steps, cfg_.train.prior_langevin_delta};
  // LEBM: short-run samples of the current energy-based prior.
  if (cfg_.train.method == "lebm") return prior_langevin(prior_, 1, torch::randn({count, cfg_.model.nz}, options), short_run);
  if (stage_ == 0) return torch::randn({count, cfg_.model.nz}, options);  // exact draws of p_0 = N(0, I)
  if (cfg_.train.prior_samples == "persistent") return bank_.draw(count);  // q_{k-1} stands in for p_k
  return prior_langevin(prior_, stage_, torch::randn({count, cfg_.model.nz}, options), short_run);
}

StepStats Trainer::update(const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise,
                          const torch::Tensor& langevin_grad_norm) {
  StepStats s;
  auto t0 = Clock::now();
  RatioNet* active = K_ > 0 ? &prior_->ratio(stage_) : nullptr;
  g_opt_.zero_grad();
  if (active) e_opt_.zero_grad();
  const auto objective = cfg_.train.method == "lebm" ? PriorObjective::kMaximumLikelihood : PriorObjective::kNce;
  auto local = accumulate_gradients(g_, active, batch.x, z_post, z_noise, cfg_.model.sigma, cfg_.train.batch_size, objective);
  auto grad_norm = langevin_grad_norm.defined() ? langevin_grad_norm.reshape({1}) : torch::zeros({1}, local.options());
  // Guard flags, summed over ranks: non-finite posterior / noise samples, and
  // a pending stop signal.
  const double limit = cfg_.train.divergence_z_limit;
  auto bad = [limit](const torch::Tensor& z) {
    if (z.numel() == 0) return torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
    return torch::isfinite(z).all().logical_not().logical_or(z.abs().max() > limit);
  };
  auto flags = torch::stack({bad(z_post), bad(z_noise), torch::full({}, stop_requested(), torch::kBool).to(z_post.device())})
                   .to(local.dtype());
  local = torch::cat({local, grad_norm / static_cast<double>(comm_.size()), flags});

  // One flat buffer in a fixed order: generator grads, active ratio grads, then the loss terms.
  std::vector<torch::Tensor> parts;
  for (const auto& p : g_opt_.params()) parts.push_back(p.grad());
  if (active)
    for (const auto& p : e_opt_.params()) parts.push_back(p.grad());
  parts.push_back(local);
  auto flat = pack(parts);
  fault_point("train.before-allreduce", comm_.rank());
  auto t1 = Clock::now();
  allreduce_sum(comm_, flat, "gradients (generator + active ratio network)");
  s.t_allreduce = seconds_since(t1);
  unpack(flat, parts);

  auto terms = local.to(torch::kCPU);
  s.gen_loss = terms[0].item<double>();
  s.nce_loss = terms[1].item<double>();
  s.nce_acc = terms[2].item<double>();
  s.langevin_grad_norm = terms[3].item<double>();
  s.stop_requested = terms[6].item<double>() > 0;
  // Every rank sees the same summed values, so every rank decides alike.
  const double bad_post = terms[4].item<double>(), bad_noise = terms[5].item<double>();
  if (bad_post > 0 || bad_noise > 0) {
    s.diverged = true;
    s.divergence = (bad_post > 0 ? "posterior Langevin state (z) on " + std::to_string(static_cast<int>(bad_post))
                                 : "prior (noise) samples on " + std::to_string(static_cast<int>(bad_noise))) +
                   " rank(s), non-finite or beyond |z| = " + fmt::format("{:g}", limit) + " (train.divergence_z_limit)";
  } else if (!torch::isfinite(flat).all().item<bool>()) {
    s.diverged = true;
    s.divergence = "non-finite loss or gradient";
  }
  if (s.diverged) return s;  // no optimizer step: the parameters stay as they were
  g_opt_.step();
  if (active) e_opt_.step();
  s.t_update = seconds_since(t0) - s.t_allreduce;
  return s;
}

std::string Trainer::save() {
  CheckpointMeta meta;
  meta.iteration = iteration_;
  meta.stage = stage_;
  meta.world_size = comm_.size();
  meta.config_yaml = to_yaml(cfg_);
  meta.dataset_fingerprint = dataset_fingerprint_;
  TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
  auto dir = save_checkpoint(comm_, run_dir_, meta, state, cfg_.train.seed, cfg_.log.keep_checkpoints);
  spdlog::debug("checkpoint written: {}", dir);
  return dir;
}

void Trainer::handle_divergence(int64_t t, const StepStats& s, const Batch& batch, const torch::Tensor& z_post,
                                const torch::Tensor& z_noise) {
  const auto& policy = cfg_.train.on_divergence;
  spdlog::warn("divergence guard: {} at iteration {} (stage {}, langevin_delta {}); policy '{}'", s.divergence, t,
               stage_, cfg_.train.langevin_delta, policy);
  if (policy == "skip" && consecutive_skips_ < cfg_.train.max_skips) {
    ++consecutive_skips_, ++skipped_;
    iteration_ = t + 1;  // the step is dropped; the memory matrix keeps its old rows
    spdlog::warn("divergence guard: iteration {} skipped ({} in a row, at most train.max_skips = {})", t, consecutive_skips_,
                 cfg_.train.max_skips);
    return;
  }
  if (policy == "rollback" && rollbacks_ < cfg_.train.max_rollbacks) {
    if (auto ckpt = latest_checkpoint(run_dir_)) {
      rollback(*ckpt);
      return;
    }
    spdlog::warn("divergence guard: no checkpoint to roll back to");
  }
  write_debug_dump(t, batch, z_post, z_noise);
  std::string why = policy == "stop" ? "train.on_divergence = stop"
                    : policy == "skip" ? std::to_string(consecutive_skips_) + " skipped steps in a row (train.max_skips)"
                                       : std::to_string(rollbacks_) + " rollbacks (train.max_rollbacks) or no checkpoint";
  comm_.barrier("divergence guard: debug dumps written");
  throw DivergenceError(t, "training diverged at iteration " + std::to_string(t) + ": " + s.divergence +
                               "; stopped after " + why + ". Debug dumps are in " +
                               (std::filesystem::path(run_dir_) / "debug").string() +
                               ". Lower train.langevin_delta or the learning rates (e.g. `train.langevin_delta=" +
                               std::to_string(cfg_.train.langevin_delta * cfg_.train.rollback_delta_factor) +
                               "`) and run the same command to resume from the last checkpoint");
}

void Trainer::rollback(const std::string& ckpt_dir) {
  const auto meta = read_checkpoint_meta(ckpt_dir);
  stage_ = meta.stage;
  if (K_ > 0) e_opt_ = Adam(parameter_list(*prior_->ratio(stage_)), cfg_.train.e_lr, cfg_.train.beta1, cfg_.train.beta2);
  TrainingState state{g_, prior_, g_opt_, e_opt_, bank_};
  load_checkpoint(ckpt_dir, state);
  const int64_t from = iteration_;
  iteration_ = meta.iteration;
  cached_epoch_ = -1;
  ++rollbacks_;
  const double old_delta = cfg_.train.langevin_delta;
  cfg_.train.langevin_delta *= cfg_.train.rollback_delta_factor;
  spdlog::warn("divergence guard: rolled back from iteration {} to checkpoint {} (iteration {}); langevin_delta {} -> {} "
               "(rollback {} of at most {})",
               from, ckpt_dir, iteration_, old_delta, cfg_.train.langevin_delta, rollbacks_, cfg_.train.max_rollbacks);
}

void Trainer::write_debug_dump(int64_t t, const Batch& batch, const torch::Tensor& z_post, const torch::Tensor& z_noise) {
  try {
    const auto dir = std::filesystem::path(run_dir_) / "debug";
    std::filesystem::create_directories(dir);
    char name[64];
    std::snprintf(name, sizeof(name), "divergence-it%08lld-rank%05d.h5", static_cast<long long>(t), comm_.rank());
    h5::File f((dir / name).string(), h5::Mode::Truncate);
    write_tensor(f, "/x", batch.x);
    write_tensor(f, "/z_posterior", z_post);
    if (z_noise.numel() > 0) write_tensor(f, "/z_noise", z_noise);  // none with K = 0
    f.write_i64("/indices", batch.indices.data(), {static_cast<int64_t>(batch.indices.size())});
    f.set_attr("/", "iteration", t);
    f.set_attr("/", "stage", stage_);
    f.set_attr("/", "rank", static_cast<int64_t>(comm_.rank()));
    f.set_attr("/", "langevin_delta", cfg_.train.langevin_delta);
    f.set_attr("/", "config", to_yaml(cfg_));
    spdlog::warn("divergence guard: debug dump {}", (dir / name).string());
  } catch (const std::exception& e) {
    spdlog::error("divergence guard: could not write the debug dump: {}", e.what());
  }
}

void Trainer::log_progress(int64_t t, const StepStats& sum, int64_t count, double window_s) {
  const double c = static_cast<double>(std::max<int64_t>(1, count));
  const double it_per_s = window_s > 0 ? c / window_s : 0.0;
  const double eta = it_per_s > 0 ? static_cast<double>(T_ - t) / it_per_s : 0.0;
  spdlog::info("it {}/{} | stage {} | gen {:.3f} | nce {:.4f} acc {:.3f} | |grad z| {:.3f} | {:.2f} it/s | ETA {}", t, T_,
               stage_, sum.gen_loss / c, sum.nce_loss / c, sum.nce_acc / c, sum.langevin_grad_norm / c, it_per_s,
               format_duration(eta));
  if (!comm_.is_root()) return;
  nlohmann::json row = {{"iteration", t},
                        {"stage", stage_},
                        {"gen_loss", sum.gen_loss / c},
                        {"nce_loss", sum.nce_loss / c},
                        {"nce_acc", sum.nce_acc / c},
                        {"langevin_grad_norm", sum.langevin_grad_norm / c},
                        {"it_per_s", it_per_s},
                        {"time_langevin_s", sum.t_langevin / c},
                        {"time_update_s", sum.t_update / c},
                        {"time_allreduce_s", sum.t_allreduce / c},
                        {"elapsed_s", seconds_since(start_time_)}};
  std::ofstream out(std::filesystem::path(run_dir_) / "metrics.jsonl", std::ios::app);
  out << row.dump() << "\n";
}

std::pair<double, double> Trainer::evaluate_anomaly() {
  const auto& info = data_->info();
  if (info.anomaly_label < 0)
    throw std::runtime_error("eval.anomaly_every is set but '" + cfg_.data.path +
                             "' is not an anomaly-detection split; prepare it with --holdout-label D");
  if (!test_) {  // first evaluation: this rank's test shard, and every test image's anomaly flag
    test_ = std::make_unique<data::ShardData>(cfg_.data.path, "test", comm_.rank(), comm_.size(), cfg_.data.test_limit);
    const std::vector<double> labels(test_->images().labels.begin(), test_->images().labels.end());
    for (double l : gather_by_index(comm_, test_->split_size(), test_->shard().begin, labels, "anomaly labels"))
      test_is_anomaly_.push_back(static_cast<int64_t>(l) == info.anomaly_label);
  }
  torch::manual_seed(iteration_seed(cfg_.train.seed, comm_.rank(), -2 - iteration_));  // not training's stream
  const auto t0 = Clock::now();
  const auto local = score_images(g_, prior_, model_stages(), test_->images(), cfg_.model.sigma,
                                  {cfg_.train.langevin_steps, cfg_.train.langevin_delta}, local_batch_, device_);
  const auto scores = gather_by_index(comm_, test_->split_size(), test_->shard().begin, local, "anomaly scores");
  const auto m = anomaly_metrics(scores, test_is_anomaly_);
  spdlog::info("anomaly (label {} held out) at it {}: AUPRC {:.4f} AUROC {:.4f} over {} test images ({} anomalies), {:.1f} s",
               info.anomaly_label, iteration_, m.auprc, m.auroc, m.n, m.n_anomalous, seconds_since(t0));
  if (comm_.is_root()) {
    nlohmann::json row = {{"iteration", iteration_}, {"stage", stage_},  {"auprc", m.auprc},
                          {"auroc", m.auroc},       {"anomaly_label", info.anomaly_label}, {"test_images", m.n}};
    std::ofstream(std::filesystem::path(run_dir_) / "metrics.jsonl", std::ios::app) << row.dump() << "\n";
  }
  return {m.auprc, m.auroc};
}

namespace {
// Rows of <run_dir>/metrics.jsonl (all of them, across resumed invocations).
std::vector<nlohmann::json> read_metrics(const std::string& run_dir) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(std::filesystem::path(run_dir) / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      rows.push_back(nlohmann::json::parse(line));
    } catch (const std::exception&) {
      // a line cut by a crash: skip it
    }
  }
  return rows;
}

std::pair<double, double> mean_std(const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(std::max<size_t>(1, v.size()));
  for (double x : v) var += (x - mean) * (x - mean);
  return {mean, v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0.0};
}
}  // namespace

void Trainer::write_anomaly_summary() {
  if (!comm_.is_root() || data_->info().anomaly_label < 0) return;
  std::vector<double> auprc, auroc;
  std::vector<int64_t> its;
  for (const auto& r : read_metrics(run_dir_))
    if (r.contains("auprc")) {
      auprc.push_back(r["auprc"].get<double>());
      auroc.push_back(r["auroc"].get<double>());
      its.push_back(r["iteration"].get<int64_t>());
    }
  if (auprc.empty()) return;
  const size_t w = std::min<size_t>(auprc.size(), static_cast<size_t>(cfg_.eval.anomaly_window));
  const std::vector<double> last_p(auprc.end() - static_cast<std::ptrdiff_t>(w), auprc.end());
  const std::vector<double> last_r(auroc.end() - static_cast<std::ptrdiff_t>(w), auroc.end());
  const auto [pm, ps] = mean_std(last_p);
  const auto [rm, rs] = mean_std(last_r);
  nlohmann::json out = {{"anomaly_label", data_->info().anomaly_label},
                        {"method", cfg_.train.method},
                        {"evaluations", auprc.size()},
                        {"window", w},
                        {"auprc_mean", pm},
                        {"auprc_std", ps},
                        {"auroc_mean", rm},
                        {"auroc_std", rs},
                        {"iterations", std::vector<int64_t>(its.end() - static_cast<std::ptrdiff_t>(w), its.end())}};
  std::ofstream(std::filesystem::path(run_dir_) / "anomaly.json") << out.dump(2) << "\n";
  spdlog::info("anomaly detection, label {} held out: AUPRC {:.4f} +- {:.4f}, AUROC {:.4f} +- {:.4f} (last {} evaluations)",
               data_->info().anomaly_label, pm, ps, rm, rs, w);
}

void Trainer::write_pictures() {
  if (!comm_.is_root()) return;
  torch::manual_seed(iteration_seed(cfg_.train.seed, 0, -1));
  const int64_t n = cfg_.sample.count, cols = 8;
  auto samples = sample_images(g_, prior_, K_, cfg_.sample, n, device_);
  const auto samples_path = (std::filesystem::path(run_dir_) / "samples.png").string();
  save_grid(samples_path, samples, cols);

  data::ShardData test(cfg_.data.path, "test", 0, 1, std::min<int64_t>(n, data_->info().n_test));
  const auto& imgs = test.images();
  auto x = to_unit_range(torch::from_blob(const_cast<uint8_t*>(imgs.pixels.data()), {imgs.n, imgs.c, imgs.h, imgs.w},
                                          torch::kUInt8)
                             .clone())
               .to(device_);
  auto recon = reconstruct_images(g_, prior_, K_, x, cfg_.model.sigma, {cfg_.train.langevin_steps, cfg_.train.langevin_delta});
  const double mse = (recon - x).pow(2).mean().item<double>();
  // Rows alternate: 8 test images, then their reconstructions.
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < x.size(0); i += cols) {
    const int64_t m = std::min(cols, x.size(0) - i);
    rows.push_back(x.narrow(0, i, m));
    rows.push_back(recon.narrow(0, i, m));
  }
  const auto recon_path = (std::filesystem::path(run_dir_) / "reconstructions.png").string();
  save_grid(recon_path, torch::cat(rows), cols);
  spdlog::info("wrote {} (prior samples, {}) and {} (test reconstruction MSE {:.5f} over {} images)", samples_path,
               cfg_.sample.method, recon_path, mse, x.size(0));
  nlohmann::json row = {{"iteration", iteration_}, {"final", true}, {"recon_mse", mse}, {"recon_images", x.size(0)}};
  std::ofstream(std::filesystem::path(run_dir_) / "metrics.jsonl", std::ios::app) << row.dump() << "\n";

  // Figure 3: prior Langevin chains decoded every 20 of 200 steps.
  const auto strip_path = (std::filesystem::path(run_dir_) / "langevin_strip.png").string();
  save_langevin_strip(strip_path, g_, prior_, K_, StripOptions{}, device_);
  // Figure 4: the prior loss of each stage over training; AUPRC on anomaly splits.
  if (!gnuplot_available()) {
    spdlog::warn("gnuplot not found: nce_loss.png not drawn (apt-get install gnuplot-nox)");
    return;
  }
  std::vector<PlotSeries> loss, auprc(1);
  auprc[0].name = "AUPRC";
  for (const auto& r : read_metrics(run_dir_)) {
    if (r.contains("nce_loss") && r.contains("stage")) {
      const auto k = static_cast<size_t>(r["stage"].get<int64_t>());
      while (loss.size() <= k) loss.push_back(PlotSeries{"stage " + std::to_string(loss.size()), {}, {}});
      loss[k].xs.push_back(static_cast<double>(r["iteration"].get<int64_t>()));
      loss[k].ys.push_back(r["nce_loss"].get<double>());
    }
    if (r.contains("auprc")) {
      auprc[0].xs.push_back(static_cast<double>(r["iteration"].get<int64_t>()));
      auprc[0].ys.push_back(r["auprc"].get<double>());
    }
  }
  const std::string objective = cfg_.train.method == "lebm" ? "energy ML loss" : "NCE loss";
  if (K_ > 0 && !loss.empty())
    plot_lines((std::filesystem::path(run_dir_) / "nce_loss.png").string(), objective + " per stage (" + cfg_.train.method + ")",
               "iteration", objective, loss);
  if (!auprc[0].xs.empty())
    plot_lines((std::filesystem::path(run_dir_) / "auprc.png").string(),
               "anomaly detection, label " + std::to_string(data_->info().anomaly_label) + " held out", "iteration", "AUPRC",
               auprc);
  spdlog::info("wrote {}{}", strip_path, K_ > 0 ? " and nce_loss.png" : "");
}

}  // namespace latentebm
