#include "eval/steering.h"

namespace latentebm {

namespace {

// One posterior chain, its drift split into parts; with use_ratios false the
// ratio part is left out of the step (and measured as 0).
torch::Tensor split_chain(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x, torch::Tensor z,
                          double sigma, const LangevinOptions& opt, bool use_ratios, DriftNorms* norms) {
  const double drift = 0.5 * opt.delta * opt.delta, inv_two_sigma2 = 1.0 / (2.0 * sigma * sigma);
  const bool ratios = use_ratios && stages > 0;
  double lik_sum = 0, ratio_sum = 0, base_sum = 0;
  z = z.detach();
  for (int64_t s = 0; s < opt.steps; ++s) {
    z.set_requires_grad(true);
    const auto log_lik = -(x - g->forward(z)).pow(2).flatten(1).sum(1) * inv_two_sigma2;
    const auto grad_lik = torch::autograd::grad({log_lik.sum()}, {z})[0];
    const auto grad_ratio = ratios ? torch::autograd::grad({prior->log_ratio_sum(z, stages).sum()}, {z})[0]
                                   : torch::zeros_like(z);
    torch::NoGradGuard no_grad;
    const auto grad_base = -z.detach();
    lik_sum += grad_lik.norm(2, {1}).mean().item<double>();
    ratio_sum += grad_ratio.norm(2, {1}).mean().item<double>();
    base_sum += grad_base.norm(2, {1}).mean().item<double>();
    z = z.detach() + drift * (grad_lik + grad_ratio + grad_base) + opt.delta * torch::randn_like(z);
  }
  if (norms && opt.steps > 0) {
    const double steps = static_cast<double>(opt.steps);
    *norms = {lik_sum / steps, ratio_sum / steps, base_sum / steps};
  }
  return z.detach();
}

}  // namespace

PosteriorSteering posterior_steering(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                     const torch::Tensor& z0, double sigma, const LangevinOptions& opt, uint64_t seed) {
  FreezeParameters frozen({g.get(), prior.get()});
  PosteriorSteering out;
  torch::manual_seed(seed);
  out.z_prior = split_chain(g, prior, stages, x, z0, sigma, opt, true, &out.drift);
  torch::manual_seed(seed);
  out.z_base = split_chain(g, prior, stages, x, z0, sigma, opt, false, nullptr);
  return out;
}

}  // namespace latentebm
