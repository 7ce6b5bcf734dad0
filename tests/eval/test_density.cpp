// Normalised prior densities (eval/density.h) against known answers: a prior
// whose ratio network is exactly linear, f(z) = w.z, is N(w, I), with
// Z = exp(|w|^2 / 2) and KL(N(0, I) || N(w, I)) = |w|^2 / 2.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "eval/density.h"
#include "support/linear_prior.h"

using namespace latentebm;

namespace {
// Stage 0: w.z; stage 1: w.z / 2 (so p_2 = N(1.5 w, I)).
MultiStagePrior linear_prior(const torch::Tensor& w) { return latentebm::testing::linear_prior(w, {1.0, 0.5}); }
}  // namespace

TEST(Density, StandardNormalLogDensityIsExact) {
  auto z = torch::tensor({{0.0, 0.0}, {1.0, -2.0}}, torch::kFloat64);
  auto l = standard_normal_log_density(z);
  EXPECT_NEAR(l[0].item<double>(), -std::log(2 * M_PI), 1e-12);
  EXPECT_NEAR(l[1].item<double>(), -2.5 - std::log(2 * M_PI), 1e-12);
}

TEST(Density, LogNormaliserAndKlOfALinearPrior) {
  torch::manual_seed(11);
  auto w = torch::tensor({0.8f, -0.5f, 0.3f, 0.0f});
  const double w2 = w.pow(2).sum().item<double>();
  auto prior = linear_prior(w);
  // Proposal N(0, I): Z_1 = exp(|w|^2 / 2), Z_2 = exp(|1.5 w|^2 / 2), Z_0 = 1.
  auto z = torch::randn({200000, 4});
  const auto log_r = standard_normal_log_density(z);
  EXPECT_NEAR(log_normaliser(prior, 0, z, log_r), 0.0, 1e-9);
  EXPECT_NEAR(log_normaliser(prior, 1, z, log_r), w2 / 2, 0.01);
  EXPECT_NEAR(log_normaliser(prior, 2, z, log_r), 2.25 * w2 / 2, 0.02);
  // The normalised density of p_1 = N(w, I) equals the Gaussian's, and
  // KL(N(0, I) || p_1) = |w|^2 / 2 by Monte Carlo over N(0, I) samples.
  const double log_z = log_normaliser(prior, 1, z, log_r);
  auto held_out = torch::randn({50000, 4});
  auto lp = normalised_log_density(prior, 1, held_out, log_z);
  auto exact = standard_normal_log_density((held_out - w).to(torch::kFloat64));
  EXPECT_LT((lp - exact).abs().max().item<double>(), 0.01);
  const double kl = (standard_normal_log_density(held_out).to(torch::kFloat64) - lp).mean().item<double>();
  EXPECT_NEAR(kl, w2 / 2, 0.01);
}
