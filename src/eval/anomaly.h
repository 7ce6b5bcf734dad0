#pragma once
// Anomaly scores (paper Section 5.2, docs/DESIGN.md section 4).
//
// For an image x, draw z from the posterior by short-run Langevin under the
// learned prior p_K (noise-initialised, the training settings), then
//
//     score(x) = ||x - g(z)||^2 / (2 sigma^2) - log p~_K(z)
//              = ||x - g(z)||^2 / (2 sigma^2) - sum_{i<K} f_i(z) + ||z||^2 / 2
//
// with log p~_K the unnormalised prior log-density of
// MultiStagePrior::log_density. This is -log p(x, z) up to one constant per
// model that is dropped: C = D/2 log(2 pi sigma^2) + log Z_K (D = pixels of x,
// Z_K the prior's normaliser, which includes the Gaussian's nz/2 log 2 pi).
// C is the same for every x, so rankings (AUPRC, AUROC) are unaffected.
// Higher score = less likely under the model = more anomalous.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

class Communicator;

// The score's two terms for given latents (no sampling): the reconstruction
// term ||x - g(z)||^2 / (2 sigma^2) and the prior's energy -log p~_K(z).
// x: [B, C, H, W] in [-1, 1], z: [B, nz] -> each [B].
struct EnergyTerms {
  torch::Tensor reconstruction, prior;
};
EnergyTerms joint_energy_terms(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                               const torch::Tensor& z, double sigma);
// score(x, z) = the sum of the two terms. -> [B].
torch::Tensor joint_energy(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                           const torch::Tensor& z, double sigma);

// Posterior Langevin from z0 ~ N(0, I) (LibTorch's default generator), then
// joint_energy_terms at the final z. x in [-1, 1]. Returns [B] each (detached).
EnergyTerms anomaly_score_terms(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                double sigma, const LangevinOptions& opt);

// Per image of a uint8 block (as stored in prepared datasets), in order: the
// score and its two terms (score = reconstruction + prior), in batches of
// `batch_size`, computed on `device`.
struct ImageScores {
  std::vector<double> score, reconstruction, prior;
  void append(const ImageScores& more);  // more's images after these
};
ImageScores score_image_terms(Generator& g, MultiStagePrior& prior, int64_t stages, const data::ImageSet& images,
                              double sigma, const LangevinOptions& opt, int64_t batch_size, torch::Device device);
// The scores alone.
std::vector<double> score_images(Generator& g, MultiStagePrior& prior, int64_t stages, const data::ImageSet& images,
                                 double sigma, const LangevinOptions& opt, int64_t batch_size, torch::Device device);

struct AnomalyMetrics {
  double auprc = 0;  // average precision (see eval/metrics.h), anomaly = positive
  double auroc = 0;  // Mann-Whitney, ties 1/2
  int64_t n = 0, n_anomalous = 0;
};
// AUPRC and AUROC of scores against is_anomaly labels (true = anomaly).
AnomalyMetrics anomaly_metrics(const std::vector<double>& scores, const std::vector<bool>& is_anomaly);

}  // namespace latentebm
