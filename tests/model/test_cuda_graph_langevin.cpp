// GraphedLangevin (model/cuda_graph_langevin.h). On every machine: CPU
// tensors (and a disabled instance) take the eager path and give exactly the
// eager chain's latents. On a GPU with a CUDA LibTorch 2.x build: the graphed
// posterior and prior chains match the eager chains after the same seed (so
// the noise is drawn inside the graph from the same generator stream), a
// replay with a new seed follows that seed, and a repeated setting reuses its
// graph instead of capturing again.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "model/cuda_graph_langevin.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"
#include "support/gpu.h"

using namespace latentebm;

namespace {

struct Model {
  Generator g{GeneratorKind::kSvhn32, 16, 8, 3};
  MultiStagePrior prior{16, 3, 32};
  explicit Model(torch::Device d) {
    g->to(d);
    prior->to(d);
  }
};

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.detach().to(torch::kCPU) - b.detach().to(torch::kCPU)).abs().max().item<double>();
}

}  // namespace

// A CUDA LibTorch 2.x build must compile the capture path in; without this a
// build flag lost on the way to model/ turns every GPU run eager, silently.
TEST(GraphedLangevin, CaptureIsCompiledInExactlyWhenLibTorchHasCuda2) {
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
  const bool expected = LATENTEBM_BUILT_WITH_CUDA_TORCH;
#else
  const bool expected = false;
#endif
  EXPECT_EQ(GraphedLangevin::supported(), expected);
}

TEST(GraphedLangevin, CpuTensorsRunTheEagerChainExactly) {
  torch::manual_seed(5);
  Model m(torch::kCPU);
  const auto x = torch::rand({4, 3, 32, 32}) * 2 - 1, z0 = torch::randn({4, 16});
  const LangevinOptions opt{5, 0.1};
  GraphedLangevin graphed;
  torch::manual_seed(11);
  torch::Tensor n_eager, n_graphed;
  const auto eager = posterior_langevin(m.g, m.prior, 2, x, z0, 0.3, opt, &n_eager);
  torch::manual_seed(11);
  const auto out = graphed.posterior(m.g, m.prior, 2, x, z0, 0.3, opt, &n_graphed);
  EXPECT_FALSE(graphed.last_call_replayed());
  EXPECT_EQ(graphed.captures(), 0);
  EXPECT_TRUE(torch::equal(eager, out));
  EXPECT_TRUE(torch::equal(n_eager, n_graphed));
  EXPECT_FALSE(torch::equal(out, z0)) << "the chain must move the latents";

  torch::manual_seed(12);
  const auto prior_eager = prior_langevin(m.prior, 3, z0, opt);
  torch::manual_seed(12);
  EXPECT_TRUE(torch::equal(prior_eager, graphed.prior(m.prior, 3, z0, opt)));
  EXPECT_FALSE(graphed.last_call_replayed());
}

TEST(GraphedLangevinGpu, GraphedChainsMatchTheEagerChains) {
  if (!torch::cuda::is_available()) LATENTEBM_SKIP_WITHOUT_GPUS(1, "no CUDA device visible to LibTorch");
  if (!GraphedLangevin::supported())
    LATENTEBM_SKIP_WITHOUT_GPUS(1, "this build cannot capture CUDA graphs (needs CUDA LibTorch 2.x)");
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  const torch::Device gpu(torch::kCUDA, 0);
  torch::manual_seed(5);
  Model m(gpu);
  const auto x = (torch::rand({8, 3, 32, 32}) * 2 - 1).to(gpu), z0 = torch::randn({8, 16}).to(gpu);
  const LangevinOptions opt{10, 0.1};
  GraphedLangevin graphed;
  for (uint64_t seed : {21, 22}) {  // the first call captures, the second replays
    torch::manual_seed(seed);
    torch::Tensor n_eager, n_graphed;
    const auto eager = posterior_langevin(m.g, m.prior, 2, x, z0, 0.3, opt, &n_eager);
    torch::manual_seed(seed);
    const auto out = graphed.posterior(m.g, m.prior, 2, x, z0, 0.3, opt, &n_graphed);
    ASSERT_TRUE(graphed.last_call_replayed()) << "capture failed (see the log): the eager fallback ran";
    const double scale = 1.0 + eager.abs().max().item<double>();
    EXPECT_LE(max_abs_diff(eager, out), 1e-4 * scale) << "seed " << seed;
    EXPECT_LE(max_abs_diff(n_eager, n_graphed), 1e-4 * (1.0 + n_eager.abs().item<double>())) << "seed " << seed;
  }
  EXPECT_EQ(graphed.captures(), 1) << "the same setting must replay its graph, not capture again";
  // Two replays of the same setting under different seeds draw different noise.
  torch::Tensor n_a, n_b;
  torch::manual_seed(31);
  const auto a = graphed.posterior(m.g, m.prior, 2, x, z0, 0.3, opt, &n_a);
  torch::manual_seed(32);
  const auto b = graphed.posterior(m.g, m.prior, 2, x, z0, 0.3, opt, &n_b);
  EXPECT_GT(max_abs_diff(a, b), 1e-3);
  EXPECT_EQ(graphed.captures(), 1);
  // A new batch size is a new static shape: a second graph; a chain that does
  // not report |grad z| has other outputs: a third.
  torch::manual_seed(33);
  graphed.posterior(m.g, m.prior, 2, x.narrow(0, 0, 4), z0.narrow(0, 0, 4), 0.3, opt, &n_a);
  EXPECT_EQ(graphed.captures(), 2);
  graphed.posterior(m.g, m.prior, 2, x, z0, 0.3, opt);
  EXPECT_EQ(graphed.captures(), 3);

  // Test-time prior Langevin.
  torch::manual_seed(41);
  const auto prior_eager = prior_langevin(m.prior, 3, z0, {20, 0.1});
  torch::manual_seed(41);
  const auto prior_graphed = graphed.prior(m.prior, 3, z0, {20, 0.1});
  ASSERT_TRUE(graphed.last_call_replayed());
  EXPECT_LE(max_abs_diff(prior_eager, prior_graphed), 1e-4 * (1.0 + prior_eager.abs().max().item<double>()));

  // Disabled: eager.
  graphed.set_enabled(false);
  graphed.prior(m.prior, 3, z0, {20, 0.1});
  EXPECT_FALSE(graphed.last_call_replayed());
}
