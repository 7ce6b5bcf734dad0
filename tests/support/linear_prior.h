#pragma once
// A multi-stage prior whose ratio networks are exactly linear, f_k(z) =
// scales[k] * w.z, so that p_k is a known Gaussian: p_k = N((sum_{i<k}
// scales[i]) w, I). The hidden units come in +/- pairs, which undoes LeakyReLU
// (leaky(u) - leaky(-u) = 1.1 u). Used by the noise-source and density tests.
#include <torch/torch.h>

#include <vector>

#include "model/prior.h"

namespace latentebm::testing {

inline MultiStagePrior linear_prior(const torch::Tensor& w, const std::vector<double>& scales) {
  MultiStagePrior prior(w.size(0), static_cast<int64_t>(scales.size()), 2);
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < scales.size(); ++k) {
    auto& net = prior->ratio(static_cast<int64_t>(k))->net;
    auto l1 = net[0]->as<torch::nn::Linear>(), l2 = net[2]->as<torch::nn::Linear>(), l3 = net[4]->as<torch::nn::Linear>();
    l1->weight.copy_(torch::stack({w, -w}) * scales[k]);
    l1->bias.zero_();
    l2->weight.copy_(torch::tensor({{1.0f, -1.0f}, {-1.0f, 1.0f}}) / 1.1);
    l2->bias.zero_();
    l3->weight.copy_(torch::tensor({{1.0f, -1.0f}}) / 1.1);
    l3->bias.zero_();
  }
  return prior;
}

}  // namespace latentebm::testing
