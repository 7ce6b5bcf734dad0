// posterior_steering (eval/steering.h): the drift split into likelihood,
// learned-ratio and base parts must add up to posterior Langevin's own step,
// and each part must vanish where it is known to.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "eval/steering.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"
#include "support/constant_generator.h"

using namespace latentebm;
using latentebm::testing::constant_generator;

TEST(PosteriorSteering, TheChainUnderTheLearnedPriorIsPosteriorLangevin) {
  // Random generator and a 2-stage prior: the split chain under p_2 and the
  // one under N(0, I) end where posterior_langevin ends with the same seed
  // and 2 or 0 stages.
  torch::manual_seed(11);
  Generator g(GeneratorKind::kMnist28, 6, 4, 1);
  MultiStagePrior prior(6, 2, 16);
  const auto x = torch::rand({5, 1, 28, 28}) * 2 - 1, z0 = torch::randn({5, 6});
  const LangevinOptions opt{7, 0.1};
  const auto r = posterior_steering(g, prior, 2, x, z0, 0.3, opt, 42);
  torch::manual_seed(42);
  const auto want_prior = posterior_langevin(g, prior, 2, x, z0, 0.3, opt);
  torch::manual_seed(42);
  const auto want_base = posterior_langevin(g, prior, 0, x, z0, 0.3, opt);
  EXPECT_TRUE(torch::allclose(r.z_prior, want_prior, 1e-4, 1e-5)) << (r.z_prior - want_prior).abs().max();
  EXPECT_TRUE(torch::allclose(r.z_base, want_base, 1e-4, 1e-5)) << (r.z_base - want_base).abs().max();
  EXPECT_FALSE(torch::allclose(r.z_prior, r.z_base)) << "random ratios move the chain";
  EXPECT_GT(r.drift.likelihood, 0);
  EXPECT_GT(r.drift.ratios, 0);
  EXPECT_GT(r.drift.base, 0);
}

TEST(PosteriorSteering, PartsVanishWhereTheyAreKnownTo) {
  // g constant: no likelihood drift. 0 stages: no ratio drift, and both
  // chains are the same. One step: the base drift is the mean ||z0||.
  auto g = constant_generator(0.5, 4);
  MultiStagePrior prior(4, 2, 8);
  torch::manual_seed(3);
  const auto x = torch::zeros({6, 1, 28, 28}), z0 = torch::randn({6, 4});
  const auto r = posterior_steering(g, prior, 0, x, z0, 0.3, {1, 0.2}, 5);
  EXPECT_DOUBLE_EQ(r.drift.likelihood, 0.0);
  EXPECT_DOUBLE_EQ(r.drift.ratios, 0.0);
  EXPECT_NEAR(r.drift.base, z0.norm(2, {1}).mean().item<double>(), 1e-6);
  EXPECT_TRUE(torch::equal(r.z_prior, r.z_base));
  // With the prior's 2 stages but the ratio networks' last layers zeroed,
  // sum f_i is constant in z: no ratio drift either, same end point.
  {
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < 2; ++i)
      for (auto& p : prior->ratio(i)->named_parameters(true))
        if (p.key().rfind("net.4.", 0) == 0) p.value().zero_();
  }
  const auto flat = posterior_steering(g, prior, 2, x, z0, 0.3, {3, 0.2}, 5);
  EXPECT_DOUBLE_EQ(flat.drift.ratios, 0.0);
  EXPECT_TRUE(torch::allclose(flat.z_prior, flat.z_base));
}
