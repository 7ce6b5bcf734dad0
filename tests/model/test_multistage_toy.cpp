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
#include <cstdlib>
#include <string>
#include <vector>

#include "model/prior.h"
#include "model/sampler.h"
#include "train/adam.h"

namespace {

using namespace latentebm;

double env_double(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : fallback;
}

struct Toy {
  double R = env_double("TOY_R", 3.0), w = env_double("TOY_W", 0.25);
  int64_t hidden = static_cast<int64_t>(env_double("TOY_HIDDEN", 64));
  int64_t batch = static_cast<int64_t>(env_double("TOY_BATCH", 256));
  double lr = env_double("TOY_LR", 1e-3);
  int64_t pool = static_cast<int64_t>(env_double("TOY_POOL", 5000));
  int64_t langevin_steps = static_cast<int64_t>(env_double("TOY_LSTEPS", 600));
  double langevin_delta = env_double("TOY_LDELTA", 0.1);
  double grid_half = env_double("TOY_GRID", 7.0), grid_step = env_double("TOY_GRID_STEP", 0.05);

  torch::Tensor sample_q(int64_t n) const {
    auto a = torch::rand({n}) * (2 * M_PI);
    auto r = R + w * torch::randn({n});
    return torch::stack({r * torch::cos(a), r * torch::sin(a)}, 1);
  }
  torch::Tensor log_q(const torch::Tensor& z) const {
    auto r = z.norm(2, {1});
    return -(r - R).pow(2) / (2 * w * w) - 0.5 * std::log(2 * M_PI * w * w) - torch::log(2 * M_PI * r);
  }
};

struct FitResult {
  MultiStagePrior prior{nullptr};
  std::vector<double> kl_after_stage;  // KL(q || p_{k+1}) after each stage
};

// Log normalising constant of p_k on the grid [-L, L]^2 (midpoint rule), and
// the share of its mass in the outer band of width 1 (to show the grid holds
// the distribution).
std::pair<double, double> log_normaliser(MultiStagePrior& prior, int64_t k, const Toy& toy) {
  torch::NoGradGuard no_grad;
  const double L = toy.grid_half, h = toy.grid_step;
  auto ticks = torch::arange(-L + h / 2, L, h, torch::kFloat32);
  auto grid = torch::meshgrid({ticks, ticks}, "ij");
  auto z = torch::stack({grid[0].flatten(), grid[1].flatten()}, 1);
  auto logp = prior->log_density(z, k).to(torch::kFloat64);
  const double logZ = (torch::logsumexp(logp, 0) + std::log(h * h)).item<double>();
  auto outer = (z.abs().amax(1) > L - 1.0).to(torch::kFloat64);
  const double edge = (torch::exp(logp - logZ) * (h * h) * outer).sum().item<double>();
  return {logZ, edge};
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
    if (k > 0) pool = prior_langevin(out.prior, k, torch::randn({toy.pool, 2}), {toy.langevin_steps, toy.langevin_delta});
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

TEST(MultiStageToy, FourStagesFitAFarTargetBetterThanOne) {
  const auto t0 = std::chrono::steady_clock::now();
  const Toy toy;
  const int64_t total = static_cast<int64_t>(env_double("TOY_TOTAL", 2000));
  std::vector<uint64_t> seeds;
  for (int s = 0; s < static_cast<int>(env_double("TOY_SEEDS", 1)); ++s) seeds.push_back(1 + s);
  const int64_t K_many = static_cast<int64_t>(env_double("TOY_K", 4));

  torch::manual_seed(777);
  auto q_test = toy.sample_q(20000);
  {
    MultiStagePrior base(2, 0, 8);
    std::printf("KL(q || N(0, I)) = %.3f\n", kl_q_p(base, 0, toy, q_test));
  }
  for (auto seed : seeds) {
    auto one = fit(1, total, seed, toy, q_test);
    auto many = fit(K_many, total, seed, toy, q_test);
    double edge1 = 0, edgeK = 0;
    const double kl1 = kl_q_p(one.prior, 1, toy, q_test, &edge1);
    const double klK = kl_q_p(many.prior, K_many, toy, q_test, &edgeK);
    std::printf("seed %llu: KL K=1 %.4f (edge %.1e) | K=%lld %.4f (edge %.1e), per stage:", (unsigned long long)seed,
                kl1, edge1, (long long)K_many, klK, edgeK);
    for (double v : many.kl_after_stage) std::printf(" %.4f", v);
    std::printf("\n");
    EXPECT_LT(klK, kl1);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.1f s\n", secs);
}

}  // namespace
