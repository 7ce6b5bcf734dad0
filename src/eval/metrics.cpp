#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "distributed/communicator.h"

namespace latentebm {

namespace {

void check_scores(const std::vector<double>& scores, const std::vector<bool>& positive, const char* what) {
  if (scores.size() != positive.size())
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(scores.size()) + " scores but " +
                                std::to_string(positive.size()) + " labels");
  for (size_t i = 0; i < scores.size(); ++i)
    if (std::isnan(scores[i])) throw std::invalid_argument(std::string(what) + ": score " + std::to_string(i) + " is NaN");
}

// Indices sorted by score (descending when `descending`), ties in index order.
std::vector<size_t> order_by_score(const std::vector<double>& scores, bool descending) {
  std::vector<size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return descending ? scores[a] > scores[b] : scores[a] < scores[b];
  });
  return idx;
}

torch::Tensor as_double_cpu(const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64).contiguous(); }

}  // namespace

double average_precision(const std::vector<double>& scores, const std::vector<bool>& positive) {
  check_scores(scores, positive, "average_precision");
  const auto n_pos = static_cast<double>(std::count(positive.begin(), positive.end(), true));
  if (n_pos == 0) throw std::invalid_argument("average_precision: no positive (anomalous) example, AUPRC is undefined");
  const auto idx = order_by_score(scores, /*descending=*/true);
  double tp = 0, fp = 0, prev_recall = 0, ap = 0;
  for (size_t i = 0; i < idx.size();) {
    // One threshold: every example whose score equals this one.
    size_t j = i;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) {
      (positive[idx[j]] ? tp : fp) += 1;
      ++j;
    }
    const double recall = tp / n_pos, precision = tp / (tp + fp);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
    i = j;
  }
  return ap;
}

double auroc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  check_scores(scores, positive, "auroc");
  const auto n_pos = static_cast<double>(std::count(positive.begin(), positive.end(), true));
  const double n_neg = static_cast<double>(positive.size()) - n_pos;
  if (n_pos == 0 || n_neg == 0)
    throw std::invalid_argument("auroc: needs both anomalous and normal examples (got " + std::to_string(int64_t(n_pos)) +
                                " and " + std::to_string(int64_t(n_neg)) + ")");
  // Mann-Whitney U from mid-ranks: U = sum of positive ranks - P (P + 1) / 2.
  const auto idx = order_by_score(scores, /*descending=*/false);
  double rank_sum = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && scores[idx[j]] == scores[idx[i]]) ++j;
    const double mid_rank = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1 .. j
    for (size_t k = i; k < j; ++k)
      if (positive[idx[k]]) rank_sum += mid_rank;
    i = j;
  }
  return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

double frechet_distance(const torch::Tensor& mu1_, const torch::Tensor& sigma1_, const torch::Tensor& mu2_,
                        const torch::Tensor& sigma2_) {
  const auto mu1 = as_double_cpu(mu1_), mu2 = as_double_cpu(mu2_);
  auto s1 = as_double_cpu(sigma1_), s2 = as_double_cpu(sigma2_);
  const int64_t d = mu1.numel();
  if (mu1.dim() != 1 || mu2.dim() != 1 || mu2.numel() != d || s1.sizes() != torch::IntArrayRef{d, d} ||
      s2.sizes() != torch::IntArrayRef{d, d})
    throw std::invalid_argument("frechet_distance: expected mu [d] and sigma [d, d] of one dimension d for both Gaussians");
  s1 = 0.5 * (s1 + s1.t());
  s2 = 0.5 * (s2 + s2.t());
  // S1^{1/2} = V diag(sqrt(max(l, 0))) V^T
  auto [l1, v1] = torch::linalg_eigh(s1, "L");
  const auto sqrt_s1 = v1.matmul(torch::diag(l1.clamp_min(0).sqrt())).matmul(v1.t());
  auto m = sqrt_s1.matmul(s2).matmul(sqrt_s1);
  m = 0.5 * (m + m.t());
  const auto lm = torch::linalg_eigvalsh(m, "L");
  const double tr_sqrt = lm.clamp_min(0).sqrt().sum().item<double>();
  const double mean_term = (mu1 - mu2).pow(2).sum().item<double>();
  return mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2.0 * tr_sqrt;
}

GaussianStats::GaussianStats(int64_t d) : dim(d) {
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  sum = torch::zeros({d}, opt);
  outer = torch::zeros({d, d}, opt);
}

void GaussianStats::add(const torch::Tensor& features) {
  if (features.dim() != 2 || features.size(1) != dim)
    throw std::invalid_argument("GaussianStats::add: expected features [n, " + std::to_string(dim) + "], got " +
                                std::to_string(features.dim()) + "-d tensor" +
                                (features.dim() == 2 ? " [" + std::to_string(features.size(0)) + ", " +
                                                           std::to_string(features.size(1)) + "]"
                                                     : std::string()));
  const auto x = as_double_cpu(features);
  sum += x.sum(0);
  outer += x.t().matmul(x);
  count += static_cast<double>(x.size(0));
}

void GaussianStats::merge(const GaussianStats& other) {
  if (other.dim != dim) throw std::invalid_argument("GaussianStats::merge: dimensions differ");
  sum += other.sum;
  outer += other.outer;
  count += other.count;
}

void GaussianStats::allreduce(Communicator& comm, const char* what) {
  if (!comm.all_equal(dim, what))
    throw std::runtime_error(std::string(what) + ": feature dimension differs between ranks");
  auto flat = torch::cat({torch::full({1}, count, torch::kFloat64), sum.flatten(), outer.flatten()}).contiguous();
  comm.allreduce_sum(flat.data_ptr<double>(), static_cast<size_t>(flat.numel()), what);
  count = flat[0].item<double>();
  sum = flat.narrow(0, 1, dim).clone();
  outer = flat.narrow(0, 1 + dim, dim * dim).view({dim, dim}).clone();
}

torch::Tensor GaussianStats::mean() const {
  if (count < 1) throw std::runtime_error("GaussianStats: mean of zero feature vectors");
  return sum / count;
}

torch::Tensor GaussianStats::covariance() const {
  if (count < 2) throw std::runtime_error("GaussianStats: covariance needs at least 2 feature vectors, got " +
                                          std::to_string(int64_t(count)));
  const auto mu = mean();
  return (outer - count * torch::outer(mu, mu)) / (count - 1);
}

double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  return frechet_distance(a.mean(), a.covariance(), b.mean(), b.covariance());
}

double frechet_distance_features(const torch::Tensor& f1, const torch::Tensor& f2) {
  if (f1.dim() != 2 || f2.dim() != 2 || f1.size(1) != f2.size(1))
    throw std::invalid_argument("frechet_distance_features: expected two [n, d] matrices of one width d");
  GaussianStats a(f1.size(1)), b(f2.size(1));
  a.add(f1);
  b.add(f2);
  return frechet_distance(a, b);
}

}  // namespace latentebm
