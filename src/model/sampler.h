#pragma once
// Samplers over the latent space.
//
// Langevin step convention (the reference LEBM code's, kept on purpose):
//     z <- z + (delta^2 / 2) * grad_z log target(z) + delta * w,   w ~ N(0, I)
// Posterior target (training, reconstruction, anomaly scores):
//     log target(z) = -||x - g(z)||^2 / (2 sigma^2) + log p_k(z)
// Prior target (test-time sampling, optional NCE noise samples):
//     log target(z) = log p_k(z)
// Chains are short-run and noise-initialised: the caller passes z0 ~ N(0, I).
// Noise comes from LibTorch's default generator, which the trainer reseeds
// every iteration from (seed, rank, iteration).
#include <torch/torch.h>

#include <functional>

#include "config.h"
#include "model/generator.h"
#include "model/prior.h"

namespace latentebm {

struct LangevinOptions {
  int64_t steps = 30;
  double delta = 0.1;
};

// The chains of a run's config: posterior Langevin as training runs it
// (train.langevin_steps at train.langevin_delta; reconstruction, anomaly
// scores and evaluation use the same), and training's short-run prior
// Langevin (train.prior_langevin_steps at train.prior_langevin_delta).
LangevinOptions posterior_langevin_options(const Config& cfg);
LangevinOptions prior_langevin_options(const Config& cfg);

// The generic sampler every Langevin chain here goes through: `log_target`
// maps z [B, nz] to per-example log densities [B] (up to a constant; they are
// summed before differentiating, so examples must not interact). Gradients are
// taken w.r.t. z only; the caller freezes any parameters it does not want
// differentiated. If grad_norm is given it receives the mean per-example
// ||grad_z log target|| over all steps, as a 0-dim tensor (no host sync).
torch::Tensor langevin(const std::function<torch::Tensor(const torch::Tensor&)>& log_target, torch::Tensor z,
                       const LangevinOptions& opt, torch::Tensor* grad_norm = nullptr);

// Posterior Langevin on log p(x, z) with the prior p_{prior_stages}. Only
// gradients w.r.t. z are computed (weights are not differentiated). If
// grad_norm is given it receives the mean per-example ||grad_z|| over all
// steps, as a 0-dim tensor on the device (no host sync).
torch::Tensor posterior_langevin(Generator& g, MultiStagePrior& prior, int64_t prior_stages, const torch::Tensor& x,
                                 torch::Tensor z, double sigma, const LangevinOptions& opt,
                                 torch::Tensor* grad_norm = nullptr);

// Langevin on the prior log p_{stages}(z).
torch::Tensor prior_langevin(MultiStagePrior& prior, int64_t stages, torch::Tensor z, const LangevinOptions& opt);

// Sampling-importance-resampling from p_{stages}: for each of the n outputs,
// draw `proposals` candidates from N(0, I) and keep one with probability
// proportional to prod_i r_i(z) = exp(sum_i f_i(z)).
torch::Tensor sir_sample(MultiStagePrior& prior, int64_t stages, int64_t n, int64_t proposals,
                         const torch::TensorOptions& options);

// Sets requires_grad=false on every parameter of the given modules for its
// lifetime, restoring the previous flags afterwards.
class FreezeParameters {
 public:
  explicit FreezeParameters(std::vector<torch::nn::Module*> modules);
  ~FreezeParameters();
  FreezeParameters(const FreezeParameters&) = delete;
  FreezeParameters& operator=(const FreezeParameters&) = delete;

 private:
  std::vector<std::pair<torch::Tensor, bool>> saved_;
};

}  // namespace latentebm
