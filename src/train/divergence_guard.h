#pragma once
// The divergence guard (train.on_divergence): judges each step from its
// all-reduced terms, so that every rank decides alike, and says what to do
// about a diverged one: skip it, roll back to the latest checkpoint with a
// smaller step, or give up. It owns its state: the skip and rollback counts
// and the two settings a rollback lowers (the posterior Langevin step
// train.langevin_delta, or the prior's learning rate train.e_lr after a
// runaway energy). The run's config is never changed: the lowered values
// are the guard's, stored in checkpoints as its state ("guard" in the
// manifest), so a checkpoint's config stays the run's config.yaml.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.h"
#include "io/run_dir.h"
#include "train/step_terms.h"

namespace latentebm {

// Thrown on every rank at the same iteration when the guard gives up
// (policy stop, or rollbacks / skips exhausted).
struct DivergenceError : std::runtime_error {
  DivergenceError(int64_t it, const std::string& msg) : std::runtime_error(msg), iteration(it) {}
  int64_t iteration;
};

// The guard's verdict on a step, decided on the device after the all-reduce
// (read back with the step's terms, after them).
template <class V>
struct GuardVerdictOf {
  V finite{};   // the whole reduced buffer (gradients and terms) is finite
  V applied{};  // the step was applied (no rank's samples bad, finite, prior loss within its limit)

  template <class S, class F>
  static void fields(S& s, F&& f) {
    for (auto* v : {&s.finite, &s.applied}) f(*v);
  }
};
using GuardVerdict = GuardVerdictOf<double>;

// The settings a rollback lowers, as they are in effect.
struct GuardedSettings {
  double langevin_delta = 0;  // posterior Langevin step
  double e_lr = 0;            // the prior's (ratio networks') Adam learning rate
};

// The settings in effect for a run resumed with `cfg` from a checkpoint whose
// guard state is `guard_json` ("{}" in checkpoints older than it): the
// checkpoint's lowered value of each, unless `cfg` configures the key
// differently than the checkpoint did, or sets it on the command line: then
// `cfg`'s value (the user's override wins).
GuardedSettings settings_in_effect(const std::string& guard_json, const Config& cfg);

// `cfg` with `in_effect` applied (train.langevin_delta, train.e_lr): for
// readers that must sample as training last did (the final pictures, the
// test-time commands' posterior chains). A copy: the run's config and
// config.yaml keep the configured values.
Config with_settings_in_effect(Config cfg, const GuardedSettings& in_effect);

class DivergenceGuard {
 public:
  explicit DivergenceGuard(const TrainConfig& cfg);

  // On the device, from the reduced buffer and the summed terms.
  GuardVerdictOf<torch::Tensor> judge(const torch::Tensor& reduced, const StepTermsOf<torch::Tensor>& sum) const;
  // What went wrong with a step, in words ("" when nothing did), and whether
  // it was the prior's energy running away (finite latents, loss beyond its limit).
  struct Finding {
    bool diverged = false, energy_runaway = false;
    std::string what;
  };
  Finding diagnose(const StepTerms& sum, const GuardVerdict& verdict) const;
  // A step's result from its read-back buffer (the summed StepTerms, then
  // the GuardVerdict, as doubles), with the guard's finding.
  StepStats read(const torch::Tensor& host) const;

  // A diverged step at iteration t: what to do under train.on_divergence and
  // the counts so far. kRollback only while rollbacks remain; the caller
  // gives up when it finds no checkpoint.
  enum class Action { kSkip, kRollback, kGiveUp };
  Action decide(int64_t t);
  // A step that did not diverge: the skips in a row start again.
  void step_ok() { consecutive_skips_ = 0; }
  // A rollback is done: lowers what drove the divergence by
  // train.rollback_delta_factor (e_lr after a runaway energy, else
  // langevin_delta) and logs it.
  void rolled_back(bool energy_runaway, int64_t from, int64_t to, const std::string& ckpt_dir);
  // The error that ends training, naming why and what to lower.
  DivergenceError give_up(int64_t t, const Finding& f, const std::string& debug_dir) const;

  const GuardedSettings& in_effect() const { return in_effect_; }
  int64_t rollbacks() const { return rollbacks_; }
  int64_t skipped() const { return skipped_; }

  // For checkpoints: the lowered settings with the configured values they
  // came from (JSON text), and back (settings_in_effect's rule).
  std::string to_json() const;
  void restore(const std::string& json, const Config& cfg);

 private:
  DivergencePolicy policy_;
  int64_t max_skips_, max_rollbacks_;
  double factor_, z_limit_, loss_limit_;
  GuardedSettings configured_, in_effect_;
  int64_t rollbacks_ = 0, skipped_ = 0, consecutive_skips_ = 0;
};

// The diverged step's batch and samples of this rank, for a post-mortem:
// <run>/debug/divergence-it<t>-rank<r>.h5 (/x, /z_posterior, /z_noise,
// /indices; attrs iteration, stage, rank, langevin_delta in effect, config).
// A failure to write it is logged, never thrown.
void write_divergence_dump(const RunDir& run, int rank, int64_t t, int64_t stage, double langevin_delta,
                           const std::string& config_yaml, const std::vector<int64_t>& indices, const torch::Tensor& x,
                           const torch::Tensor& z_post, const torch::Tensor& z_noise);

}  // namespace latentebm
