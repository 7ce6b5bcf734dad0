#pragma once
// Every setting of a latentebm run, as plain structs with their defaults in
// this one place. Configs are read from YAML (presets in configs/), then
// command-line overrides `section.key=value` are applied, then the whole
// config is validated once, before any rank starts work. The resolved config
// is written to <run_dir>/config.yaml.
#include <cstdint>
#include <string>
#include <vector>

namespace latentebm {

struct DataConfig {
  std::string path = "data/fashion-mnist.h5";  // prepared HDF5 file (latentebm prepare)
  int64_t train_limit = 0;  // >0: use only the first N examples of the training order (a fixed random subset, docs/DATA.md)
  int64_t test_limit = 0;   // >0: use only the first N test examples
};

struct ModelConfig {
  // mnist28 | svhn32 | cifar32 | celeba64 | celebahq128 (paper Table 5 + variants)
  std::string generator = "mnist28";
  int64_t nz = 100;          // latent dimension
  int64_t ngf = 64;          // generator width
  double sigma = 0.3;        // observation noise std of x = g(z) + eps
  int64_t ratio_hidden = 200;  // ratio-estimator MLP width (paper Table 4)
};

struct TrainConfig {
  // adaptive-ce: K stages of NCE, posterior under the current prior (the paper)
  // gaussian: no prior model (K = 0); single-stage: K = 1
  // non-adaptive: K stacked ratios, posterior always under N(0, I), noise of
  //   stage k >= 1 by short-run Langevin on p_k (paper Table 3 right half)
  // lebm: one energy MLP by maximum likelihood, prior short-run Langevin
  //   (Pang et al. 2020; K = 1). resolve_method() sets what a method implies.
  std::string method = "adaptive-ce";
  int64_t stages = 4;                  // K
  int64_t iterations = 0;              // T; 0 = epochs * iterations per epoch
  double epochs = 100;                 // used when iterations == 0
  int64_t batch_size = 100;            // global batch, split evenly over ranks
  int64_t langevin_steps = 30;         // L, posterior Langevin
  double langevin_delta = 0.1;         // step: z += delta^2/2 grad + delta w
  double g_lr = 1e-4;                  // generator Adam learning rate
  double e_lr = 5e-5;                  // ratio-estimator Adam learning rate
  double beta1 = 0.5;                  // Adam betas (LEBM reference code)
  double beta2 = 0.999;
  std::string prior_samples = "persistent";  // persistent | langevin
  int64_t prior_langevin_steps = 60;
  double prior_langevin_delta = 0.4;
  uint64_t seed = 1;
  // Divergence guard: what every rank does, together, when a loss, a gradient
  // or a Langevin state is non-finite. rollback: reload the latest checkpoint
  // and multiply langevin_delta by rollback_delta_factor (at most
  // max_rollbacks times, then stop); skip: drop the step (at most max_skips in
  // a row, then stop); stop: write a debug dump under <run_dir>/debug/ and stop.
  // A Langevin state with any |z_i| above divergence_z_limit counts as
  // diverged too (latents of an N(0, I)-based prior live within a few units).
  std::string on_divergence = "rollback";
  double divergence_z_limit = 1e4;
  int64_t max_rollbacks = 3;
  double rollback_delta_factor = 0.5;
  int64_t max_skips = 10;
};

struct LogConfig {
  int64_t log_every = 10;          // iterations between progress lines / metrics.jsonl rows
  int64_t checkpoint_every = 500;  // iterations between checkpoints (and one at the end)
  int64_t keep_checkpoints = 3;
};

struct SampleConfig {
  std::string method = "langevin";  // langevin | sir
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
  std::string device = "cpu";  // auto | cpu | cuda
  int64_t threads = 1;         // intra-op threads per rank
  // A collective stuck this long (seconds) aborts the job with a message
  // naming the rank and the collective; 0 disables the watchdog.
  double collective_timeout_s = 900;
};

struct Config {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LogConfig log;
  SampleConfig sample;
  EvalConfig eval;
  RuntimeConfig runtime;
};

// Read a YAML file (keys absent from the file keep their defaults).
Config load_config(const std::string& yaml_path);
// Parse YAML text.
Config parse_config(const std::string& yaml_text, const std::string& origin = "<string>");
// Apply `section.key=value` overrides; unknown keys and malformed values throw.
void apply_overrides(Config& cfg, const std::vector<std::string>& overrides);
// Dump the full resolved config as YAML.
std::string to_yaml(const Config& cfg);
// Sets what `train.method` implies (gaussian: stages 0; single-stage and
// lebm: stages 1; lebm and non-adaptive: prior_samples langevin) and returns
// a note per value it changed, for the log. Call before validate().
std::vector<std::string> resolve_method(Config& cfg);
// Checks every value that can be checked without the data; throws one
// exception listing every problem found.
void validate(const Config& cfg);
// Checks that need the run's world size and the prepared dataset.
void validate_against(const Config& cfg, int world, int64_t n_train, int64_t channels, int64_t height, int64_t width);

// Derived schedule: T and the stage length T/K.
int64_t total_iterations(const Config& cfg, int64_t n_train);
int64_t stage_length(const Config& cfg, int64_t n_train);

}  // namespace latentebm
