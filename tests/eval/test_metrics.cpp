// AUPRC / AUROC against hand-computed cases (ties included), the Frechet
// distance against closed forms, and the sum-based Gaussian statistics.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "eval/metrics.h"

using namespace latentebm;

TEST(Ranking, NoTies) {
  // scores 0.9 0.8 0.7 0.6 0.5, labels 1 0 1 0 0 (P = 2, N = 3).
  // Thresholds from the top (precision P_k, recall R_k of "score >= t"):
  //   0.9: TP 1 FP 0 -> P 1,   R 1/2   adds (1/2 - 0) * 1     = 1/2
  //   0.8: TP 1 FP 1 -> P 1/2, R 1/2   adds 0
  //   0.7: TP 2 FP 1 -> P 2/3, R 1     adds (1 - 1/2) * 2/3   = 1/3
  //   0.6, 0.5: recall stays 1, add 0            AP = 5/6
  // AUROC: positive 0.9 beats all 3 negatives, 0.7 beats 0.6 and 0.5 -> 5 of 6 pairs.
  const std::vector<double> s = {0.9, 0.8, 0.7, 0.6, 0.5};
  const std::vector<bool> y = {true, false, true, false, false};
  EXPECT_NEAR(average_precision(s, y), 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(auroc(s, y), 5.0 / 6.0, 1e-12);
}

TEST(Ranking, TiesAreGroupedNotOrdered) {
  // scores 0.8 0.8 0.5 0.5 0.2, labels 1 0 1 0 1 (P = 3, N = 2).
  //   t = 0.8: both 0.8s enter together: TP 1 FP 1 -> P 1/2, R 1/3   adds 1/3 * 1/2 = 1/6
  //   t = 0.5: TP 2 FP 2 -> P 1/2, R 2/3                              adds 1/3 * 1/2 = 1/6
  //   t = 0.2: TP 3 FP 2 -> P 3/5, R 1                                adds 1/3 * 3/5 = 1/5
  //   AP = 1/6 + 1/6 + 1/5 = 8/15 (sklearn's average_precision_score gives the same)
  // AUROC over the 6 (pos, neg) pairs: (0.8,0.8) 1/2, (0.8,0.5) 1, (0.5,0.8) 0,
  //   (0.5,0.5) 1/2, (0.2,0.8) 0, (0.2,0.5) 0 -> 2 / 6 = 1/3
  std::vector<double> s = {0.8, 0.8, 0.5, 0.5, 0.2};
  std::vector<bool> y = {true, false, true, false, true};
  EXPECT_NEAR(average_precision(s, y), 8.0 / 15.0, 1e-12);
  EXPECT_NEAR(auroc(s, y), 1.0 / 3.0, 1e-12);
  // Reordering inside tie groups (and overall) changes nothing.
  s = {0.2, 0.5, 0.5, 0.8, 0.8};
  y = {true, false, true, false, true};
  EXPECT_NEAR(average_precision(s, y), 8.0 / 15.0, 1e-12);
  EXPECT_NEAR(auroc(s, y), 1.0 / 3.0, 1e-12);
}

TEST(Ranking, AllTied) {
  // One threshold holding everything: P = 1/4 at R = 1 -> AP 1/4; AUROC 1/2.
  const std::vector<double> s = {3, 3, 3, 3};
  const std::vector<bool> y = {false, true, false, false};
  EXPECT_NEAR(average_precision(s, y), 0.25, 1e-12);
  EXPECT_NEAR(auroc(s, y), 0.5, 1e-12);
}

TEST(Ranking, PerfectAndInvariantToMonotoneMaps) {
  const std::vector<double> s = {-3, 10, 2, 7};
  const std::vector<bool> y = {false, true, false, true};
  EXPECT_DOUBLE_EQ(average_precision(s, y), 1.0);
  EXPECT_DOUBLE_EQ(auroc(s, y), 1.0);
  std::vector<double> e;
  for (double v : s) e.push_back(std::exp(v));
  EXPECT_DOUBLE_EQ(average_precision(e, y), 1.0);
  // Reversed ranking: AUROC 0; AP = (1/2)(1/3) + (1/2)(2/4) = 5/12.
  std::vector<double> r;
  for (double v : s) r.push_back(-v);
  EXPECT_DOUBLE_EQ(auroc(r, y), 0.0);
  EXPECT_NEAR(average_precision(r, y), 5.0 / 12.0, 1e-12);
}

TEST(Ranking, RejectsDegenerateInput) {
  EXPECT_THROW(average_precision({1, 2}, {false, false}), std::invalid_argument);
  EXPECT_THROW(auroc({1, 2}, {true, true}), std::invalid_argument);
  EXPECT_THROW(auroc({1, 2, 3}, {true, false}), std::invalid_argument);
  EXPECT_THROW(average_precision({1, NAN}, {true, false}), std::invalid_argument);
}

namespace {
torch::Tensor rotation3(double a, double b) {
  // Rotation about z by a, then about x by b.
  auto rz = torch::tensor({{std::cos(a), -std::sin(a), 0.0}, {std::sin(a), std::cos(a), 0.0}, {0.0, 0.0, 1.0}}, torch::kFloat64);
  auto rx = torch::tensor({{1.0, 0.0, 0.0}, {0.0, std::cos(b), -std::sin(b)}, {0.0, std::sin(b), std::cos(b)}}, torch::kFloat64);
  return rx.matmul(rz);
}
}  // namespace

TEST(Frechet, DiagonalClosedForm) {
  // FD = ||mu1 - mu2||^2 + sum_i (s1_i + s2_i - 2 sqrt(s1_i s2_i))
  //    = (1 + 4 + 0) + (1 + 4 - 4) + (4 + 1 - 4) + (9 + 9 - 18) = 7
  auto mu1 = torch::tensor({0.0, 0.0, 0.0}, torch::kFloat64), mu2 = torch::tensor({1.0, 2.0, 0.0}, torch::kFloat64);
  auto s1 = torch::diag(torch::tensor({1.0, 4.0, 9.0}, torch::kFloat64));
  auto s2 = torch::diag(torch::tensor({4.0, 1.0, 9.0}, torch::kFloat64));
  EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), 7.0, 1e-10);
  EXPECT_NEAR(frechet_distance(mu1, s1, mu1, s1), 0.0, 1e-10);
  // A common rotation of both Gaussians (non-diagonal covariances) keeps it.
  auto r = rotation3(0.7, -1.1);
  EXPECT_NEAR(frechet_distance(r.matmul(mu1), r.matmul(s1).matmul(r.t()), r.matmul(mu2), r.matmul(s2).matmul(r.t())),
              7.0, 1e-9);
  // float32 inputs are promoted to double.
  EXPECT_NEAR(frechet_distance(mu1.to(torch::kFloat32), s1.to(torch::kFloat32), mu2.to(torch::kFloat32),
                               s2.to(torch::kFloat32)),
              7.0, 1e-5);
}

TEST(Frechet, NonCommutingTwoByTwo) {
  // For 2x2 PSD S1, S2: tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2))
  // (eigenvalues l1, l2 >= 0 of S1 S2: (sqrt l1 + sqrt l2)^2 = l1 + l2 + 2 sqrt(l1 l2)).
  const double th = 0.5;
  auto r = torch::tensor({{std::cos(th), -std::sin(th)}, {std::sin(th), std::cos(th)}}, torch::kFloat64);
  auto s1 = torch::diag(torch::tensor({1.0, 4.0}, torch::kFloat64));
  auto s2 = r.matmul(torch::diag(torch::tensor({2.0, 0.5}, torch::kFloat64))).matmul(r.t());
  auto mu1 = torch::tensor({0.5, -1.0}, torch::kFloat64), mu2 = torch::tensor({0.0, 1.0}, torch::kFloat64);
  const double det1 = 4.0, det2 = 1.0;
  const double tr12 = s1.matmul(s2).trace().item<double>();
  const double expected = 0.25 + 4.0 + 5.0 + 2.5 - 2.0 * std::sqrt(tr12 + 2.0 * std::sqrt(det1 * det2));
  EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-10);
  // Symmetric in its arguments.
  EXPECT_NEAR(frechet_distance(mu2, s2, mu1, s1), expected, 1e-10);
  // A singular covariance (rank 1) is fine: tiny negative eigenvalues are clamped.
  auto s3 = torch::tensor({{1.0, 1.0}, {1.0, 1.0}}, torch::kFloat64);
  EXPECT_NEAR(frechet_distance(mu1, s3, mu1, s3), 0.0, 1e-7);
}

TEST(Frechet, FromSamplesConvergesToClosedForm) {
  // Same Gaussians as DiagonalClosedForm, rotated (FD = 7), sampled.
  torch::manual_seed(3);
  auto r = rotation3(0.3, 0.9);
  auto mu1 = torch::tensor({0.0, 0.0, 0.0}, torch::kFloat64), mu2 = torch::tensor({1.0, 2.0, 0.0}, torch::kFloat64);
  auto sd1 = torch::tensor({1.0, 2.0, 3.0}, torch::kFloat64), sd2 = torch::tensor({2.0, 1.0, 3.0}, torch::kFloat64);
  auto draw = [&](const torch::Tensor& mu, const torch::Tensor& sd, int64_t n) {
    // x = R (mu + sd * w): mean R mu, covariance R diag(sd^2) R^T
    return (mu + sd * torch::randn({n, 3}, torch::kFloat64)).matmul(r.t());
  };
  double previous_error = 1e9;
  for (int64_t n : {1000, 200000}) {
    const double fd = frechet_distance_features(draw(mu1, sd1, n), draw(mu2, sd2, n));
    const double err = std::abs(fd - 7.0);
    EXPECT_LT(err, n == 1000 ? 1.5 : 0.1) << "n = " << n << " fd = " << fd;
    previous_error = std::min(previous_error, err);
  }
  EXPECT_LT(previous_error, 0.1);
}

TEST(GaussianStats, SumsMergeAndMatchDirectCovariance) {
  torch::manual_seed(5);
  auto x = torch::randn({50, 4}, torch::kFloat64) * 3 + 10;  // far from 0: exercises the sum formula
  GaussianStats all(4), a(4), b(4);
  all.add(x);
  a.add(x.narrow(0, 0, 17));
  b.add(x.narrow(0, 17, 33));
  a.merge(b);
  EXPECT_DOUBLE_EQ(a.count, 50);
  EXPECT_TRUE(torch::allclose(a.mean(), all.mean(), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(a.covariance(), all.covariance(), 1e-9, 1e-9));
  auto centred = x - x.mean(0);
  auto direct = centred.t().matmul(centred) / 49.0;
  EXPECT_TRUE(torch::allclose(all.covariance(), direct, 1e-9, 1e-9));
  EXPECT_THROW(GaussianStats(4).covariance(), std::runtime_error);
  EXPECT_THROW(all.add(torch::zeros({2, 3})), std::invalid_argument);
}
