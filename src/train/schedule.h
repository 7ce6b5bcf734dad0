#pragma once
// The schedules of training: when stage k+1 begins (PlateauRule), and the
// generator's learning rate at each iteration (generator_lr), and how both
// learning rates follow the global batch (lr_scale).
//
// Stage schedule:
// fixed     a new stage every S = T/K iterations (the paper).
// adaptive  the plateau rule below decides; K stays the cap, the last stage
//           runs to T.
//
// Plateau rule (fed one value per iteration: the active stage's NCE loss,
// all-reduced so every rank sees the same number):
//   - the stage's iterations are cut into consecutive windows of W
//     (train.plateau_window); at the end of each window its mean loss m is
//     compared with the best (lowest) window mean of the stage so far, b;
//   - m < b - tol (train.plateau_tolerance) is an improvement (b := m, the
//     count of windows without improvement is reset), anything else adds one
//     to that count;
//   - the stage has plateaued when the count reaches P (train.plateau_patience)
//     and the stage is at least min_stage_iterations long; it ends in any case
//     at max_stage_iterations (0 = no maximum).
// Every rank runs the rule on the same values, but only rank 0's decision is
// used: it travels as a vote in the next iteration's gradient all-reduce, so
// all ranks begin the next stage at the same iteration (two iterations after
// the window that decided it).
#include <cstdint>
#include <limits>
#include <string>

#include "method.h"

namespace latentebm {

// The generator's Adam learning rate at iteration t of T (train.g_lr_schedule):
//   constant  base
//   cosine    base * (1 + cos(pi t / T)) / 2: base at t = 0, base / 2 at T/2,
//             0 at T. A function of t alone, so a resumed run continues it.
double generator_lr(LrSchedule schedule, double base, int64_t t, int64_t T);

// The factor both learning rates are multiplied by at iteration t for a
// global batch B (train.lr_scaling), tuned at reference batch R:
//   none    1
//   sqrt    s = sqrt(B / R): Adam's noise scale stays that of batch R
//           (Malladi et al. 2022, "On the SDEs and scaling rules for adaptive
//           gradient algorithms"); the default of the GPU presets
//   linear  s = B / R (Goyal et al. 2017; for SGD)
// ramped linearly from 1 at t = 0 to s at t = warmup (Goyal et al.'s gradual
// warm-up), s from then on. A function of t alone, so a resume continues it.
double lr_scale(LrScaling scaling, int64_t global_batch, int64_t reference_batch, int64_t warmup, int64_t t);

class PlateauRule {
 public:
  struct Settings {
    int64_t window = 40;
    int64_t patience = 2;
    double tolerance = 0.01;
    int64_t min_iterations = 120;
    int64_t max_iterations = 0;  // 0 = none
  };
  struct State {
    int64_t iterations = 0;            // iterations of the stage observed
    int64_t in_window = 0;             // values in the current window
    double window_sum = 0;             // their sum
    double best = std::numeric_limits<double>::infinity();  // best window mean
    int64_t stale_windows = 0;         // consecutive windows without improvement
  };

  PlateauRule() = default;
  explicit PlateauRule(const Settings& s) : settings_(s) {}

  // One iteration's loss; true when the stage should end.
  bool observe(double loss);
  // A new stage begins.
  void reset() { state_ = State{}; }

  const State& state() const { return state_; }
  const Settings& settings() const { return settings_; }
  // For checkpoints: the state as JSON text, and back (exact doubles).
  std::string to_json() const;
  void from_json(const std::string& text);

 private:
  Settings settings_;
  State state_;
};

}  // namespace latentebm
