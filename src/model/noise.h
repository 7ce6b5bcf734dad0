#pragma once
// The noise ("prior") samples the NCE of stage k trains against, and how far
// they are from the distribution they stand in for, p_k.
//
//   stage 0                  exact N(0, I) draws (p_0 = N(0, I))
//   persistent               rows of the bank snapshot: posterior samples of
//                            stage k-1 (q_{k-1}), right when p_k = q_{k-1}
//   langevin                 short-run prior Langevin on p_k from N(0, I)
//   persistent-langevin      bank rows moved by M steps of prior Langevin on
//                            p_k: the bank's warm start, its bias toward
//                            q_{k-1} corrected toward p_k
//   importance               sampling-importance-resampling: P proposals from
//                            N(0, I) per sample, one kept with probability
//                            proportional to exp(f_0 + ... + f_{k-1}) =
//                            p_k / p_0. These are the importance weights
//                            exp(f_{k-1}) = p_k / p_{k-1}, applied stage after
//                            stage from exact draws of p_0; they would not fit
//                            bank rows, which are samples of q_{k-1}, not of
//                            p_{k-1}. Exact as P -> infinity; with finite P it
//                            is biased toward N(0, I) by as much as the weights
//                            are uneven (effective sample size, below).
//
// Diagnostics compare a batch of noise with reference samples of p_k drawn
// once per stage by long-run prior Langevin (p_k is frozen during stage k):
// squared MMD with a Gaussian kernel (median-distance bandwidth) and the mean
// unnormalised log p_k on each. The reference also records how uneven the
// importance weights p_k / p_0 are on N(0, I) draws (effective sample size).
#include <torch/torch.h>

#include "method.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

struct NoiseOptions {
  NoiseSource source = NoiseSource::kPersistent;
  LangevinOptions langevin{60, 0.4};  // kLangevin: steps and delta from N(0, I)
  int64_t bank_steps = 20;            // kPersistentLangevin: M (at langevin.delta)
  int64_t proposals = 100;            // kImportance: P proposals per sample
};

// Whether `source` reads rows of the bank snapshot (stages k >= 1).
bool uses_bank_draw(NoiseSource source);

// `count` noise samples for stage `stage` of `prior` (whose p_stage uses
// f_0..f_{stage-1}). `bank_draw` ([count, nz], rows of the bank snapshot) is
// read by the persistent sources and ignored otherwise; pass an undefined
// tensor when the source does not need it.
torch::Tensor stage_noise(MultiStagePrior& prior, int64_t stage, const NoiseOptions& opt, int64_t count,
                          const torch::Tensor& bank_draw, const torch::TensorOptions& options);

// Reference samples of p_stage: exact for stage 0, otherwise `steps` of prior
// Langevin at `delta` from N(0, I).
struct NoiseReference {
  int64_t stage = -1;
  torch::Tensor z;          // [n, nz]
  double bandwidth = 1.0;   // median pairwise distance of z
  torch::Tensor log_p;      // [n] unnormalised log p_stage(z)
  // importance_ess_fraction of the weights p_stage / p_0 on the N(0, I)
  // draws the Langevin chains started from (1 for stage 0).
  double importance_ess = 1.0;
};
NoiseReference draw_noise_reference(MultiStagePrior& prior, int64_t stage, int64_t n, const LangevinOptions& opt,
                                    const torch::TensorOptions& options);

// Squared maximum mean discrepancy between samples x [n, d] and y [m, d]
// with the kernel exp(-|a - b|^2 / (2 h^2)) (biased V-statistic; 0 when the
// two sets are equal, about (1/n + 1/m) times the kernel's spread for two
// samples of one distribution). 0-dim tensor.
torch::Tensor mmd2(const torch::Tensor& x, const torch::Tensor& y, double h);

// Effective sample size of the importance weights w = p_stage / p_0 =
// exp(f_0 + ... + f_{stage-1}) on z [n, nz] (draws of N(0, I)), as a fraction
// of n: (sum w)^2 / (n sum w^2), in (0, 1]. Its expectation is about
// 1 / E_{p_0}[w^2 / E[w]^2]; 1 means p_stage = p_0, and 1/P or less means
// P proposals per sample leave importance noise mostly N(0, I).
double importance_ess_fraction(MultiStagePrior& prior, int64_t stage, const torch::Tensor& z);

// Median of the pairwise distances of z (the kernel bandwidth heuristic).
double median_distance(const torch::Tensor& z);

}  // namespace latentebm
