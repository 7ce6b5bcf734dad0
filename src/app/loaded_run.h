#pragma once
// A trained model as the test-time commands read it: the checkpoint, the
// config it was trained with, the generator and the prior on their device.
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>

#include "app/options.h"
#include "config.h"
#include "model/generator.h"
#include "model/prior.h"

namespace latentebm::app {

struct LoadedRun {
  Config cfg;
  std::string ckpt;
  Generator g{nullptr};
  MultiStagePrior prior{nullptr};
  torch::Device device{torch::kCPU};
};

// The checkpoint a ModelSource names (a run's latest, or the given one).
// `missing_hint` ends the "has no checkpoint" message.
std::string checkpoint_of(const ModelSource& src, const std::string& missing_hint);

LoadedRun load_run(const ModelSource& src);

// Prior stages to use: `requested`, else all K of a finished run, else the
// stages an unfinished run has already learned (the active stage's ratio is
// not done); for lebm, whose energy is its prior at every iteration, the
// energy as learnt so far.
int64_t prior_stages(const std::optional<int64_t>& requested, const LoadedRun& r);

// The run's sample.* with the command line's choices applied, validated.
SampleConfig sampler_config(const SampleConfig& run, const SamplerChoice& choice);

}  // namespace latentebm::app
