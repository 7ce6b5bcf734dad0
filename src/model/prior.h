#pragma once
// The latent prior: a base N(0, I) times K learned density ratios.
//
//   log p_k(z) = sum_{i<k} f_i(z) - ||z||^2 / 2 + const      (p_0 = N(0, I))
//
// Each f_i is the ratio-estimator MLP of paper Table 4:
//   Linear(nz, h) - LeakyReLU(0.1) - Linear(h, h) - LeakyReLU(0.1) - Linear(h, 1)
// During training stage k, f_0..f_{k-1} are frozen and f_k is the active
// network learned by NCE; after the last stage the prior uses all K.
#include <torch/torch.h>

#include <vector>

namespace latentebm {

struct RatioNetImpl : torch::nn::Module {
  RatioNetImpl(int64_t nz, int64_t hidden);
  // z: [B, nz] -> f(z): [B]
  torch::Tensor forward(const torch::Tensor& z);
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(RatioNet);

struct MultiStagePriorImpl : torch::nn::Module {
  MultiStagePriorImpl(int64_t nz, int64_t stages, int64_t hidden);
  int64_t num_stages() const { return static_cast<int64_t>(ratios.size()); }
  RatioNet& ratio(int64_t i) { return ratios.at(static_cast<size_t>(i)); }

  // sum_{i < upto} f_i(z): [B]
  torch::Tensor log_ratio_sum(const torch::Tensor& z, int64_t upto);
  // Unnormalised log p_upto(z) = sum_{i<upto} f_i(z) - ||z||^2/2 : [B]
  torch::Tensor log_density(const torch::Tensor& z, int64_t upto);

  int64_t nz;
  std::vector<RatioNet> ratios;
};
TORCH_MODULE(MultiStagePrior);

// Parameters of a module as a list, in registration order (the fixed order
// used for flat gradient buffers and checkpoints).
std::vector<torch::Tensor> parameter_list(torch::nn::Module& module);
// Turn requires_grad on/off for every parameter of a module.
void set_requires_grad(torch::nn::Module& module, bool on);

}  // namespace latentebm
