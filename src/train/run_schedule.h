#pragma once
// A run's schedule as it unfolds: its length T, which stage is active and
// where each stage began (train.stage_schedule: a stage every S = T/K
// iterations, or the adaptive plateau rule with K as the cap), and the
// generator's learning rate at each iteration. Saved in every checkpoint
// ("schedule" in the manifest) and restored on resume and rollback.
//
// Continuing a run (docs/CHECKPOINTS.md, "Continuing a finished run"):
// resuming with a larger train.iterations (or train.epochs /
// train.min_iterations giving a larger T) lengthens the run from T to T'.
//   - Stages: the stage length S stays what the run began with, so stage
//     starts already passed or still to come keep their iterations; the
//     added iterations extend the last stage (the fixed schedule's stage
//     K-1, which runs from (K-1) S to T'; under the adaptive schedule the
//     plateau rule goes on deciding, K still the cap).
//   - Learning rate: train.g_lr_schedule = cosine starts a new cosine cycle
//     over the added iterations (a warm restart): g_lr at T, decaying to 0 at
//     T'. The iterations before T keep the rate they had, so a run continued
//     before it finished is the same as one finished and then continued.
//     constant: unchanged.
// T never shrinks: a smaller T is refused (below the iterations done, or
// below T: stop early with --max-iterations instead).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "train/schedule.h"

namespace latentebm {

class RunSchedule {
 public:
  // A fresh run of T iterations.
  RunSchedule(const TrainConfig& cfg, int64_t T);

  int64_t total() const { return T_; }  // T
  int64_t stages() const { return K_; }  // K
  int64_t stage_length() const { return S_; }  // the fixed schedule's S (T/K of the run's first T)
  int64_t stage() const { return stage_; }
  // Iteration at which each stage so far began (stage_starts()[0] = 0).
  const std::vector<int64_t>& stage_starts() const { return stage_starts_; }
  const PlateauRule& plateau_rule() const { return plateau_; }
  bool adaptive() const { return kind_ == StageSchedule::kAdaptive; }

  // Whether stage k+1 begins at the top of iteration t.
  bool stage_ends_before(int64_t t) const;
  // Stage k begins at iteration t.
  void begin_stage(int64_t k, int64_t t);
  // A step's all-reduced result (identical on every rank): whether rank 0's
  // vote to end the stage came back in it, and its prior loss for the
  // plateau rule. Rank 0 (`root`) then votes with the next step.
  void observe(bool vote_came_back, double prior_loss, bool root);
  // Rank 0's vote for the next all-reduce (then cleared).
  bool take_vote();

  // The generator's learning rate at iteration t (train.g_lr_schedule,
  // cosine cycles as above; before lr_scale).
  double generator_lr(LrSchedule schedule, double base, int64_t t) const;

  // Lengthens the run to T' >= T (see above), and says so in the log when
  // `cfg` is given; throws when T' is smaller than `done` iterations or than
  // T. Returns whether it changed.
  bool continue_to(int64_t T_new, int64_t done, const std::optional<TrainConfig>& cfg = std::nullopt);

  // For checkpoints (JSON text), and back: `stage` and `T` as the checkpoint
  // recorded them (older checkpoints lack S and the cycles: S = T/K, one cycle).
  std::string to_json() const;
  void restore(const std::string& json, int64_t stage, int64_t T);

 private:
  void restore_unchecked(const std::string& json, int64_t stage, int64_t T);

  StageSchedule kind_;
  int64_t K_ = 0, T_ = 0, S_ = 0;
  int64_t stage_ = 0;
  std::vector<int64_t> stage_starts_{0};
  std::vector<int64_t> cycle_ends_;  // where each cosine cycle ends; the last is T
  PlateauRule plateau_;
  // The adaptive rule: rank 0's vote waiting for the next all-reduce, and a
  // decided switch for the next iteration.
  bool vote_pending_ = false, advance_ = false;
};

// T for a run resumed with `cfg` from a checkpoint (`meta_T`: the T it
// recorded, 0 in old checkpoints; `ckpt_cfg`: its config; `done`: its
// iteration): the recorded T, unless cfg changes train.iterations,
// train.epochs or train.min_iterations, then total_iterations(cfg, n_train).
// Throws, naming the keys and what to do, when that T is below `done` or the
// recorded T.
int64_t resumed_total_iterations(int64_t meta_T, const Config& ckpt_cfg, const Config& cfg, int64_t done, int64_t n_train);

}  // namespace latentebm
