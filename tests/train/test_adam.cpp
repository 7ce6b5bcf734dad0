// latentebm::Adam against the reference torch::optim::Adam and against the
// closed form of its first step.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "train/adam.h"

namespace {

using latentebm::Adam;

// A small ill-conditioned quadratic in two parameter tensors (a matrix and a
// vector), so gradients differ in scale across coordinates and change sign:
//   L(P, q) = 0.5 ||P a + q - t||^2 + 0.5 * 10 ||q||^2.
torch::Tensor quadratic_loss(const torch::Tensor& P, const torch::Tensor& q) {
  auto opts = P.options().requires_grad(false);
  auto a = torch::tensor({1.0, -2.0, 0.5}, opts);
  auto t = torch::tensor({0.3, -1.0, 2.0, 0.7}, opts);
  auto r = torch::mv(P, a) + q - t;
  return 0.5 * r.pow(2).sum() + 5.0 * q.pow(2).sum();
}

std::pair<torch::Tensor, torch::Tensor> initial_params(torch::Dtype dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  auto P = torch::tensor({0.1, -0.4, 0.9, 1.5, 0.0, -0.2, 0.3, 0.3, -1.1, 0.05, 0.6, -0.7}, opts).view({4, 3});
  auto q = torch::tensor({0.2, -0.3, 0.0, 1.0}, opts);
  return {P.clone().set_requires_grad(true), q.clone().set_requires_grad(true)};
}

// Runs `steps` updates of both optimisers from identical starting points and
// compares parameters after every step.
void compare_with_torch(torch::Dtype dtype, double lr, double b1, double b2, double eps, int steps, double tol) {
  auto [P1, q1] = initial_params(dtype);
  auto [P2, q2] = initial_params(dtype);
  Adam ours({P1, q1}, lr, b1, b2, eps);
  torch::optim::Adam ref({P2, q2},
                         torch::optim::AdamOptions(lr).betas(std::make_tuple(b1, b2)).eps(eps).weight_decay(0.0));
  double moved = 0;
  for (int s = 0; s < steps; ++s) {
    ours.zero_grad();
    quadratic_loss(P1, q1).backward();
    ours.step();
    ref.zero_grad();
    quadratic_loss(P2, q2).backward();
    ref.step();
    ASSERT_TRUE(torch::allclose(P1, P2, 0.0, tol)) << "P differs at step " << s + 1 << ", max |diff| "
                                                   << (P1 - P2).abs().max().item<double>();
    ASSERT_TRUE(torch::allclose(q1, q2, 0.0, tol)) << "q differs at step " << s + 1 << ", max |diff| "
                                                   << (q1 - q2).abs().max().item<double>();
  }
  auto [P0, q0] = initial_params(dtype);
  moved = (P1 - P0).abs().max().item<double>();
  EXPECT_GT(moved, 10 * lr) << "parameters should have moved far more than the tolerance";
  EXPECT_EQ(ours.steps(), steps);
}

TEST(Adam, MatchesTorchOptimAdamFloat32) {
  // Same update rule, different association of the arithmetic
  // (sqrt(v / c2) vs sqrt(v) / sqrt(c2)): float32 rounding of ~1e-7 relative on
  // values of order 1, accumulated over 30 steps, stays well under 1e-6.
  compare_with_torch(torch::kFloat32, 1e-2, 0.9, 0.999, 1e-8, 30, 1e-6);
  // The project's settings (betas 0.5 / 0.999, as in the configs) and a large
  // eps, so that a dropped or misplaced eps would show.
  compare_with_torch(torch::kFloat32, 5e-3, 0.5, 0.999, 1e-2, 30, 1e-6);
}

TEST(Adam, MatchesTorchOptimAdamFloat64) {
  // In double the only differences are rounding at 1e-16 relative.
  compare_with_torch(torch::kFloat64, 1e-2, 0.9, 0.999, 1e-8, 50, 1e-12);
  compare_with_torch(torch::kFloat64, 3e-2, 0.5, 0.99, 1e-3, 50, 1e-12);
}

TEST(Adam, FirstStepClosedForm) {
  // At t = 1, with bias correction, m_hat = g and v_hat = g^2, so
  //   p1 = p0 - lr * g / (|g| + eps).
  // Without bias correction the step would be ~ lr * 0.1/sqrt(0.001) = 3.16 lr.
  auto p = torch::tensor({1.0, -2.0, 3.0, 0.5}, torch::kFloat64).set_requires_grad(true);
  const double lr = 0.1, eps = 0.05;
  Adam opt({p}, lr, 0.9, 0.999, eps);
  auto g = torch::tensor({0.2, -4.0, 1e-3, 0.0}, torch::kFloat64);
  p.mutable_grad() = g.clone();
  auto p0 = p.detach().clone();
  opt.step();
  auto expected = p0 - lr * g / (g.abs() + eps);
  EXPECT_TRUE(torch::allclose(p.detach(), expected, 0.0, 1e-14)) << p << expected;
  // The moments hold the raw (uncorrected) averages.
  EXPECT_TRUE(torch::allclose(opt.exp_avg()[0], 0.1 * g, 0.0, 1e-15));
  EXPECT_TRUE(torch::allclose(opt.exp_avg_sq()[0], 0.001 * g * g, 0.0, 1e-15));
}

TEST(Adam, ParameterWithoutGradientIsLeftUnchanged) {
  auto a = torch::ones({3}).set_requires_grad(true);
  auto b = torch::ones({2}).set_requires_grad(true);
  Adam opt({a, b}, 0.1, 0.9, 0.999);
  (a * torch::tensor({1.0f, 2.0f, 3.0f})).sum().backward();  // b gets no gradient
  opt.step();
  EXPECT_TRUE(torch::equal(b.detach(), torch::ones({2})));
  EXPECT_TRUE(torch::equal(opt.exp_avg()[1], torch::zeros({2})));
  // First step moves each coordinate of a by lr against the gradient sign (eps negligible).
  EXPECT_TRUE(torch::allclose(a.detach(), torch::full({3}, 0.9f), 0.0, 1e-6));
  opt.zero_grad();
  EXPECT_EQ(a.grad().abs().sum().item<float>(), 0.0f);
}

// step_if(true) is step(), bit for bit; step_if(false) leaves parameters and
// moments exactly as they were even when the gradients are not finite (the
// divergence guard's masked step), and uncount_step() takes the step back
// from the count, so the next step's bias correction is the one step() uses.
TEST(Adam, MaskedStepIsStepOrNothing) {
  auto [P1, q1] = initial_params(torch::kFloat32);
  auto [P2, q2] = initial_params(torch::kFloat32);
  Adam plain({P1, q1}, 0.05, 0.9, 0.999), masked({P2, q2}, 0.05, 0.9, 0.999);
  const auto yes = torch::ones({}, torch::kBool), no = torch::zeros({}, torch::kBool);
  for (int s = 0; s < 6; ++s) {
    plain.zero_grad();
    quadratic_loss(P1, q1).backward();
    plain.step();
    masked.zero_grad();
    quadratic_loss(P2, q2).backward();
    if (s == 2) {  // a diverged iteration: NaN / inf gradients, not applied
      P2.mutable_grad().fill_(std::nan(""));
      q2.mutable_grad().fill_(INFINITY);
      const auto P_before = P2.detach().clone(), m_before = masked.exp_avg()[0].clone(), v_before = masked.exp_avg_sq()[1].clone();
      masked.step_if(no);
      EXPECT_TRUE(torch::equal(P2.detach(), P_before));
      EXPECT_TRUE(torch::equal(masked.exp_avg()[0], m_before));
      EXPECT_TRUE(torch::equal(masked.exp_avg_sq()[1], v_before));
      EXPECT_EQ(masked.steps(), 3);
      masked.uncount_step();
      masked.zero_grad();
      quadratic_loss(P2, q2).backward();  // the same gradient as the plain step's
    }
    masked.step_if(yes);
    ASSERT_TRUE(torch::equal(P1, P2)) << "P differs at step " << s + 1;
    ASSERT_TRUE(torch::equal(q1, q2)) << "q differs at step " << s + 1;
    ASSERT_TRUE(torch::equal(plain.exp_avg_sq()[0], masked.exp_avg_sq()[0]));
  }
  EXPECT_EQ(masked.steps(), plain.steps());
}

}  // namespace
