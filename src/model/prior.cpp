#include "model/prior.h"

#include "model/generator.h"

namespace latentebm {

RatioNetImpl::RatioNetImpl(int64_t nz, int64_t hidden) {
  auto lrelu = [] { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.1)); };
  net = register_module("net", torch::nn::Sequential(torch::nn::Linear(nz, hidden), lrelu(),
                                                     torch::nn::Linear(hidden, hidden), lrelu(),
                                                     torch::nn::Linear(hidden, 1)));
  xavier_init(*this);
}

torch::Tensor RatioNetImpl::forward(const torch::Tensor& z) { return net->forward(z).squeeze(-1); }

MultiStagePriorImpl::MultiStagePriorImpl(int64_t nz_, int64_t stages, int64_t hidden) : nz(nz_) {
  for (int64_t i = 0; i < stages; ++i)
    ratios.push_back(register_module("stage_" + std::to_string(i), RatioNet(nz, hidden)));
}

torch::Tensor MultiStagePriorImpl::log_ratio_sum(const torch::Tensor& z, int64_t upto) {
  auto sum = torch::zeros({z.size(0)}, z.options());
  for (int64_t i = 0; i < upto && i < num_stages(); ++i) sum = sum + ratios[static_cast<size_t>(i)]->forward(z);
  return sum;
}

torch::Tensor MultiStagePriorImpl::log_density(const torch::Tensor& z, int64_t upto) {
  return log_ratio_sum(z, upto) - 0.5 * z.pow(2).sum(1);
}

std::vector<torch::Tensor> parameter_list(torch::nn::Module& module) { return module.parameters(/*recurse=*/true); }

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters(true)) p.set_requires_grad(on);
}

}  // namespace latentebm
