// Samplers checked against known answers:
//  * the generic Langevin update on a linear-Gaussian posterior, whose
//    stationary law under the unadjusted step is known in closed form;
//  * posterior_langevin == the generic sampler on the documented target;
//  * prior_langevin on N(0, I) and on a tilted prior exp(c z_0) N(0, I);
//  * sir_sample on the same tilted prior;
//  * the chains' settings read from a config, and stored uint8 images as
//    the model's input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "config.h"
#include "model/generator.h"
#include "model/inference.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace {

using namespace latentebm;

// Sample mean [d] and covariance [d, d] (unbiased) in double.
std::pair<torch::Tensor, torch::Tensor> moments(const torch::Tensor& z) {
  auto zd = z.to(torch::kFloat64);
  auto mean = zd.mean(0);
  auto c = zd - mean;
  return {mean, c.t().mm(c) / static_cast<double>(z.size(0) - 1)};
}

// Sample moments of n iid draws against a Gaussian N(mu, S), entry by entry
// in units of the Monte Carlo standard error:
//   se(mean_i) = sqrt(S_ii / n),  se(C_ij) = sqrt((S_ii S_jj + S_ij^2) / n).
// `cov_slack` (a known bound on a systematic difference) is subtracted from
// each covariance error before scaling. Returns the worst mean and covariance
// errors in standard errors.
std::pair<double, double> moment_errors(const torch::Tensor& z, const torch::Tensor& mu, const torch::Tensor& S,
                                        double cov_slack = 0.0) {
  auto [m, C] = moments(z);
  const double n = static_cast<double>(z.size(0));
  const int64_t d = mu.size(0);
  double worst_mean = 0, worst_cov = 0;
  for (int64_t i = 0; i < d; ++i) {
    const double se = std::sqrt(S[i][i].item<double>() / n);
    worst_mean = std::max(worst_mean, std::abs(m[i].item<double>() - mu[i].item<double>()) / se);
    for (int64_t j = i; j < d; ++j) {
      const double sij = S[i][j].item<double>();
      const double se_c = std::sqrt((S[i][i].item<double>() * S[j][j].item<double>() + sij * sij) / n);
      const double excess = std::max(0.0, std::abs(C[i][j].item<double>() - sij) - cov_slack);
      worst_cov = std::max(worst_cov, excess / se_c);
    }
  }
  return {worst_mean, worst_cov};
}

// A 5-sigma bound on every entry: with at most 9 entries it fails by chance
// with probability < 1e-5, and the tests are seeded, so they are deterministic.
void expect_gaussian_moments(const char* label, const torch::Tensor& z, const torch::Tensor& mu, const torch::Tensor& S,
                             double k_sigma = 5.0, double cov_slack = 0.0) {
  auto [em, ec] = moment_errors(z, mu, S, cov_slack);
  std::printf("  %-40s max |mean err| = %.2f se, max |cov err| = %.2f se\n", label, em, ec);
  EXPECT_LT(em, k_sigma) << label << ": sample mean " << moments(z).first << "\nexpected " << mu;
  EXPECT_LT(ec, k_sigma) << label << ": sample covariance " << moments(z).second << "\nexpected " << S;
}

// --- linear-Gaussian model: x = W z + b + sigma * eps, z ~ N(0, I)
struct LinearGaussian {
  torch::Tensor W, b, x;  // float64 [D, nz], [D], [D]
  double sigma = 0.5;
  int64_t nz() const { return W.size(1); }
  torch::Tensor precision() const {  // A = I + W^T W / sigma^2
    return torch::eye(nz(), torch::kFloat64) + W.t().mm(W) / (sigma * sigma);
  }
  torch::Tensor posterior_cov() const { return torch::inverse(precision()); }
  torch::Tensor posterior_mean() const { return posterior_cov().mv(W.t().mv(x - b)) / (sigma * sigma); }
  // The unadjusted Langevin chain z' = z + h grad log pi(z) + sqrt(2h) w with
  // h = delta^2 / 2 on a Gaussian pi = N(mu, A^-1) is the linear recursion
  //   z' - mu = (I - h A)(z - mu) + delta w,
  // whose stationary law (for h * lambda_max(A) < 2) is N(mu, S_h) with
  //   S_h = delta^2 [I - (I - hA)^2]^-1 = [A (I - h A / 2)]^-1.
  // The mean is exact; the covariance is inflated by 1/(1 - h lambda/2)
  // along each eigenvector of A, i.e. an O(delta^2) bias.
  torch::Tensor ula_stationary_cov(double delta) const {
    const double h = 0.5 * delta * delta;
    auto A = precision();
    return torch::inverse(A.mm(torch::eye(nz(), torch::kFloat64) - 0.5 * h * A));
  }
  // log p(z | x) + const for z [B, nz] (any float dtype): per-example [B].
  torch::Tensor log_posterior(const torch::Tensor& z) const {
    auto Wf = W.to(z.dtype()), bf = b.to(z.dtype()), xf = x.to(z.dtype());
    auto r = xf.unsqueeze(0) - z.mm(Wf.t()) - bf.unsqueeze(0);
    return -r.pow(2).sum(1) / (2 * sigma * sigma) - 0.5 * z.pow(2).sum(1);
  }
};

LinearGaussian make_linear_gaussian() {
  LinearGaussian m;
  m.W = torch::tensor({0.8, -0.3, 0.1,  //
                       0.2, 0.5, -0.6,  //
                       -0.4, 0.1, 0.3,  //
                       0.3, 0.3, 0.3,   //
                       0.0, -0.7, 0.2},
                      torch::kFloat64)
            .view({5, 3});
  m.b = torch::tensor({0.1, -0.2, 0.0, 0.3, 0.05}, torch::kFloat64);
  m.x = torch::tensor({0.9, -0.4, 0.2, 0.5, -0.6}, torch::kFloat64);
  return m;
}

TEST(Langevin, LinearGaussianPosteriorMatchesClosedForm) {
  const auto m = make_linear_gaussian();
  const auto mu = m.posterior_mean(), S = m.posterior_cov();
  auto eig = std::get<0>(torch::linalg_eigh(m.precision(), "L"));
  const double lmin = eig.min().item<double>(), lmax = eig.max().item<double>();
  const int64_t chains = 20000;
  auto target = [&](const torch::Tensor& z) { return m.log_posterior(z); };
  std::printf("  precision eigenvalues in [%.3f, %.3f]\n", lmin, lmax);

  // (a) delta = 0.1, the training step: bias factor 1/(1 - h lmax / 2) - 1 with
  // h = 0.005; lmax here is 5.6, so the covariance bias is 1.4% (asserted
  // < 2.5%), below the Monte Carlo tolerance (5 se ~ 5-7%) of 20000 chains:
  // the sample covariance matches the true posterior covariance as well as S_h.
  // Burn-in: the mean contracts by (1 - h lmin)^steps <= exp(-0.005 * 1 * 2500)
  // = 4e-6 (lmin >= 1 since A >= I); the covariance faster.
  {
    const double delta = 0.1, h = 0.005;
    const int64_t steps = 2500;
    EXPECT_LT(std::pow(1.0 - h * lmin, steps), 1e-5);
    const double bias = 1.0 / (1.0 - 0.5 * h * lmax) - 1.0;
    EXPECT_LT(bias, 0.025);
    std::printf("  delta 0.1: ULA covariance bias factor %.4f\n", bias);
    torch::manual_seed(11);
    auto z = langevin(target, torch::randn({chains, m.nz()}), {steps, delta});
    ASSERT_TRUE(torch::isfinite(z).all().item<bool>());
    expect_gaussian_moments("delta 0.1 vs ULA S_h", z, mu, m.ula_stationary_cov(delta));
    // Against the exact posterior: the systematic difference S_h - S is
    // added to the tolerance as a slack (computed, and asserted small).
    const auto Sh = m.ula_stationary_cov(delta);
    const double slack = (Sh - S).abs().max().item<double>();
    EXPECT_LT(slack, bias * S.abs().max().item<double>() * 1.01);
    expect_gaussian_moments("delta 0.1 vs exact posterior (+ slack)", z, mu, S, 5.0, slack);
  }

  // (b) delta = 0.3 (h = 0.045): the discretisation bias is now large,
  // 1/(1 - 0.045 * lmax / 2) - 1 = 14.5% along the stiff direction, i.e. ~12
  // standard errors of a variance estimated from 20000 chains. The samples must match S_h -- which pins down the step
  // convention "drift delta^2/2, noise delta" -- and must be distinguishable
  // from the exact S along that direction.
  {
    const double delta = 0.3;
    const int64_t steps = 400;  // (1 - 0.045)^400 = 1e-8
    torch::manual_seed(12);
    auto z = langevin(target, torch::randn({chains, m.nz()}), {steps, delta});
    const auto Sh = m.ula_stationary_cov(delta);
    expect_gaussian_moments("delta 0.3 vs ULA S_h", z, mu, Sh);
    // Variance along the top eigenvector v of A: exact 1/lmax, ULA 1/(lmax(1 - h lmax/2)).
    auto V = std::get<1>(torch::linalg_eigh(m.precision(), "L"));
    auto v = V.select(1, m.nz() - 1);
    auto proj = z.to(torch::kFloat64).mv(v);
    const double var = proj.var().item<double>();
    const double exact = 1.0 / lmax, ula = v.dot(Sh.mv(v)).item<double>();
    const double se = ula * std::sqrt(2.0 / chains);
    EXPECT_NEAR(var, ula, 5 * se);
    EXPECT_GT(std::abs(var - exact), 5 * se) << "ULA bias should be visible at delta = 0.3";
    std::printf("  stiff direction, delta 0.3: sample var %.5f, ULA %.5f, exact %.5f (se %.5f)\n", var, ula, exact, se);
  }
}

TEST(Langevin, MomentCheckDetectsAWrongDriftConvention) {
  // The moment check is not vacuous: a sampler whose drift were delta^2 instead
  // of delta^2 / 2 (equivalently, the right sampler on 2 log pi) has
  // stationary covariance ~S/2 and must be rejected, even with 5000 chains.
  const auto m = make_linear_gaussian();
  auto doubled = [&](const torch::Tensor& z) { return 2.0 * m.log_posterior(z); };
  torch::manual_seed(13);
  auto z = langevin(doubled, torch::randn({5000, m.nz()}), {400, 0.3});
  auto [em, ec] = moment_errors(z, m.posterior_mean(), m.ula_stationary_cov(0.3));
  std::printf("  wrong drift: max |mean err| = %.2f se, max |cov err| = %.2f se\n", em, ec);
  EXPECT_GT(ec, 10.0);
}

TEST(Langevin, ZeroStepsReturnsStartAndGradNormIsMeanGradientNorm) {
  const auto m = make_linear_gaussian();
  auto target = [&](const torch::Tensor& z) { return m.log_posterior(z); };
  auto z0 = torch::randn({7, 3});
  torch::Tensor gn;
  auto z = langevin(target, z0, {0, 0.1}, &gn);
  EXPECT_TRUE(torch::equal(z, z0));
  EXPECT_EQ(gn.item<double>(), 0.0);
  // One step: grad_norm = mean_i ||grad_z log pi(z0_i)||, grad = -A z + A mu
  // (float32 arithmetic: relative tolerance 1e-5).
  auto A = m.precision().to(torch::kFloat32), mu = m.posterior_mean().to(torch::kFloat32);
  auto grad = -(z0 - mu.unsqueeze(0)).mm(A);
  langevin(target, z0, {1, 0.1}, &gn);
  EXPECT_NEAR(gn.item<double>(), grad.norm(2, {1}).mean().item<double>(), 1e-5 * gn.item<double>());
  // Without noise contribution, the step is z0 + (delta^2/2) grad + delta w:
  // reproduce w with the same seed.
  torch::manual_seed(5);
  auto z1 = langevin(target, z0, {1, 0.1});
  torch::manual_seed(5);
  auto w = torch::randn_like(z0);
  EXPECT_TRUE(torch::allclose(z1, z0 + 0.005 * grad + 0.1 * w, 1e-5, 1e-6));
}

TEST(Langevin, PosteriorLangevinIsTheGenericSamplerOnLogJoint) {
  torch::manual_seed(21);
  const int64_t nz = 4, B = 6;
  Generator g(GeneratorKind::kMnist28, nz, 4, 1);
  MultiStagePrior prior(nz, 2, 16);
  const double sigma = 0.3;
  auto x = torch::rand({B, 1, 28, 28}) * 2 - 1;
  auto z0 = torch::randn({B, nz});
  const LangevinOptions opt{12, 0.1};

  // The documented target, written out independently of the library:
  //   log p(x, z) = -||x - g(z)||^2 / (2 sigma^2) + f_0(z) + f_1(z) - ||z||^2 / 2.
  auto log_joint = [&](const torch::Tensor& z) {
    auto rec = (x - g->forward(z)).pow(2).sum({1, 2, 3}) / (2 * sigma * sigma);
    return -rec + prior->ratio(0)->forward(z) + prior->ratio(1)->forward(z) - 0.5 * z.pow(2).sum(1);
  };
  auto g_flags_before = g->parameters()[0].requires_grad();
  torch::Tensor gn_lib, gn_ref;
  torch::manual_seed(99);
  auto z_lib = posterior_langevin(g, prior, 2, x, z0, sigma, opt, &gn_lib);
  torch::Tensor z_ref;
  {
    FreezeParameters frozen({g.get(), prior.get()});
    torch::manual_seed(99);
    z_ref = langevin(log_joint, z0, opt, &gn_ref);
  }
  // Same arithmetic up to float32 summation order inside the gradients:
  // relative 1e-5 is ~100 ulps, while a wrong sigma, stage count or drift
  // factor changes z by O(delta^2 * |grad|) ~ 1e-2 or more.
  std::printf("  posterior_langevin vs generic: max |dz| = %.3g, grad norms %.6f / %.6f\n",
              (z_lib - z_ref).abs().max().item<double>(), gn_lib.item<double>(), gn_ref.item<double>());
  // Both evaluate the same float32 operations in the same order (the library's
  // zeros + f_0 + f_1 equals f_0 + f_1 exactly), and the gradient of a sum of
  // per-example terms is the same tensor however the sum is grouped, so the
  // chains agree bit for bit (measured max |dz| = 0). A wrong sigma, stage
  // count or drift factor changes z by O(delta^2 |grad|) ~ 1e-2.
  EXPECT_TRUE(torch::equal(z_lib, z_ref)) << (z_lib - z_ref).abs().max();
  EXPECT_EQ(gn_lib.item<double>(), gn_ref.item<double>());

  // The same chain written out step by step as in docs/DESIGN.md, differentiating
  // the batch-summed log joint (the formulation before the generic sampler
  // existed): z <- z + (delta^2/2) grad + delta w. Float32 tolerance 1e-5.
  torch::Tensor z_hand = z0.clone();
  {
    FreezeParameters frozen({g.get(), prior.get()});
    torch::manual_seed(99);
    for (int64_t s = 0; s < opt.steps; ++s) {
      auto zv = z_hand.detach().requires_grad_(true);
      auto total = -(x - g->forward(zv)).pow(2).sum() / (2 * sigma * sigma) + prior->log_density(zv, 2).sum();
      auto grad = torch::autograd::grad({total}, {zv})[0];
      z_hand = (zv.detach() + 0.5 * opt.delta * opt.delta * grad + opt.delta * torch::randn_like(zv)).detach();
    }
  }
  EXPECT_TRUE(torch::allclose(z_lib, z_hand, 1e-5, 1e-5)) << (z_lib - z_hand).abs().max();
  EXPECT_GT((z_lib - z0).abs().max().item<float>(), 0.05f);

  // A different number of prior stages is a different target.
  torch::manual_seed(99);
  auto z_one = posterior_langevin(g, prior, 1, x, z0, sigma, opt);
  EXPECT_GT((z_one - z_lib).abs().max().item<float>(), 1e-4f);

  // Weights are not differentiated and their flags are restored.
  for (auto& p : g->parameters()) EXPECT_FALSE(p.grad().defined());
  for (auto& p : prior->parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_EQ(g->parameters()[0].requires_grad(), g_flags_before);
  EXPECT_TRUE(prior->parameters()[0].requires_grad());
}

// A RatioNet (Linear-LReLU(0.1)-Linear-LReLU(0.1)-Linear) set by hand to compute
// f(z) = c * z_j + bias exactly: since lrelu(a) - lrelu(-a) = 1.1 a for slope
// 0.1, two hidden units carrying +-z_j pass z_j through each layer up to a
// factor 1.1, which the output weights undo: f = c/1.21 * (u - v) with
// u - v = 1.21 z_j.
void set_linear_ratio(RatioNet& f, int64_t j, double c, double bias) {
  torch::NoGradGuard no_grad;
  auto lin = [&](size_t i) { return f->net[i]->as<torch::nn::Linear>(); };
  auto l1 = lin(0), l2 = lin(2), l3 = lin(4);
  for (auto* l : {l1, l2, l3}) {
    l->weight.zero_();
    l->bias.zero_();
  }
  l1->weight[0][j] = 1.0;
  l1->weight[1][j] = -1.0;
  l2->weight[0][0] = 1.0, l2->weight[0][1] = -1.0;
  l2->weight[1][0] = -1.0, l2->weight[1][1] = 1.0;
  l3->weight[0][0] = c / 1.21, l3->weight[0][1] = -c / 1.21;
  l3->bias[0] = bias;
}

TEST(Langevin, HandSetRatioNetIsLinear) {
  RatioNet f(3, 8);
  set_linear_ratio(f, 1, 0.7, -0.2);
  auto z = torch::randn({50, 3}) * 3;
  EXPECT_TRUE(torch::allclose(f->forward(z), 0.7 * z.select(1, 1) - 0.2, 1e-5, 1e-5));
}

TEST(Langevin, PriorLangevinWithoutStagesConvergesToStandardNormal) {
  // Target N(0, I); chains start far away at N(3, 0.5^2). delta = 0.4 (the LEBM
  // prior step): h = 0.08, stationary variance 1/(1 - h/2) = 1.0417 (ULA bias,
  // exact for a Gaussian), mean exactly 0; burn-in (1 - 0.08)^300 = 1.4e-11.
  torch::manual_seed(31);
  MultiStagePrior prior(2, 0, 8);
  const int64_t n = 40000;
  auto z = prior_langevin(prior, 0, 3.0 + 0.5 * torch::randn({n, 2}), {300, 0.4});
  const double v = 1.0 / (1.0 - 0.04);
  expect_gaussian_moments("prior, 0 stages, delta 0.4", z, torch::zeros({2}, torch::kFloat64), v * torch::eye(2, torch::kFloat64));
  // And with the test-time delta 0.1 the law is N(0, I) to within 0.25% in variance.
  torch::manual_seed(32);
  auto z2 = prior_langevin(prior, 0, 3.0 + 0.5 * torch::randn({n, 2}), {2000, 0.1});  // (1-0.005)^2000 = 4e-5
  expect_gaussian_moments("prior, 0 stages, delta 0.1", z2, torch::zeros({2}, torch::kFloat64), torch::eye(2, torch::kFloat64) / 0.9975);
}

TEST(Langevin, PriorLangevinFollowsTheTiltedPrior) {
  // One stage with f_0(z) = c z_0: p_1 ∝ exp(c z_0) N(0, I) = N(c e_0, I).
  const double c = 1.5;
  MultiStagePrior prior(2, 1, 8);
  set_linear_ratio(prior->ratio(0), 0, c, 0.3);
  torch::manual_seed(41);
  const int64_t n = 40000;
  auto z = prior_langevin(prior, 1, torch::randn({n, 2}), {300, 0.4});
  const double v = 1.0 / (1.0 - 0.04);  // ULA variance at delta = 0.4, as above
  auto mu = torch::tensor({c, 0.0}, torch::kFloat64);
  expect_gaussian_moments("prior, f_0 = 1.5 z_0, delta 0.4", z, mu, v * torch::eye(2, torch::kFloat64));
  // With stages = 0 the ratio is ignored.
  torch::manual_seed(42);
  auto z0 = prior_langevin(prior, 0, torch::randn({n, 2}), {300, 0.4});
  EXPECT_NEAR(z0.select(1, 0).mean().item<double>(), 0.0, 5 * std::sqrt(v / n));
}

TEST(Sir, ConstantRatioGivesStandardNormal) {
  // f constant: every proposal has the same weight, so SIR returns N(0, I)
  // draws exactly (one uniformly chosen proposal per output).
  MultiStagePrior prior(2, 1, 8);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : prior->ratio(0)->named_parameters()) {
      if (p.key().find("weight") != std::string::npos) p.value().zero_();
      else p.value().fill_(0.7);
    }
  }
  torch::manual_seed(51);
  auto z = sir_sample(prior, 1, 20000, 16, torch::TensorOptions().dtype(torch::kFloat32));
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{20000, 2}));
  expect_gaussian_moments("SIR, constant ratio", z, torch::zeros({2}, torch::kFloat64), torch::eye(2, torch::kFloat64));
}

TEST(Sir, TiltedPriorGivesShiftedNormal) {
  // f_0(z) = c z_0 with c = 1: target exp(z_0) N(0, I) = N(e_0, I).
  // Self-normalised importance resampling with M proposals is biased by O(1/M):
  // to first order E[z_0] = c - E[w^2 (z_0 - c)] / (M E[w]^2) = c - c e^{c^2} / M
  // (w = e^{c z_0}); for c = 1, M = 500 that is -0.0054. The Monte Carlo
  // standard error of the mean of n = 4000 outputs with unit variance is 0.016,
  // so the tolerance is 5 se + |bias| = 0.085. Picking uniformly (ignoring the
  // weights) would give 0, picking by exp(-f) would give -1.
  const double c = 1.0;
  const int64_t n = 4000, M = 500;
  MultiStagePrior prior(2, 1, 8);
  set_linear_ratio(prior->ratio(0), 0, c, -3.0);  // the constant must not matter
  torch::manual_seed(52);
  auto z = sir_sample(prior, 1, n, M, torch::TensorOptions().dtype(torch::kFloat32));
  auto [m, C] = moments(z);
  const double bias = c * std::exp(c * c) / M, se = 1.0 / std::sqrt(static_cast<double>(n));
  std::printf("  SIR tilted: mean z0 %.4f (target %.1f, first-order SIR bias %.4f), var z0 %.4f\n",
              m[0].item<double>(), c, -bias, C[0][0].item<double>());
  EXPECT_NEAR(m[0].item<double>(), c - bias, 5 * se + bias);
  EXPECT_NEAR(m[1].item<double>(), 0.0, 5 * se);
  // Variances: target 1; se of a sample variance sqrt(2/n) = 0.022, and the
  // finite-M SIR law is slightly narrower (O(1/M) again): 5 se + 0.02.
  EXPECT_NEAR(C[0][0].item<double>(), 1.0, 5 * std::sqrt(2.0 / n) + 0.02);
  EXPECT_NEAR(C[1][1].item<double>(), 1.0, 5 * std::sqrt(2.0 / n));
  // stages = 0: plain N(0, I) proposals.
  torch::manual_seed(53);
  auto z0 = sir_sample(prior, 0, n, M, torch::TensorOptions().dtype(torch::kFloat32));
  EXPECT_NEAR(z0.select(1, 0).mean().item<double>(), 0.0, 5 * se);
}

// posterior_langevin_options / prior_langevin_options read the train.*
// keys they are documented to read, and nothing else.
TEST(LangevinOptions, BuiltFromTheConfigsTrainingChains) {
  Config c;
  apply_overrides(c, {"train.langevin_steps=17", "train.langevin_delta=0.03", "train.prior_langevin_steps=41",
                      "train.prior_langevin_delta=0.7", "sample.steps=99", "sample.delta=0.9"});
  const LangevinOptions post = posterior_langevin_options(c), prior = prior_langevin_options(c);
  EXPECT_EQ(post.steps, 17);
  EXPECT_DOUBLE_EQ(post.delta, 0.03);
  EXPECT_EQ(prior.steps, 41);
  EXPECT_DOUBLE_EQ(prior.delta, 0.7);
}

// Stored pixels 0..255 -> [-1, 1]: 0 -> -1, 255 -> 1, 127.5 would be 0
// (k -> k / 127.5 - 1); the layout N x C x H x W is kept, a row range is
// the rows asked for, and the tensor owns its memory.
struct Images {
  int64_t n = 2, c = 1, h = 2, w = 3;
  std::vector<uint8_t> pixels{0, 255, 51, 102, 204, 153, 255, 0, 1, 2, 3, 4};
};
TEST(ModelImages, MapsStoredBytesToTheUnitRange) {
  Images set;
  const auto x = model_images(set);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{2, 1, 2, 3}));
  EXPECT_EQ(x.dtype(), torch::kFloat32);
  EXPECT_FLOAT_EQ(x[0][0][0][0].item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(x[0][0][0][1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(x[0][0][0][2].item<float>(), 51 / 127.5f - 1);  // -0.6
  EXPECT_FLOAT_EQ(x[0][0][1][1].item<float>(), 204 / 127.5f - 1);  // 0.6
  const auto second = model_images(set, 1, 1);
  ASSERT_EQ(second.sizes(), (std::vector<int64_t>{1, 1, 2, 3}));
  EXPECT_FLOAT_EQ(second[0][0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(second[0][0][0][1].item<float>(), -1.0f);
  set.pixels.assign(set.pixels.size(), 7);  // the tensors keep their own copy
  EXPECT_FLOAT_EQ(x[0][0][0][0].item<float>(), -1.0f);
  // to_bytes inverts it.
  EXPECT_EQ(to_bytes(x), (std::vector<uint8_t>{0, 255, 51, 102, 204, 153, 255, 0, 1, 2, 3, 4}));
}

}  // namespace
