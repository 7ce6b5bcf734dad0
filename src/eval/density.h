#pragma once
// Normalised densities of a multi-stage prior, for studies where the target
// density is known (the mechanism study, bench/bench_mechanism.cpp).
//
//   p_k(z) = exp(sum_{i<k} f_i(z)) N(z; 0, I) / Z_k,
//   Z_k = E_{z ~ N(0, I)} exp(sum_{i<k} f_i(z))
//
// Z_k is estimated by importance sampling from any proposal r whose samples
// and log densities the caller supplies (a defensive mixture that covers both
// N(0, I) and the target keeps the estimate's variance low):
//   Z_k ~ mean_j exp(sum f(z_j)) N(z_j; 0, I) / r(z_j),  z_j ~ r
#include <torch/torch.h>

#include "model/prior.h"

namespace latentebm {

// log N(z; 0, I) per row: [n].
torch::Tensor standard_normal_log_density(const torch::Tensor& z);

// log Z_stages from proposal samples z [n, nz] and their log r(z) [n].
double log_normaliser(MultiStagePrior& prior, int64_t stages, const torch::Tensor& z, const torch::Tensor& log_r);

// Normalised log p_stages(z) per row, given log Z_stages.
torch::Tensor normalised_log_density(MultiStagePrior& prior, int64_t stages, const torch::Tensor& z, double log_z);

}  // namespace latentebm
