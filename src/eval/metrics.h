#pragma once
// Evaluation metrics: ranking metrics for anomaly scores, and the Frechet
// distance between Gaussians fitted to feature vectors (FID and friends).
//
// Ranking convention: a HIGHER score means MORE anomalous (the positive class,
// label true). Both metrics are invariant to strictly increasing transforms of
// the scores.
//
// AUPRC is average precision, step-wise over the distinct score thresholds
// (the definition of sklearn.metrics.average_precision_score):
//     AP = sum_k (R_k - R_{k-1}) * P_k
// where thresholds t_1 > t_2 > ... run over the distinct scores, P_k and R_k
// are the precision and recall of "score >= t_k", and R_0 = 0. Equal scores
// form one threshold, so tied examples enter together (no interpolation, no
// dependence on the order of ties).
//
// AUROC is the Mann-Whitney statistic: the probability that a random positive
// scores above a random negative, a tie counting 1/2:
//     AUROC = (#{s_pos > s_neg} + 0.5 * #{s_pos == s_neg}) / (P * N)
//
// Frechet distance between N(mu1, S1) and N(mu2, S2):
//     FD = ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^{1/2})
// computed in double precision with tr((S1 S2)^{1/2}) = sum_i sqrt(lambda_i)
// where lambda_i are the eigenvalues of the symmetric PSD matrix
// S1^{1/2} S2 S1^{1/2} (S1^{1/2} from a symmetric eigendecomposition).
// Eigenvalues that round-off makes slightly negative are clamped to 0.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace latentebm {

class Communicator;

// Average precision (see above). Throws if there is no positive example or the
// sizes differ; NaN scores are rejected.
double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive);
// Area under the ROC curve, Mann-Whitney with ties as 1/2. Throws if either
// class is empty.
double auroc(const std::vector<double>& scores, const std::vector<bool>& positive);

// Frechet distance between two Gaussians (any float dtype; computed in double).
// mu: [d], sigma: [d, d] symmetric positive semi-definite.
double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& sigma1, const torch::Tensor& mu2,
                        const torch::Tensor& sigma2);

// Sufficient statistics of a set of feature vectors, kept as sums so that
// shards (ranks, batches) combine by addition:
//   count, sum_i x_i [d], sum_i x_i x_i^T [d, d]    (all double)
// mean = sum / n; covariance = (sum x x^T - n mean mean^T) / (n - 1)
// (unbiased, as numpy.cov and pytorch-fid use).
struct GaussianStats {
  explicit GaussianStats(int64_t dim = 0);
  int64_t dim = 0;
  double count = 0;
  torch::Tensor sum;    // [d] float64
  torch::Tensor outer;  // [d, d] float64

  // Add the rows of `features` [n, d] (any float dtype / device).
  void add(const torch::Tensor& features);
  // Add another set of statistics of the same dimension.
  void merge(const GaussianStats& other);
  // Collective: every rank ends up with the sums over all ranks (one
  // all-reduce of 1 + d + d*d doubles). Every rank must call it with the same
  // dimension.
  void allreduce(Communicator& comm, const char* what);

  torch::Tensor mean() const;        // [d] float64; throws when count == 0
  torch::Tensor covariance() const;  // [d, d] float64; throws when count < 2
};

double frechet_distance(const GaussianStats& a, const GaussianStats& b);
// Frechet distance between Gaussians fitted to two feature matrices [n, d].
double frechet_distance_features(const torch::Tensor& features1, const torch::Tensor& features2);

}  // namespace latentebm
