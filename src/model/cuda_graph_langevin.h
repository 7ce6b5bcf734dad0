#pragma once
// Langevin chains replayed from captured CUDA graphs.
//
// A posterior chain (L steps of generator forward + backward + update) is a
// few hundred small kernel launches per step; on a GPU at batch 100 the
// launches, not the arithmetic, dominate. The whole chain, random draws
// included, is captured once into a CUDA graph per static shape and setting
// (batch, latent size, prior stages, steps, delta, sigma, the parameters'
// storage) and replayed afterwards with one launch. Inputs are copied into the
// graph's static buffers and the result copied out, all on the current stream:
// no host synchronisation.
//
// Random numbers: the noise w ~ N(0, I) is drawn inside the graph from
// LibTorch's default CUDA generator, which is registered with the graph at
// capture; every replay advances the generator's offset by the amount the
// chain consumes, exactly as the eager loop does. So after the same seed the
// graphed chain and the eager chain (sampler.h) produce the same latents up to
// floating-point reduction order (checked by tests/model/test_cuda_graph_langevin.cpp
// on a GPU).
//
// Eager fallback: on CPU tensors, in builds without CUDA LibTorch 2.x, when
// disabled (runtime.cuda_graph=off), and for a setting whose capture failed
// (logged once), the calls run posterior_langevin / prior_langevin directly.
#include <torch/torch.h>

#include <memory>

#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

class GraphedLangevin {
 public:
  explicit GraphedLangevin(bool enabled = true);
  ~GraphedLangevin();
  GraphedLangevin(const GraphedLangevin&) = delete;
  GraphedLangevin& operator=(const GraphedLangevin&) = delete;

  // Same contract as posterior_langevin (sampler.h); z0 is not modified.
  torch::Tensor posterior(Generator& g, MultiStagePrior& prior, int64_t prior_stages, const torch::Tensor& x,
                          const torch::Tensor& z0, double sigma, const LangevinOptions& opt,
                          torch::Tensor* grad_norm = nullptr);
  // Same contract as prior_langevin (sampler.h).
  torch::Tensor prior(MultiStagePrior& prior, int64_t stages, const torch::Tensor& z0, const LangevinOptions& opt);

  void set_enabled(bool on);
  bool enabled() const;
  // Whether the last call replayed a graph (false: it ran eagerly).
  bool last_call_replayed() const;
  // Graphs captured so far (a new shape or setting captures another).
  int64_t captures() const;
  // Frees every captured graph and its memory pool.
  void clear();

  // True when this build can capture (CUDA LibTorch 2.x).
  static bool supported();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The process's instance, used by training (posterior chains) and test-time
// sampling (prior chains); runtime.cuda_graph switches it.
GraphedLangevin& graphed_langevin();

}  // namespace latentebm
