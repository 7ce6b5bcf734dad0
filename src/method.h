#pragma once
// The training methods and the policies of a run, as enums parsed once from
// the config, and one traits struct per method. The training loop reads the
// traits (which prior posterior Langevin targets, how the prior learns, which
// noise it needs), never the method's name.
//
//   method        stages  posterior prior       prior objective   noise of stage k
//   adaptive-ce   K       p_k (frozen f_<k)     NCE               train.prior_samples
//   gaussian      0       N(0, I)               -                 -
//   single-stage  1       N(0, I) = p_0         NCE               N(0, I) draws
//   non-adaptive  K       N(0, I) always        NCE               train.prior_samples
//   lebm          1       exp(f) N(0, I), f     maximum           short-run prior Langevin
//                         the energy learnt     likelihood        of the current energy
//
// docs/DESIGN.md explains each choice.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace latentebm {

enum class Method { kAdaptiveCe, kGaussian, kSingleStage, kNonAdaptive, kLebm };

// Where the noise ("prior") samples of stage k >= 1 come from (stage 0 always
// draws N(0, I) exactly).
enum class NoiseSource {
  kPersistent,          // the bank snapshot: posterior samples of stage k-1 (q_{k-1}) stand in for p_k
  kLangevin,            // short-run prior Langevin on p_k from N(0, I)
  kPersistentLangevin,  // bank snapshot draws moved by train.bank_langevin_steps of prior Langevin on p_k
  kImportance,          // importance resampling of N(0, I) draws with weights exp(f_0 + ... + f_{k-1}) = p_k / p_0
};

// When the next stage begins.
enum class StageSchedule {
  kFixed,     // every T/K iterations (the paper)
  kAdaptive,  // when the active stage's NCE loss stops improving (train/schedule.h), K the cap
};

// The generator's learning rate over training (train/schedule.h).
enum class LrSchedule {
  kConstant,  // train.g_lr throughout (the paper)
  kCosine,    // from train.g_lr at iteration 0 to 0 at T, half a cosine
};

// How the learning rates follow the global batch (train.lr_scaling;
// train/schedule.h): none, or scaled by (B / train.lr_reference_batch)^(1/2)
// or ^1, reached over train.lr_warmup_iterations.
enum class LrScaling { kNone, kSqrt, kLinear };

enum class DivergencePolicy { kRollback, kSkip, kStop };
enum class SampleMethod { kLangevin, kSir };

// runtime.device: auto = CUDA when LibTorch sees a GPU.
enum class DeviceChoice { kAuto, kCpu, kCuda };
// runtime.precision: the generator's arithmetic (model/precision.h).
enum class Precision { kFp32, kTf32, kBf16 };
// An on/off switch (runtime.cuda_graph).
enum class Switch { kOff, kOn };

// Which prior posterior Langevin targets while training.
enum class PosteriorPrior {
  kFrozenStages,  // p_k: the frozen stages f_0..f_{k-1} (adaptive-ce, single-stage)
  kBase,          // N(0, I), whatever has been learnt (gaussian, non-adaptive)
  kWithActive,    // the energy being learnt, active network included (lebm)
};

// How the active prior network learns.
enum class PriorObjective {
  kNce,               // logistic NCE of posterior samples (q_k) against noise (p_k)
  kMaximumLikelihood  // LEBM: the energy's log-likelihood gradient
};

struct MethodTraits {
  Method method;
  const char* name;
  int64_t fixed_stages;  // -1: K = train.stages; otherwise the method's K
  PosteriorPrior posterior;
  PriorObjective objective;
  // The noise source the method is defined with, if it is not a free choice.
  std::optional<NoiseSource> required_noise;
  // Reference settings ("train.e_lr", "2e-05"): applied unless the user pins
  // the key (resolve_method in config.h says when a key counts as pinned).
  std::vector<std::pair<std::string, std::string>> reference_settings;

  // Prior stages posterior Langevin uses during stage `stage` of training.
  int64_t posterior_stages(int64_t stage) const;
  // Prior stages reconstruction and anomaly scoring of a trained model use:
  // the prior the generator was trained with (K for adaptive-ce, 0 for
  // non-adaptive and gaussian, the energy for lebm).
  int64_t test_posterior_stages(int64_t K) const;
};

const MethodTraits& traits(Method m);

// Ratio networks a model holds trained (or in training) while stage `stage`
// of K is active: stages 0..stage, capped at K. The trainer's evaluation
// prior and the stages a finished run's checkpoint is used with (app/)
// both follow this one rule.
inline int64_t stages_through(int64_t stage, int64_t K) { return stage + 1 < K ? stage + 1 : K; }

// Names <-> enums. parse_enum returns nullopt for an unknown name;
// enum_choices lists the names ("a | b | c") for error messages and --help.
template <class E> const std::vector<std::pair<E, const char*>>& enum_table();
template <class E> const char* enum_name(E value) {
  for (const auto& [v, n] : enum_table<E>())
    if (v == value) return n;
  return "?";
}
template <class E> std::optional<E> parse_enum(const std::string& name) {
  for (const auto& [v, n] : enum_table<E>())
    if (name == n) return v;
  return std::nullopt;
}
template <class E> std::string enum_choices() {
  std::string s;
  for (const auto& [v, n] : enum_table<E>()) s += (s.empty() ? "" : " | ") + std::string(n);
  return s;
}

}  // namespace latentebm
