#include "model/noise.h"

namespace latentebm {

torch::Tensor stage_noise(MultiStagePrior& prior, int64_t stage, const NoiseOptions& opt, int64_t count,
                          const torch::Tensor& bank_draw, const torch::TensorOptions& options) {
  if (stage == 0) return torch::randn({count, prior->nz}, options);  // exact draws of p_0 = N(0, I)
  switch (opt.source) {
    case NoiseSource::kPersistent:
      return bank_draw;
    case NoiseSource::kLangevin:
      return prior_langevin(prior, stage, torch::randn({count, prior->nz}, options), opt.langevin);
    case NoiseSource::kPersistentLangevin:
      return prior_langevin(prior, stage, bank_draw, {opt.bank_steps, opt.langevin.delta});
    case NoiseSource::kImportance:
      return sir_sample(prior, stage, count, opt.proposals, options);
  }
  throw std::logic_error("stage_noise: unknown noise source");
}

bool uses_bank_draw(NoiseSource source) {
  return source == NoiseSource::kPersistent || source == NoiseSource::kPersistentLangevin;
}

double median_distance(const torch::Tensor& z) {
  torch::NoGradGuard no_grad;
  const int64_t n = z.size(0);
  if (n < 2) return 1.0;
  auto d = torch::cdist(z.to(torch::kFloat64), z.to(torch::kFloat64));
  auto iu = torch::triu_indices(n, n, 1, torch::TensorOptions().dtype(torch::kLong).device(z.device()));
  auto off = d.index({iu[0], iu[1]});
  const double med = off.median().item<double>();
  return med > 0 ? med : 1.0;
}

NoiseReference draw_noise_reference(MultiStagePrior& prior, int64_t stage, int64_t n, const LangevinOptions& opt,
                                    const torch::TensorOptions& options) {
  NoiseReference r;
  r.stage = stage;
  auto z0 = torch::randn({n, prior->nz}, options);
  r.z = stage == 0 ? z0 : prior_langevin(prior, stage, z0, opt);
  r.bandwidth = median_distance(r.z);
  r.importance_ess = importance_ess_fraction(prior, stage, z0);
  torch::NoGradGuard no_grad;
  r.log_p = prior->log_density(r.z, stage);
  return r;
}

double importance_ess_fraction(MultiStagePrior& prior, int64_t stage, const torch::Tensor& z) {
  if (stage == 0 || z.size(0) == 0) return 1.0;
  torch::NoGradGuard no_grad;
  auto logw = prior->log_ratio_sum(z, stage).to(torch::kFloat64);
  auto w = torch::exp(logw - logw.max());  // the scale cancels
  return (w.sum().pow(2) / (w.pow(2).sum() * static_cast<double>(z.size(0)))).item<double>();
}

torch::Tensor mmd2(const torch::Tensor& x, const torch::Tensor& y, double h) {
  torch::NoGradGuard no_grad;
  const double g = 1.0 / (2.0 * h * h);
  auto k = [g](const torch::Tensor& a, const torch::Tensor& b) { return torch::exp(-g * torch::cdist(a, b).pow(2)).mean(); };
  return k(x, x) + k(y, y) - 2.0 * k(x, y);
}

}  // namespace latentebm
