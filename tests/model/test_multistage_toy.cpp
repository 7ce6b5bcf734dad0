// Adaptive multi-stage NCE on a 2-D toy whose target is far from N(0, I).
//
// q (standing in for the aggregated posterior) is a narrow ring:
//   z = r (cos a, sin a),  a ~ U(0, 2 pi),  r ~ N(R, w^2),
// with density q(z) = N(|z|; R, w^2) / (2 pi |z|). Its samples are drawn
// directly (no generator). The prior p_K(z) ∝ exp(sum_{i<K} f_i(z)) N(0, I) is
// fitted by K stages of NCE with the same total number of Adam steps:
//   stage k: f_k learns log q / p_k by NCE with q samples as data and samples
//   of the current prior p_k as noise; then p_{k+1} = exp(f_k) p_k.
// p_0 = N(0, I) is sampled exactly. For k >= 1 the noise is a pool of samples
// of p_k drawn at the start of the stage by prior_langevin from N(0, I) (the
// project's non-persistent option; a fixed pool per stage, like the memory
// bank snapshot of the persistent option). Langevin is the right sampler
// here: p_k concentrates near the ring at radius R, where N(0, I) proposals
// for SIR are rare (P(|z| > R) = exp(-R^2/2)), while the ring is rotationally
// symmetric so chains started at N(0, I) need only drift outwards, with no
// mode to be trapped in. (In the toy q does not depend on the prior, so the
// paper's persistent scheme -- last stage's posterior samples as p_k samples --
// would give NCE between q and itself and is not what is tested here.)
//
// Fit is measured by KL(q || p_K) = E_q log q - E_q log p_K, with p_K
// normalised by numerical integration on a grid and E_q estimated on held-out
// samples of q.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "model/prior.h"
#include "model/sampler.h"
#include "train/adam.h"

namespace {

using namespace latentebm;

// Problem and method settings (chosen so the test runs in ~25 s per seed on
// one core; see the assertions for what was measured).
struct Toy {
  double R = 3.0, w = 0.25;  // ring radius and radial std: KL(q || N(0, I)) = 3.4 nats
  int64_t hidden = 64;       // ratio-net width (the paper's 200 is not needed in 2-D)
  int64_t batch = 256;       // q samples and p_k samples per NCE step
  double lr = 1e-3;
  int64_t pool = 5000;                 // p_k samples drawn per stage k >= 1
  int64_t langevin_steps = 600;        // from N(0, I), delta 0.1: total time 600 * 0.005 = 3
  double langevin_delta = 0.1;
  double grid_half = 8.0, grid_step = 0.05;  // [-8, 8]^2, 320^2 midpoints

  torch::Tensor sample_q(int64_t n) const {
    auto a = torch::rand({n}) * (2 * M_PI);
    auto r = R + w * torch::randn({n});
    return torch::stack({r * torch::cos(a), r * torch::sin(a)}, 1);
  }
  // Exact for r > 0; the ring puts mass exp(-(R/w)^2/2) = e^-72 at r <= 0.
  torch::Tensor log_q(const torch::Tensor& z) const {
    auto r = z.norm(2, {1});
    return -(r - R).pow(2) / (2 * w * w) - 0.5 * std::log(2 * M_PI * w * w) - torch::log(2 * M_PI * r);
  }
};

torch::Tensor grid_points(const Toy& toy) {
  const double L = toy.grid_half, h = toy.grid_step;
  auto ticks = torch::arange(-L + h / 2, L, h, torch::kFloat32);
  auto grid = torch::meshgrid({ticks, ticks}, "ij");
  return torch::stack({grid[0].flatten(), grid[1].flatten()}, 1);
}

struct FitResult {
  MultiStagePrior prior{nullptr};
  std::vector<double> kl_after_stage;      // KL(q || p_{k+1}) after each stage
  std::vector<double> pool_radius_error;   // per stage k >= 1: relative error of the pool's mean |z|
};

// Log normalising constant of p_k on the grid [-L, L]^2 (midpoint rule), and
// the share of its mass in the outer band of width 1 (to show the grid holds
// the distribution).
std::pair<double, double> log_normaliser(MultiStagePrior& prior, int64_t k, const Toy& toy) {
  torch::NoGradGuard no_grad;
  const double L = toy.grid_half, h = toy.grid_step;
  auto z = grid_points(toy);
  auto logp = prior->log_density(z, k).to(torch::kFloat64);
  const double logZ = (torch::logsumexp(logp, 0) + std::log(h * h)).item<double>();
  auto outer = (z.abs().amax(1) > L - 1.0).to(torch::kFloat64);
  const double edge = (torch::exp(logp - logZ) * (h * h) * outer).sum().item<double>();
  return {logZ, edge};
}

double grid_mean_radius(MultiStagePrior& prior, int64_t k, const Toy& toy) {
  torch::NoGradGuard no_grad;
  auto z = grid_points(toy);
  auto w = torch::softmax(prior->log_density(z, k).to(torch::kFloat64), 0);
  return (w * z.norm(2, {1}).to(torch::kFloat64)).sum().item<double>();
}

double kl_q_p(MultiStagePrior& prior, int64_t k, const Toy& toy, const torch::Tensor& q_test, double* edge = nullptr) {
  torch::NoGradGuard no_grad;
  auto [logZ, e] = log_normaliser(prior, k, toy);
  if (edge) *edge = e;
  const double e_log_p = prior->log_density(q_test, k).to(torch::kFloat64).mean().item<double>() - logZ;
  const double e_log_q = toy.log_q(q_test).to(torch::kFloat64).mean().item<double>();
  return e_log_q - e_log_p;
}

FitResult fit(int64_t K, int64_t total_steps, uint64_t seed, const Toy& toy, const torch::Tensor& q_test) {
  torch::manual_seed(seed);
  FitResult out;
  out.prior = MultiStagePrior(2, K, toy.hidden);
  const int64_t S = total_steps / K;
  for (int64_t k = 0; k < K; ++k) {
    torch::Tensor pool;
    if (k > 0) {
      pool = prior_langevin(out.prior, k, torch::randn({toy.pool, 2}), {toy.langevin_steps, toy.langevin_delta});
      const double pool_r = pool.norm(2, {1}).mean().item<double>(), grid_r = grid_mean_radius(out.prior, k, toy);
      out.pool_radius_error.push_back(std::abs(pool_r / grid_r - 1.0));
      std::printf("  K=%lld stage %lld: noise pool mean |z| %.4f, under p_k by quadrature %.4f\n", (long long)K,
                  (long long)k, pool_r, grid_r);
    }
    auto& f = out.prior->ratio(k);
    Adam opt(parameter_list(*f), toy.lr, 0.9, 0.999);
    for (int64_t t = 0; t < S; ++t) {
      auto z_q = toy.sample_q(toy.batch);
      auto z_p = k == 0 ? torch::randn({toy.batch, 2}) : pool.index_select(0, torch::randint(toy.pool, {toy.batch}));
      opt.zero_grad();
      auto loss = -torch::log_sigmoid(f->forward(z_q)).mean() - torch::log_sigmoid(-f->forward(z_p)).mean();
      loss.backward();
      opt.step();
    }
    set_requires_grad(*f, false);  // frozen once its stage is over
    out.kl_after_stage.push_back(kl_q_p(out.prior, k + 1, toy, q_test));
  }
  return out;
}

TEST(MultiStageToy, GridNormaliserIsExactForTheBasePrior) {
  // p_0 unnormalised is exp(-||z||^2 / 2), whose integral is 2 pi; the midpoint
  // rule with step 0.05 on a smooth Gaussian is accurate to far below 1e-6,
  // and the mass outside [-8, 8]^2 is ~1e-15.
  const Toy toy;
  MultiStagePrior base(2, 0, 8);
  auto [logZ, edge] = log_normaliser(base, 0, toy);
  EXPECT_NEAR(logZ, std::log(2 * M_PI), 1e-5);
  EXPECT_LT(edge, 1e-9);
  // And E_q log q from held-out samples matches its closed form
  //   -1/2 log(2 pi w^2) - 1/2 - E log(2 pi r),  E log r = log R - w^2/(2R^2) + O(w^4/R^4),
  // to within Monte Carlo error (std of log q ~ 0.75 over 20000 samples: se 0.005).
  torch::manual_seed(778);
  const double e_log_q = toy.log_q(toy.sample_q(20000)).to(torch::kFloat64).mean().item<double>();
  const double closed = -0.5 * std::log(2 * M_PI * toy.w * toy.w) - 0.5 - std::log(2 * M_PI) - std::log(toy.R) +
                        toy.w * toy.w / (2 * toy.R * toy.R);
  EXPECT_NEAR(e_log_q, closed, 0.025);
}

TEST(MultiStageToy, FourStagesFitAFarTargetBetterThanOne) {
  const auto t0 = std::chrono::steady_clock::now();
  const Toy toy;
  const int64_t total_steps = 2000;  // NCE Adam steps for either K: 1 x 2000 or 4 x 500
  torch::manual_seed(777);
  auto q_test = toy.sample_q(20000);
  MultiStagePrior base(2, 0, 8);
  const double kl_base = kl_q_p(base, 0, toy, q_test);
  std::printf("KL(q || N(0, I)) = %.3f\n", kl_base);

  // Measured before settling (seeds 1, 2, 3; KL in nats):
  //   K = 1: 1.18, 2.63, 1.01       K = 4: 0.141, 0.146, 0.139
  //   K = 4 after each stage: 2.89 0.70 0.26 0.14 | 5.66 0.68 0.31 0.15 | 2.19 0.44 0.17 0.14
  //   Langevin pool mean |z| within 2.8% of its value under p_k.
  // Bounds: K = 4 at least 0.5 nats better than K = 1 (smallest gap seen 0.87),
  // K = 4 below 0.3 nats (twice the worst seen), each stage improving on the one
  // before. KL estimates carry Monte Carlo error ~0.01 (20000 held-out samples)
  // and the grid misses any mass beyond [-8, 8]^2, which can only make the
  // estimated KL too small -- i.e. flatter K = 1 priors are if anything
  // favoured, so the comparison is conservative.
  for (uint64_t seed : {1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto one = fit(1, total_steps, seed, toy, q_test);
    auto four = fit(4, total_steps, seed, toy, q_test);
    double edge1 = 0, edge4 = 0;
    const double kl1 = kl_q_p(one.prior, 1, toy, q_test, &edge1);
    const double kl4 = kl_q_p(four.prior, 4, toy, q_test, &edge4);
    std::printf("seed %llu: KL(q || p) K=1 %.4f (mass in outer band %.1e) | K=4 %.4f (%.1e); K=4 by stage:",
                static_cast<unsigned long long>(seed), kl1, edge1, kl4, edge4);
    for (double v : four.kl_after_stage) std::printf(" %.4f", v);
    std::printf("\n");
    EXPECT_LT(kl4, kl1 - 0.5);
    EXPECT_LT(kl4, 0.3);
    EXPECT_LT(kl4, 0.1 * kl_base);
    for (size_t k = 1; k < four.kl_after_stage.size(); ++k)
      EXPECT_LT(four.kl_after_stage[k], four.kl_after_stage[k - 1]) << "stage " << k;
    // The noise of each stage really is a sample of p_k: its mean radius agrees
    // with quadrature under p_k to within 5% (Langevin discretisation and
    // finite-length chains; measured <= 2.8%).
    for (double e : four.pool_radius_error) EXPECT_LT(e, 0.05);
    // The fitted prior is normalisable on the grid (mass in the outer band tiny).
    EXPECT_LT(edge4, 1e-4);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.1f s\n", secs);
}

}  // namespace
