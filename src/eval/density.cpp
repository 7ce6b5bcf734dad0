#include "eval/density.h"

#include <cmath>

namespace latentebm {

torch::Tensor standard_normal_log_density(const torch::Tensor& z) {
  const double d = static_cast<double>(z.size(1));
  return -0.5 * z.pow(2).sum(1) - 0.5 * d * std::log(2.0 * M_PI);
}

double log_normaliser(MultiStagePrior& prior, int64_t stages, const torch::Tensor& z, const torch::Tensor& log_r) {
  torch::NoGradGuard no_grad;
  auto log_w = (prior->log_ratio_sum(z, stages) + standard_normal_log_density(z) - log_r).to(torch::kFloat64);
  return (torch::logsumexp(log_w, 0) - std::log(static_cast<double>(z.size(0)))).item<double>();
}

torch::Tensor normalised_log_density(MultiStagePrior& prior, int64_t stages, const torch::Tensor& z, double log_z) {
  torch::NoGradGuard no_grad;
  return (prior->log_ratio_sum(z, stages) + standard_normal_log_density(z)).to(torch::kFloat64) - log_z;
}

}  // namespace latentebm
