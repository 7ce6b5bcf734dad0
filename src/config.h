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
  int64_t train_limit = 0;  // >0: use only the first N training examples
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
  std::string method = "adaptive-ce";  // adaptive-ce (K stages; K=0 is the Gaussian prior)
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

struct RuntimeConfig {
  std::string device = "cpu";  // auto | cpu | cuda
  int64_t threads = 1;         // intra-op threads per rank
};

struct Config {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LogConfig log;
  SampleConfig sample;
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
// Checks every value that can be checked without the data; throws one
// exception listing every problem found.
void validate(const Config& cfg);
// Checks that need the run's world size and the prepared dataset.
void validate_against(const Config& cfg, int world, int64_t n_train, int64_t channels, int64_t height, int64_t width);

// Derived schedule: T and the stage length T/K.
int64_t total_iterations(const Config& cfg, int64_t n_train);
int64_t stage_length(const Config& cfg, int64_t n_train);

}  // namespace latentebm
