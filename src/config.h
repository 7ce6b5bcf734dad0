#pragma once
// Every setting of a latentebm run, as plain structs with their defaults in
// this one place. Configs are read from YAML (presets in configs/), then
// command-line overrides `section.key=value` are applied, then the whole
// config is validated once, before any rank starts work. The resolved config
// is written to <run_dir>/config.yaml.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "generator_kind.h"
#include "method.h"

namespace latentebm {

struct DataConfig {
  std::string path = "data/fashion-mnist.h5";  // prepared HDF5 file (latentebm prepare)
  int64_t train_limit = 0;  // >0: use only the first N examples of the training order (a fixed random subset, docs/DATA.md)
  int64_t test_limit = 0;   // >0: use only N test examples (a fixed uniform random subset in file order, docs/DATA.md)
};

struct ModelConfig {
  // mnist28 | svhn32 | cifar32 | celeba64 | celebahq128 (paper Table 5 + variants; generator_kind.h)
  GeneratorKind generator = GeneratorKind::kMnist28;
  int64_t nz = 100;          // latent dimension
  int64_t ngf = 64;          // generator width
  double sigma = 0.3;        // observation noise std of x = g(z) + eps
  int64_t ratio_hidden = 200;  // ratio-estimator MLP width (paper Table 4)
};

struct TrainConfig {
  // What each method implies (stages, posterior prior, objective, noise,
  // reference settings) is its MethodTraits in method.h; resolve_method()
  // applies it.
  Method method = Method::kAdaptiveCe;
  int64_t stages = 4;                  // K
  // The schedule, T iterations: train.iterations when > 0, else epochs of
  // the training data (images seen: epochs * N / B iterations, whole batches
  // per epoch while N >= B), and never fewer than min_iterations: a large
  // job's global batch must not shrink the run to a handful of steps.
  int64_t iterations = 0;              // T; 0 = from epochs
  double epochs = 100;                 // used when iterations == 0
  int64_t min_iterations = 0;          // floor on T (0 = none)
  // The batch. batch_size is the global batch B, split over the ranks (the
  // first B mod W ranks take one more). batch_per_rank > 0 wins: every rank
  // takes that many and B = batch_per_rank * W; the resolved config.yaml
  // shows B in batch_size. (batch_size on the command line beats a
  // batch_per_rank from the file: resolve_batch.) A resume on another rank count keeps whichever
  // the config says: the per-rank batch (batch_per_rank > 0) or the global
  // one (batch_per_rank = 0), and says so.
  int64_t batch_size = 100;
  int64_t batch_per_rank = 0;
  // Learning rates for large global batches (train/schedule.h): g_lr and
  // e_lr are multiplied by (B / lr_reference_batch)^p, p = 1/2 (sqrt, the
  // rule for Adam) or 1 (linear), ramped up linearly from the unscaled rates
  // over lr_warmup_iterations. none: the rates as given.
  LrScaling lr_scaling = LrScaling::kNone;
  int64_t lr_reference_batch = 0;      // the global batch g_lr and e_lr were tuned at (required unless none)
  int64_t lr_warmup_iterations = 0;
  int64_t langevin_steps = 30;         // L, posterior Langevin
  double langevin_delta = 0.1;         // step: z += delta^2/2 grad + delta w
  double g_lr = 1e-4;                  // generator Adam learning rate
  // constant (the paper) | cosine: g_lr decays to 0 at T (train/schedule.h).
  // Only the generator's: each stage's ratio network has its own optimizer
  // and stage, and a global decay would starve the last stages.
  LrSchedule g_lr_schedule = LrSchedule::kConstant;
  double e_lr = 5e-5;                  // ratio-estimator Adam learning rate
  double beta1 = 0.5;                  // Adam betas (LEBM reference code)
  double beta2 = 0.999;
  // Noise of stage k >= 1: persistent | langevin | persistent-langevin |
  // importance (method.h).
  NoiseSource prior_samples = NoiseSource::kPersistent;
  int64_t prior_langevin_steps = 60;   // langevin noise (and LEBM): steps from N(0, I)
  double prior_langevin_delta = 0.4;   // step of every prior Langevin chain in training
  int64_t bank_langevin_steps = 20;    // persistent-langevin: M steps on p_k from a bank draw
  int64_t noise_proposals = 100;       // importance: N(0, I) proposals per noise sample
  // Stage schedule: fixed (a stage every T/K iterations) or adaptive (the
  // next stage begins when the active stage's all-reduced NCE loss has not
  // improved by plateau_tolerance over its best window mean for
  // plateau_patience consecutive windows of plateau_window iterations; never
  // before min_stage_iterations, always at max_stage_iterations (0 = no
  // maximum); K stays the cap and the last stage runs to T).
  StageSchedule stage_schedule = StageSchedule::kFixed;
  int64_t plateau_window = 40;
  int64_t plateau_patience = 2;
  double plateau_tolerance = 0.01;
  int64_t min_stage_iterations = 120;
  int64_t max_stage_iterations = 0;
  uint64_t seed = 1;
  // Divergence guard: what every rank does, together, when a loss, a gradient
  // or a Langevin state is non-finite. rollback: reload the latest checkpoint
  // and multiply langevin_delta by rollback_delta_factor (e_lr instead, when
  // the prior loss ran beyond divergence_loss_limit; at most max_rollbacks
  // times, then stop); skip: drop the step (at most max_skips in
  // a row, then stop); stop: write a debug dump under <run_dir>/debug/ and stop.
  // A Langevin state with any |z_i| above divergence_z_limit counts as
  // diverged too (latents of an N(0, I)-based prior live within a few units),
  // and so does a step whose prior loss (the NCE loss, or LEBM's energy
  // difference, a global-batch mean) lies beyond +-divergence_loss_limit: an
  // energy can run away while every latent stays finite. Healthy runs stay
  // within a few units (LEBM's largest logged |loss| in docs/RESULTS.md's
  // stable runs: 7.6; the runaway ones passed 1e3 and reached 1e7).
  DivergencePolicy on_divergence = DivergencePolicy::kRollback;
  double divergence_z_limit = 1e4;
  double divergence_loss_limit = 1e3;
  int64_t max_rollbacks = 3;
  double rollback_delta_factor = 0.5;
  int64_t max_skips = 10;
};

struct LogConfig {
  int64_t log_every = 10;          // iterations between progress lines / metrics.jsonl rows
  int64_t checkpoint_every = 500;  // iterations between checkpoints (and one at the end)
  int64_t keep_checkpoints = 3;
  // Noise diagnostics: once per stage (at its first logged row), every rank draws this many
  // reference samples of p_k by long-run prior Langevin (noise_reference_steps
  // at noise_reference_delta from N(0, I)); every logged row then compares the
  // stage's noise with them (MMD, mean log p_k, mean f_k). 0 samples = off.
  int64_t noise_reference_samples = 256;
  int64_t noise_reference_steps = 500;
  double noise_reference_delta = 0.2;
  // on | off: rank 0 writes TensorBoard event files into <run>/tensorboard/
  // (scalars of every metrics.jsonl row, pictures, the config as text). A
  // build without TensorBoard support (CMake LATENTEBM_TENSORBOARD=OFF) says
  // so once and writes none.
  Switch tensorboard = Switch::kOn;
  // Iterations between TensorBoard pictures (samples, reconstructions, the
  // Langevin strip); 0 = none during training. A finished run always adds
  // them once at its last iteration while tensorboard is on.
  int64_t tensorboard_images_every = 1000;
};

struct SampleConfig {
  SampleMethod method = SampleMethod::kLangevin;  // langevin | sir
  int64_t steps = 100;               // test-time prior Langevin
  double delta = 0.1;
  int64_t sir_proposals = 100;       // proposals per kept sample
  int64_t count = 64;                // images in the grids written at the end
};

struct EvalConfig {
  // On an anomaly-detection split (prepare --holdout-label), score the test
  // split every anomaly_every iterations (0 = never) and report AUPRC/AUROC,
  // and their mean and std over the last anomaly_window evaluations.
  int64_t anomaly_every = 0;
  int64_t anomaly_window = 10;
};

struct RuntimeConfig {
  DeviceChoice device = DeviceChoice::kCpu;  // auto | cpu | cuda
  int64_t threads = 1;         // intra-op threads per rank
  // A collective stuck this long (seconds) aborts the job with a message
  // naming the rank and the collective; 0 disables the watchdog.
  double collective_timeout_s = 900;
  // fp32 | tf32 | bf16: the generator's arithmetic (model/precision.h).
  Precision precision = Precision::kFp32;
  // on | off: on a CUDA device, replay the Langevin chains from captured CUDA
  // graphs (model/cuda_graph_langevin.h); CPU runs are always eager.
  Switch cuda_graph = Switch::kOn;
  // off: refuse to start when a node runs more ranks than it has GPUs (they
  // would share GPUs, silently slower); on: allow it (tests, one GPU).
  Switch share_gpus = Switch::kOff;
};

// Where each key's value came from, so that resolve_method() knows which
// keys the user pinned (see there). Not part of the YAML.
struct KeyOrigins {
  std::set<std::string> file;     // keys set by the config file
  std::set<std::string> cmdline;  // keys set by command-line overrides
  Method file_method = Method::kAdaptiveCe;  // the method the file is written for
};

struct Config {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LogConfig log;
  SampleConfig sample;
  EvalConfig eval;
  RuntimeConfig runtime;
  KeyOrigins origins;
};

// Read a YAML file (keys absent from the file keep their defaults).
Config load_config(const std::string& yaml_path);
// Parse YAML text.
Config parse_config(const std::string& yaml_text, const std::string& origin = "<string>");
// Apply `section.key=value` overrides; unknown keys and malformed values throw.
void apply_overrides(Config& cfg, const std::vector<std::string>& overrides);
// Dump the full resolved config as YAML.
std::string to_yaml(const Config& cfg);
// The keys a resume may not change, as "key: value" lines in registry
// order: each key declares in the registry (config.cpp) whether, and in
// which configs, it is structural (model shape, method, stages, noise
// source, seed, data selection; the adaptive schedule's keys under it). The
// batch is not among them: a resume on another rank count may change the
// global batch (train.batch_per_rank); nor is the run's length (a resume may
// continue a run: train/run_schedule.h).
std::string structural_config(const Config& cfg);
// The test-time prior sampler in words, as eval.json and `sample`'s log name
// it: "langevin (100 steps, delta 0.1)" or "sir (100 proposals)".
std::string describe(const SampleConfig& sample);
// Applies what `train.method` implies (its MethodTraits): the method's K
// (gaussian 0, single-stage and lebm 1), a required noise source (lebm:
// langevin), and its reference settings (lebm: e_lr 2e-5, 20 posterior
// steps, 60 prior steps at delta 0.4) for every key the user did not pin. A
// key is pinned when a command-line override sets it, or when the config file
// sets it and the file is written for this same method (its train.method, or
// adaptive-ce when it names none): switching a preset's method on the command
// line brings the new method's reference settings. Returns a note per value
// changed, for the log. Call before validate().
std::vector<std::string> resolve_method(Config& cfg);
// Checks every value that can be checked without the data; throws one
// exception listing every problem found.
void validate(const Config& cfg);
// Checks that need the run's world size and the prepared dataset.
void validate_against(const Config& cfg, int world, int64_t n_train, int64_t channels, int64_t height, int64_t width);

// train.batch_per_rank > 0: sets train.batch_size to batch_per_rank * world
// (the global batch) and returns a note for the log; otherwise nothing. A
// train.batch_size given on the command line wins over a batch_per_rank of
// the config file (dropped, with a note); both on the command line is an
// error. Called at start-up, once the rank count is known, before validation.
std::optional<std::string> resolve_batch(Config& cfg, int world);
// This rank's share of the global batch train.batch_size (resolved).
int64_t local_batch(const Config& cfg, int world, int rank);
// The ranks' shares in words: "16", or "21-22" when they differ by one.
std::string describe_local_batch(const Config& cfg, int world);

// Derived schedule: T and the stage length T/K (train.batch_size resolved).
int64_t total_iterations(const Config& cfg, int64_t n_train);
int64_t stage_length(const Config& cfg, int64_t n_train);
// The schedule in words for the start-up log, and warnings about it (a
// checkpoint interval longer than a stage).
std::vector<std::string> describe_schedule(const Config& cfg, int64_t n_train, int world);

}  // namespace latentebm
