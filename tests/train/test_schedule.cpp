// The schedules of train/schedule.h: the adaptive stage schedule's plateau
// rule on scripted loss sequences, and the generator's learning rate.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "train/schedule.h"

using namespace latentebm;

namespace {
// Feeds the losses; returns the 1-based count of values observed when the rule
// first said "end the stage", or 0 if it never did.
int64_t first_end(PlateauRule& rule, const std::vector<double>& losses) {
  for (size_t i = 0; i < losses.size(); ++i)
    if (rule.observe(losses[i])) return static_cast<int64_t>(i + 1);
  return 0;
}
std::vector<double> repeat(double v, int n) { return std::vector<double>(static_cast<size_t>(n), v); }
std::vector<double> operator+(std::vector<double> a, const std::vector<double>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
}  // namespace

TEST(PlateauRule, EndsAfterPatienceWindowsWithoutImprovement) {
  // Window 10, patience 2, tolerance 0.01, at least 20 iterations.
  PlateauRule rule({10, 2, 0.01, 20, 0});
  // Falling for 3 windows (1.3, 1.2, 1.1), then flat at 1.1: windows 4 and 5
  // are not better than 1.1 - 0.01, so the rule fires at the end of window 5.
  const auto losses = repeat(1.3, 10) + repeat(1.2, 10) + repeat(1.1, 10) + repeat(1.1, 10) + repeat(1.095, 10) + repeat(1.0, 10);
  EXPECT_EQ(first_end(rule, losses), 50);
  EXPECT_DOUBLE_EQ(rule.state().best, 1.1);
  EXPECT_EQ(rule.state().stale_windows, 2);
}

TEST(PlateauRule, AnImprovementResetsThePatience) {
  PlateauRule rule({10, 2, 0.01, 1, 0});
  // 1.0, 1.0 (stale 1), 0.9 (improves: stale 0), 0.9, 0.9 -> fires at 50.
  EXPECT_EQ(first_end(rule, repeat(1.0, 20) + repeat(0.9, 30)), 50);
}

TEST(PlateauRule, NeverBeforeTheMinimumAlwaysAtTheMaximum) {
  PlateauRule flat({5, 1, 0.0, 40, 0});
  // Flat from the start: plateaued at 10, but the stage must last 40.
  EXPECT_EQ(first_end(flat, repeat(0.5, 100)), 40);
  PlateauRule falling({5, 1, 0.0, 1, 30});
  std::vector<double> down;
  for (int i = 0; i < 100; ++i) down.push_back(1.0 - 0.005 * i);  // always improving
  EXPECT_EQ(first_end(falling, down), 30);
  PlateauRule unbounded({5, 1, 0.0, 1, 0});
  EXPECT_EQ(first_end(unbounded, down), 0);
}

TEST(PlateauRule, ToleranceDecidesWhatCountsAsImprovement) {
  // Falls by 0.004 per window: an improvement at tolerance 0.001, not at 0.01.
  std::vector<double> slow;
  for (int wdw = 0; wdw < 10; ++wdw) slow = slow + repeat(1.0 - 0.004 * wdw, 10);
  PlateauRule strict({10, 2, 0.01, 1, 0}), loose({10, 2, 0.001, 1, 0});
  EXPECT_EQ(first_end(strict, slow), 30);
  EXPECT_EQ(first_end(loose, slow), 0);
}

TEST(PlateauRule, NonFiniteLossesNeverCountAsImprovement) {
  PlateauRule rule({2, 2, 0.0, 1, 0});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(first_end(rule, {1.0, 1.0, nan, 0.0, nan, 0.0}), 6);
}

TEST(PlateauRule, StateRoundTripsThroughJsonAndResumesTheSameDecisions) {
  const auto losses = repeat(1.3, 7) + repeat(1.25, 9) + repeat(1.26, 30);
  PlateauRule whole({4, 2, 0.02, 10, 0});
  const int64_t end = first_end(whole, losses);
  ASSERT_GT(end, 0);
  // Interrupted after 13 values (mid-window), saved, restored into a new rule.
  PlateauRule a({4, 2, 0.02, 10, 0});
  for (int i = 0; i < 13; ++i) ASSERT_FALSE(a.observe(losses[static_cast<size_t>(i)]));
  PlateauRule b({4, 2, 0.02, 10, 0});
  b.from_json(a.to_json());
  EXPECT_EQ(b.to_json(), a.to_json());
  EXPECT_EQ(first_end(b, std::vector<double>(losses.begin() + 13, losses.end())) + 13, end);
  // A fresh rule has no best yet (JSON null), and reset() forgets everything.
  PlateauRule fresh;
  PlateauRule c;
  c.from_json(fresh.to_json());
  EXPECT_TRUE(std::isinf(c.state().best));
  a.reset();
  EXPECT_EQ(a.to_json(), fresh.to_json());
}

// The generator's learning rate over training (train.g_lr_schedule).
TEST(GeneratorLr, ConstantIgnoresTheIteration) {
  for (int64_t t : {int64_t{0}, int64_t{50}, int64_t{100}})
    EXPECT_DOUBLE_EQ(generator_lr(LrSchedule::kConstant, 2e-4, t, 100), 2e-4);
}

TEST(GeneratorLr, CosineFallsFromTheBaseToZeroThroughKnownValues) {
  const double base = 1e-3;
  const int64_t T = 7200;
  EXPECT_DOUBLE_EQ(generator_lr(LrSchedule::kCosine, base, 0, T), base);
  EXPECT_NEAR(generator_lr(LrSchedule::kCosine, base, T / 2, T), base / 2, 1e-15);
  // cos(pi / 4) = sqrt(2) / 2; cos(3 pi / 4) = -sqrt(2) / 2
  EXPECT_NEAR(generator_lr(LrSchedule::kCosine, base, T / 4, T), base * (2 + std::sqrt(2.0)) / 4, 1e-15);
  EXPECT_NEAR(generator_lr(LrSchedule::kCosine, base, 3 * T / 4, T), base * (2 - std::sqrt(2.0)) / 4, 1e-15);
  EXPECT_NEAR(generator_lr(LrSchedule::kCosine, base, T, T), 0.0, 1e-18);
  // the last fifth of training runs below a tenth of the base
  EXPECT_LT(generator_lr(LrSchedule::kCosine, base, 4 * T / 5, T), 0.1 * base);
  double previous = base;
  for (int64_t t = 1; t <= T; t += 37) {
    const double lr = generator_lr(LrSchedule::kCosine, base, t, T);
    EXPECT_LT(lr, previous) << "t = " << t;
    previous = lr;
  }
}

namespace latentebm {
namespace {

TEST(LrScale, SquareRootAndLinearRulesWithWarmUp) {
  // No scaling: 1 whatever the batch.
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kNone, 4096, 64, 100, 0), 1.0);
  // 64 GPUs of 64 (B = 4096) against the reference 64: x8 by sqrt, x64 linear.
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kSqrt, 4096, 64, 0, 0), 8.0);
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kLinear, 4096, 64, 0, 7), 64.0);
  // Warm-up: 1 at t = 0, linear to the full scale at t = warmup, then flat.
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kSqrt, 4096, 64, 100, 0), 1.0);
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kSqrt, 4096, 64, 100, 50), 4.5);
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kSqrt, 4096, 64, 100, 100), 8.0);
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kSqrt, 4096, 64, 100, 5000), 8.0);
  // One GPU trains at the reference batch: the paper's rates exactly.
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kSqrt, 64, 64, 100, 10), 1.0);
  // A smaller global batch scales down.
  EXPECT_DOUBLE_EQ(lr_scale(LrScaling::kLinear, 32, 64, 0, 0), 0.5);
}

}  // namespace
}  // namespace latentebm
