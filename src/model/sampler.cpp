#include "model/sampler.h"

namespace latentebm {

FreezeParameters::FreezeParameters(std::vector<torch::nn::Module*> modules) {
  for (auto* m : modules)
    for (auto& p : m->parameters(true)) {
      saved_.emplace_back(p, p.requires_grad());
      p.set_requires_grad(false);
    }
}

FreezeParameters::~FreezeParameters() {
  for (auto& [p, flag] : saved_) p.set_requires_grad(flag);
}

LangevinOptions posterior_langevin_options(const Config& cfg) {
  return {cfg.train.langevin_steps, cfg.train.langevin_delta};
}

LangevinOptions prior_langevin_options(const Config& cfg) {
  return {cfg.train.prior_langevin_steps, cfg.train.prior_langevin_delta};
}

torch::Tensor langevin(const std::function<torch::Tensor(const torch::Tensor&)>& log_target, torch::Tensor z,
                       const LangevinOptions& opt, torch::Tensor* grad_norm) {
  const double drift = 0.5 * opt.delta * opt.delta;
  auto norm_sum = torch::zeros({}, z.options());
  z = z.detach();
  for (int64_t s = 0; s < opt.steps; ++s) {
    z.set_requires_grad(true);
    auto grad = torch::autograd::grad({log_target(z).sum()}, {z})[0];
    torch::NoGradGuard no_grad;
    if (grad_norm) norm_sum += grad.norm(2, {1}).mean();
    z = z.detach() + drift * grad + opt.delta * torch::randn_like(z);
  }
  if (grad_norm) *grad_norm = opt.steps > 0 ? norm_sum / static_cast<double>(opt.steps) : norm_sum;
  return z.detach();
}

torch::Tensor posterior_langevin(Generator& g, MultiStagePrior& prior, int64_t prior_stages, const torch::Tensor& x,
                                 torch::Tensor z, double sigma, const LangevinOptions& opt, torch::Tensor* grad_norm) {
  FreezeParameters frozen({g.get(), prior.get()});
  const double inv_two_sigma2 = 1.0 / (2.0 * sigma * sigma);
  auto log_joint = [&](const torch::Tensor& zz) {
    auto residual = (x - g->forward(zz)).pow(2).flatten(1).sum(1);
    return -residual * inv_two_sigma2 + prior->log_density(zz, prior_stages);
  };
  return langevin(log_joint, std::move(z), opt, grad_norm);
}

torch::Tensor prior_langevin(MultiStagePrior& prior, int64_t stages, torch::Tensor z, const LangevinOptions& opt) {
  FreezeParameters frozen({prior.get()});
  return langevin([&](const torch::Tensor& zz) { return prior->log_density(zz, stages); }, std::move(z), opt);
}

torch::Tensor sir_sample(MultiStagePrior& prior, int64_t stages, int64_t n, int64_t proposals,
                         const torch::TensorOptions& options) {
  torch::NoGradGuard no_grad;
  auto z = torch::randn({n * proposals, prior->nz}, options);
  auto logw = prior->log_ratio_sum(z, stages).view({n, proposals});
  auto pick = torch::multinomial(torch::softmax(logw, 1), 1).squeeze(1);  // [n]
  auto rows = torch::arange(n, pick.options()) * proposals + pick;
  return z.index_select(0, rows);
}

}  // namespace latentebm
