// CPU vs CUDA parity (issue 6): the same parameters and inputs give the same
// generator forward/backward, prior energy and gradient, and Langevin step on
// both devices. Skips itself where LibTorch sees no GPU (every CPU build;
// tests/support/gpu.h: ctest reports it Skipped, LATENTEBM_REQUIRE_GPU a failure).
//
// Tolerance: TF32 is switched off for the comparison (cuBLAS and cuDNN), so
// both sides compute in float32 and differ only by summation order and
// kernel choice: we assert max |cuda - cpu| <= 1e-4 * (1 + max |cpu|).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"
#include "support/gpu.h"

using namespace latentebm;

namespace {

void expect_close(const torch::Tensor& cpu, const torch::Tensor& cuda, const std::string& what) {
  const auto c = cuda.detach().to(torch::kCPU);
  const double scale = 1.0 + cpu.detach().abs().max().item<double>();
  const double diff = (c - cpu.detach()).abs().max().item<double>();
  EXPECT_LE(diff, 1e-4 * scale) << what << ": max |cuda - cpu| = " << diff << " (scale " << scale << ")";
}

void copy_parameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.parameters(true), dst = to.parameters(true);
  ASSERT_EQ(src.size(), dst.size());
  for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i].to(dst[i].device()));
}

}  // namespace

TEST(CudaParityGpu, GeneratorPriorAndLangevinStepMatchTheCpu) {
  if (!torch::cuda::is_available()) LATENTEBM_SKIP_WITHOUT_GPUS(1, "no CUDA device visible to LibTorch");
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
  const torch::Device gpu(torch::kCUDA, 0);
  const int64_t nz = 100, B = 16;
  torch::manual_seed(3);
  Generator g_cpu("svhn32", nz, 64, 3), g_gpu("svhn32", nz, 64, 3);
  MultiStagePrior p_cpu(nz, 4, 200), p_gpu(nz, 4, 200);
  g_gpu->to(gpu), p_gpu->to(gpu);
  copy_parameters(*g_cpu, *g_gpu);
  copy_parameters(*p_cpu, *p_gpu);

  const auto z = torch::randn({B, nz}), x = torch::rand({B, 3, 32, 32}) * 2 - 1;
  // Generator forward and backward (parameter gradients).
  auto out_cpu = g_cpu->forward(z), out_gpu = g_gpu->forward(z.to(gpu));
  expect_close(out_cpu, out_gpu, "generator forward");
  (x - out_cpu).pow(2).sum().backward();
  (x.to(gpu) - out_gpu).pow(2).sum().backward();
  auto gc = g_cpu->parameters(true), gg = g_gpu->parameters(true);
  for (size_t i = 0; i < gc.size(); ++i) expect_close(gc[i].grad(), gg[i].grad(), "generator gradient #" + std::to_string(i));

  // Prior energy and its gradient in z (all K stages).
  auto zc = z.clone().requires_grad_(true), zg = z.to(gpu).requires_grad_(true);
  auto ec = p_cpu->log_density(zc, 4), eg = p_gpu->log_density(zg, 4);
  expect_close(ec, eg, "prior log-density");
  auto dc = torch::autograd::grad({ec.sum()}, {zc})[0], dg = torch::autograd::grad({eg.sum()}, {zg})[0];
  expect_close(dc, dg, "prior gradient");

  // One posterior Langevin step with fixed noise: z + delta^2/2 grad + delta w.
  const double sigma = 0.3, delta = 0.1;
  const auto w = torch::randn({B, nz});
  auto step = [&](Generator& g, MultiStagePrior& p, const torch::Tensor& z0, const torch::Tensor& xx, const torch::Tensor& ww) {
    auto zz = z0.clone().requires_grad_(true);
    auto log_joint = -(xx - g->forward(zz)).pow(2).flatten(1).sum(1) / (2 * sigma * sigma) + p->log_density(zz, 4);
    auto grad = torch::autograd::grad({log_joint.sum()}, {zz})[0];
    return (zz + 0.5 * delta * delta * grad + delta * ww).detach();
  };
  expect_close(step(g_cpu, p_cpu, z, x, w), step(g_gpu, p_gpu, z.to(gpu), x.to(gpu), w.to(gpu)), "Langevin step");
}
