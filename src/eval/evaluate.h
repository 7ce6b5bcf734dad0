#pragma once
// The evaluation protocols of docs/DESIGN.md section 4, distributed over ranks:
// every rank handles its share of the test set and of the generated samples,
// and everything that is reduced is a sum (image counts, error sums, feature
// statistics), so `latentebm eval` gives the same numbers on any rank count.
//
// Rank-count independence: work is cut into global batches of `batch_size`
// (batch b = items [b*B, (b+1)*B)); each rank takes a contiguous run of whole
// batches, and LibTorch's generator is reseeded from (seed, stream, b) before
// batch b. The random draws of an item therefore do not depend on how many
// ranks there are; only the floating-point summation order does.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "config.h"
#include "distributed/gather.h"
#include "eval/feature_net.h"
#include "eval/metrics.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

class Communicator;

// Reconstruction error (docs/DESIGN.md section 4): z by posterior Langevin under
// p_stages (noise-initialised, training settings), then the per-pixel mean of
// (g(z) - x)^2 on [-1, 1] for each image. Returns the SUM over the images of x
// of those per-image means (divide by the image count for the MSE).
double reconstruction_error_sum(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                double sigma, const LangevinOptions& opt);

struct MseResult {
  double sum = 0;      // sum of per-image MSEs
  int64_t images = 0;
  double mean() const { return images > 0 ? sum / static_cast<double>(images) : 0.0; }
  // With a feature classifier: its feature statistics (over all ranks) of the
  // reconstructions g(z) and of the images x themselves. The FD of the first
  // is what prior samples would score if the prior matched the aggregate
  // posterior of these images; that of the second is the floor this many
  // real images reach. Empty (dim 0) without a classifier.
  GaussianStats reconstruction_features, image_features;
};
// Collective: the reconstruction MSE over `limit` images (0 = all; the
// rows of data::split_rows, a uniform random subset) of a split of a prepared dataset, each rank reading only its batches; with
// `classifier` (given on every rank or on none) also the feature statistics
// above. The classifier draws no random numbers, so the MSE is the same either way.
MseResult reconstruction_mse(Communicator& comm, Generator& g, MultiStagePrior& prior, int64_t stages,
                             const std::string& data_path, const std::string& split, int64_t limit, double sigma,
                             const LangevinOptions& opt, int64_t batch_size, uint64_t seed, torch::Device device,
                             FeatureClassifier* classifier = nullptr);

struct ParameterCounts {
  int64_t generator = 0, prior = 0;
  std::vector<int64_t> prior_per_stage;
};
ParameterCounts count_parameters(Generator& g, MultiStagePrior& prior);

struct EvalOptions {
  int64_t samples = 1000;      // generated images for FD-classifier (and FID)
  int64_t batch_size = 100;
  uint64_t seed = 1;
  int64_t prior_stages = -1;   // -1: every stage of the model
  int64_t test_limit = -1;     // -1: the run's data.test_limit; 0: the whole test split; N: a uniform N (data::test_subset)
  std::string fid_model;       // TorchScript feature extractor; empty: no FID
  int64_t fid_reference_limit = 0;  // >0: FID reference statistics from the first N examples of data::train_order
  std::string classifier_path;      // feature-classifier cache; empty: default_classifier_path(data)
  FeatureNetOptions classifier;
  bool fd_classifier = true;
};

// Collective: every metric of `latentebm eval` for a loaded model, as JSON
// (identical on every rank). `cfg` is the run's config (data path, sigma,
// Langevin and sampler settings).
nlohmann::json evaluate_model(Communicator& comm, const Config& cfg, Generator& g, MultiStagePrior& prior,
                              torch::Device device, const EvalOptions& opt);

}  // namespace latentebm
