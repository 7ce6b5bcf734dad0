// Noise sources of stage k (model/noise.h) on the linear-Gaussian case, and
// the MMD and importance-ESS diagnostics against their closed forms.
//
// With f_0(z) = w.z the prior p_1(z) ~ exp(w.z - |z|^2/2) is N(w, I), and the
// Langevin step z' = z + h (w - z) + delta xi (h = delta^2 / 2) keeps a
// Gaussian Gaussian: per coordinate the mean and variance follow
//   m' = (1 - h) m + h w,   v' = (1 - h)^2 v + delta^2,
// so every noise source has an exactly known mean and variance after any
// number of steps (short-run bias included).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "model/noise.h"
#include "support/linear_prior.h"

using namespace latentebm;

namespace {

constexpr int64_t kNz = 4;

MultiStagePrior linear_prior(const torch::Tensor& w) { return latentebm::testing::linear_prior(w, {1.0}); }

struct Moments {
  double m, v;
};
Moments ula(Moments start, double w, double delta, int64_t steps) {
  const double h = delta * delta / 2;
  for (int64_t s = 0; s < steps; ++s) start = {(1 - h) * start.m + h * w, (1 - h) * (1 - h) * start.v + delta * delta};
  return start;
}

// Sample mean and covariance must match (mean, var * I) coordinate by
// coordinate; with n >= 10000 the standard errors are at most 0.01 (means)
// and 1.5 % (variances), so the tolerances are about 3 standard errors.
void expect_gaussian(const torch::Tensor& z, const std::vector<Moments>& want, const std::string& what) {
  auto zd = z.to(torch::kFloat64);
  auto mean = zd.mean(0);
  auto centered = zd - mean;
  auto cov = centered.t().mm(centered) / static_cast<double>(z.size(0) - 1);
  for (int64_t i = 0; i < kNz; ++i) {
    EXPECT_NEAR(mean[i].item<double>(), want[i].m, 0.03) << what << " mean, coordinate " << i;
    EXPECT_NEAR(cov[i][i].item<double>(), want[i].v, 0.05 * want[i].v) << what << " variance, coordinate " << i;
    for (int64_t j = 0; j < i; ++j) EXPECT_NEAR(cov[i][j].item<double>(), 0.0, 0.03) << what << " covariance " << i << "," << j;
  }
}

const auto kF32 = torch::TensorOptions().dtype(torch::kFloat32);

}  // namespace

TEST(Noise, LinearPriorIsExactlyTheStatedFunction) {
  auto w = torch::tensor({1.5f, -1.0f, 0.5f, 0.0f});
  auto prior = linear_prior(w);
  auto z = torch::randn({16, kNz});
  EXPECT_TRUE(torch::allclose(prior->ratio(0)->forward(z), z.mv(w), 1e-5, 1e-5));
}

TEST(Noise, EverySourceHasTheMomentsOfItsLangevinRecursion) {
  torch::manual_seed(3);
  const std::vector<double> w = {1.5, -1.0, 0.5, 0.0};
  auto prior = linear_prior(torch::tensor({1.5f, -1.0f, 0.5f, 0.0f}));
  const int64_t n = 20000;
  const double delta = 0.4;
  NoiseOptions opt;
  opt.langevin = {60, delta};
  opt.bank_steps = 20;
  // A bank that is not p_1: N(-1, 0.25 I), like q_{k-1} far from p_k.
  auto bank = torch::randn({n, kNz}) * 0.5 - 1.0;

  // Stage 0: exact N(0, I), whatever the source.
  opt.source = NoiseSource::kPersistent;
  expect_gaussian(stage_noise(prior, 0, opt, n, bank, kF32), std::vector<Moments>(kNz, {0.0, 1.0}), "stage 0");

  // persistent: the bank rows themselves.
  EXPECT_TRUE(torch::equal(stage_noise(prior, 1, opt, n, bank, kF32), bank));

  // langevin: 60 steps from N(0, I) toward N(w, I).
  opt.source = NoiseSource::kLangevin;
  std::vector<Moments> want;
  for (double wi : w) want.push_back(ula({0.0, 1.0}, wi, delta, 60));
  expect_gaussian(stage_noise(prior, 1, opt, n, torch::Tensor(), kF32), want, "langevin");

  // persistent-langevin: M = 20 steps from the bank's N(-1, 0.25).
  opt.source = NoiseSource::kPersistentLangevin;
  want.clear();
  for (double wi : w) want.push_back(ula({-1.0, 0.25}, wi, delta, 20));
  expect_gaussian(stage_noise(prior, 1, opt, n, bank, kF32), want, "persistent-langevin M=20");
  // ... and, run long, it reaches p_1 = N(w, I) (up to the step's own bias,
  // stationary variance 1 / (1 - h / 2)).
  opt.bank_steps = 150;  // (1 - h)^150 < 1e-5: the start is forgotten
  want.clear();
  for (double wi : w) want.push_back({wi, 1.0 / (1.0 - delta * delta / 4)});
  expect_gaussian(stage_noise(prior, 1, opt, n, bank, kF32), want, "persistent-langevin M=150");
}

// importance: P proposals from N(0, I), one kept with probability
// proportional to exp(w.z). Exact as P -> infinity (p_1 = N(w, I)); with
// |w|^2 = 0.56 the weights' second moment is e^0.56 = 1.75 times the squared
// first, so P = 200 leaves a bias of about (e^0.56 - 1) |w| / P < 0.003,
// far inside the tolerance. P = 1 keeps every draw: N(0, I) exactly. Uneven
// weights (|w|^2 = 9, P = 20: an expected effective sample of 0.002 draws)
// leave the noise near N(0, I), the failure the ESS diagnostic reports.
TEST(Noise, ImportanceNoiseResamplesNormalDrawsTowardTheStagePrior) {
  torch::manual_seed(5);
  const std::vector<double> w = {0.6, -0.4, 0.2, 0.0};
  auto prior = linear_prior(torch::tensor({0.6f, -0.4f, 0.2f, 0.0f}));
  const int64_t n = 10000;
  NoiseOptions opt;
  opt.source = NoiseSource::kImportance;
  EXPECT_FALSE(uses_bank_draw(opt.source));
  EXPECT_TRUE(uses_bank_draw(NoiseSource::kPersistent));
  EXPECT_TRUE(uses_bank_draw(NoiseSource::kPersistentLangevin));
  EXPECT_FALSE(uses_bank_draw(NoiseSource::kLangevin));

  opt.proposals = 200;
  std::vector<Moments> want;
  for (double wi : w) want.push_back({wi, 1.0});
  expect_gaussian(stage_noise(prior, 1, opt, n, torch::Tensor(), kF32), want, "importance P=200");

  opt.proposals = 1;
  expect_gaussian(stage_noise(prior, 1, opt, n, torch::Tensor(), kF32), std::vector<Moments>(kNz, {0.0, 1.0}),
                  "importance P=1");

  auto far = linear_prior(torch::tensor({3.0f, 0.0f, 0.0f, 0.0f}));
  opt.proposals = 20;
  const double m = stage_noise(far, 1, opt, n, torch::Tensor(), kF32).select(1, 0).mean().item<double>();
  EXPECT_GT(m, 0.5) << "the weights still pull toward p_1 = N(3 e_1, I)";
  EXPECT_LT(m, 2.5) << "20 proposals cannot reach p_1 = N(3 e_1, I) from N(0, I)";
}

// For f_0(z) = w.z the weights exp(w.z) on N(0, I) draws have
// E[w]^2 / E[w^2] = exp(-|w|^2): the ESS fraction's large-sample value.
TEST(Noise, ImportanceEssOfALinearPriorIsExpOfMinusNormSquared) {
  torch::manual_seed(6);
  auto prior = linear_prior(torch::tensor({0.6f, -0.4f, 0.2f, 0.0f}));
  auto z = torch::randn({400000, kNz});
  EXPECT_NEAR(importance_ess_fraction(prior, 1, z), std::exp(-0.56), 0.01);
  EXPECT_DOUBLE_EQ(importance_ess_fraction(prior, 0, z), 1.0);  // p_0 / p_0 = 1
  // The reference records it for its own N(0, I) starting draws (its first
  // draws from the generator).
  torch::manual_seed(7);
  const auto r = draw_noise_reference(prior, 1, 2000, {10, 0.3}, kF32);
  torch::manual_seed(7);
  EXPECT_DOUBLE_EQ(r.importance_ess, importance_ess_fraction(prior, 1, torch::randn({2000, kNz})));
  EXPECT_NEAR(r.importance_ess, std::exp(-0.56), 0.2);
}

TEST(Noise, ReferenceSamplesOfTheStagePrior) {
  torch::manual_seed(4);
  auto prior = linear_prior(torch::tensor({1.0f, 0.0f, -2.0f, 0.5f}));
  const auto r = draw_noise_reference(prior, 1, 10000, {300, 0.3}, kF32);
  std::vector<Moments> want;
  for (double wi : {1.0, 0.0, -2.0, 0.5}) want.push_back({wi, 1.0 / (1.0 - 0.3 * 0.3 / 4)});
  expect_gaussian(r.z, want, "reference of p_1");
  EXPECT_EQ(r.stage, 1);
  EXPECT_TRUE(torch::allclose(r.log_p, prior->log_density(r.z, 1)));
  // Stage 0's reference is N(0, I) itself.
  expect_gaussian(draw_noise_reference(prior, 0, 10000, {300, 0.3}, kF32).z, std::vector<Moments>(kNz, {0.0, 1.0}), "p_0");
}

TEST(Noise, MmdMatchesItsClosedFormForTwoGaussians) {
  // x ~ N(0, s^2 I), y ~ N(mu, s^2 I) in d dims, kernel exp(-|a-b|^2 / (2 h^2)):
  //   E k(a, b) = (h^2 / (h^2 + 2 s^2))^(d/2) exp(-|mean_a - mean_b|^2 / (2 (h^2 + 2 s^2)))
  //   MMD^2 = 2 c - 2 c exp(-|mu|^2 / (2 (h^2 + 2 s^2))),  c = (h^2 / (h^2 + 2 s^2))^(d/2)
  torch::manual_seed(5);
  const int64_t n = 3000, d = 3;
  const double s = 1.0, h = 2.0;
  auto x = torch::randn({n, d}, torch::kFloat64) * s;
  auto mu = torch::tensor({1.0, -0.5, 0.0}, torch::kFloat64);
  auto y = torch::randn({n, d}, torch::kFloat64) * s + mu;
  const double c = std::pow(h * h / (h * h + 2 * s * s), d / 2.0);
  const double want = 2 * c - 2 * c * std::exp(-mu.pow(2).sum().item<double>() / (2 * (h * h + 2 * s * s)));
  EXPECT_NEAR(mmd2(x, y, h).item<double>(), want, 0.01);
  // Two samples of one distribution: near 0 (the V-statistic's bias is O(1/n)).
  EXPECT_NEAR(mmd2(x, torch::randn({n, d}, torch::kFloat64) * s, h).item<double>(), 0.0, 0.005);
  EXPECT_DOUBLE_EQ(mmd2(x, x, h).item<double>(), 0.0);
  // The median heuristic of N(0, I) in 3-d: median of |a - b| for a, b iid
  // is sqrt(2) times the median of a chi(3) variable, 1.5382 -> 2.1754.
  EXPECT_NEAR(median_distance(x.narrow(0, 0, 1500)), 2.1754, 0.06);
}
