#pragma once
// How much the learned prior steers posterior Langevin. The posterior drift
// (model/sampler.h's convention) is the sum of three parts:
//
//   grad_z log p(x, z) =  J_g(z)^T (x - g(z)) / sigma^2     likelihood
//                       + grad_z sum_{i<K} f_i(z)             learned ratios
//                       - z                                   base N(0, I)
//
// adaptive-ce samples posteriors under p_K (all three parts), non-adaptive
// and the Gaussian prior under N(0, I) (no ratio part), so whatever the
// ratios change in the posterior samples is all that the adaptive method's
// training signal differs by. posterior_steering measures that along the
// chain and at its end.
#include <torch/torch.h>

#include <cstdint>

#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

// Mean per-example L2 norm of each part, over the examples and the steps.
struct DriftNorms {
  double likelihood = 0, ratios = 0, base = 0;
};

struct PosteriorSteering {
  DriftNorms drift;       // along the chain under p_K
  torch::Tensor z_prior;  // end of the posterior chain under p_K            [B, nz]
  torch::Tensor z_base;   // end of the chain under N(0, I): same start, same Langevin noise
};

// Runs both chains from z0 with opt's steps and step size. LibTorch's default
// generator is seeded with `seed` before each chain, so both draw the same
// noise, and the chain under p_K is posterior_langevin's with that seed.
PosteriorSteering posterior_steering(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                     const torch::Tensor& z0, double sigma, const LangevinOptions& opt, uint64_t seed);

}  // namespace latentebm
