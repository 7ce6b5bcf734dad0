#pragma once
// The numbers one training step sums over the ranks, by name. They travel as
// one buffer behind the gradients in the step's single all-reduce; the buffer's
// layout is the struct's one field list (`fields`), which packing and reading
// back both walk, so no code reads a term by its position.
#include <torch/torch.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "config.h"
#include "method.h"
#include "model/generator.h"
#include "model/noise.h"
#include "model/prior.h"

namespace latentebm {

// One step's terms: V = torch::Tensor (0-d, on the device, this rank's share)
// or double (read back on the host, summed over the ranks).
template <class V>
struct StepTermsOf {
  V gen_loss{};            // sum_i ||x_i - g(z_i)||^2 / (2 sigma^2) / B
  V nce_loss{};            // the active stage's prior loss: NCE (LEBM: its energy difference)
  V nce_acc{};             // NCE classification accuracy (0 for LEBM)
  V langevin_grad_norm{};  // |grad z| of the posterior chains, rank mean
  V bad_posterior{};       // ranks whose posterior samples are non-finite or beyond train.divergence_z_limit
  V bad_noise{};           // ranks whose prior (noise) samples are
  // Noise diagnostics (only on iterations that compute them, every rank
  // alike; rank means): 1 when computed, the squared MMD between the noise
  // batch and the stage's reference samples of p_k, mean log p_k
  // (unnormalised) on noise, reference and posterior samples, mean f_k
  // (active) on noise and reference.
  V diagnosed{}, mmd2{}, logp_noise{}, logp_reference{}, logp_posterior{}, f_noise{}, f_reference{};
  V stop{};  // ranks that received SIGTERM / SIGINT
  V vote{};  // rank 0's vote to end the stage (adaptive schedule)

  // The layout: every field once, in buffer order.
  template <class S, class F>
  static void fields(S& s, F&& f) {
    for (auto* v : {&s.gen_loss, &s.nce_loss, &s.nce_acc, &s.langevin_grad_norm, &s.bad_posterior, &s.bad_noise,
                    &s.diagnosed, &s.mmd2, &s.logp_noise, &s.logp_reference, &s.logp_posterior, &s.f_noise,
                    &s.f_reference, &s.stop, &s.vote})
      f(*v);
  }
};
using StepTerms = StepTermsOf<double>;

// One iteration's result as every rank read it from the all-reduce: the
// summed terms (gen_loss, nce_loss, nce_acc, ...; means over the global
// batch), the times this rank spent, and what the terms decide.
struct StepStats : StepTerms {
  int64_t diag_count = 0;      // iterations summed into the noise diagnostics (1 when computed)
  bool advance_stage = false;  // rank 0's plateau vote (adaptive schedule), seen by every rank
  bool stop_requested = false;  // some rank received SIGTERM / SIGINT
  double t_langevin = 0, t_update = 0, t_allreduce = 0;  // seconds, this rank
  // The divergence guard's finding (the same on every rank): some rank saw a
  // non-finite loss, gradient or Langevin state, or the prior loss ran beyond
  // train.divergence_loss_limit (energy_runaway: finite, but the prior's
  // energy runs away); what was wrong.
  bool diverged = false, energy_runaway = false;
  std::string divergence;
};

// Structs of named scalars with a `fields` list (StepTermsOf, GuardVerdictOf)
// as one flat tensor and back.
template <template <class> class S>
int64_t field_count() {
  S<double> s;
  int64_t n = 0;
  S<double>::fields(s, [&n](double&) { ++n; });
  return n;
}
// Every field (0-d or one element) as `dtype`, in field order.
template <template <class> class S>
torch::Tensor pack_fields(const S<torch::Tensor>& s, torch::ScalarType dtype) {
  std::vector<torch::Tensor> parts;
  S<torch::Tensor>::fields(s, [&](const torch::Tensor& t) { parts.push_back(t.reshape({1}).to(dtype)); });
  return torch::cat(parts);
}
// The fields from `values` (host doubles) starting at `at`, which moves past them.
template <template <class> class S>
S<double> read_fields(const double* values, int64_t& at) {
  S<double> s;
  S<double>::fields(s, [&](double& v) { v = values[at++]; });
  return s;
}
// Views of the fields packed in `flat` (0-d, in field order).
template <template <class> class S>
S<torch::Tensor> view_fields(const torch::Tensor& flat) {
  S<torch::Tensor> s;
  int64_t i = 0;
  S<torch::Tensor>::fields(s, [&](torch::Tensor& v) { v = flat[i++]; });
  return s;
}
// sum.x += add.x for every field x.
template <template <class> class S>
void add_fields(S<double>& sum, const S<double>& add) {
  std::vector<double> values;
  S<double>::fields(add, [&](const double& v) { values.push_back(v); });
  size_t i = 0;
  S<double>::fields(sum, [&](double& v) { v += values[i++]; });
}

// The local share of the global-batch losses, backpropagated into .grad:
//   gen: sum_i ||x_i - g(z_i)||^2 / (2 sigma^2) / B
//   nce: -(1/B) sum log sigmoid(f(z_post)) - (1/B) sum log sigmoid(-f(z_noise))
//   ml (LEBM): (1/B) sum f(z_noise) - (1/B) sum f(z_post), whose gradient is
//        minus the log-likelihood gradient of p(z) ~ exp(f(z)) N(z; 0, I)
//        (z_noise: samples of the current prior, z_post: posterior samples)
// With every rank's grads summed, this equals the single-process gradient on
// the union batch of size B = global_batch. Returns this rank's contributions
// (no .grad on them): gen_loss, nce_loss and nce_acc (correct / (2B); 0 for
// the ML objective); the other terms are left undefined.
StepTermsOf<torch::Tensor> accumulate_gradients(Generator& g, RatioNet* active, const torch::Tensor& x,
                                                const torch::Tensor& z_post, const torch::Tensor& z_noise, double sigma,
                                                int64_t global_batch, PriorObjective objective = PriorObjective::kNce);

// 0-d bool: some |z_i| is non-finite or above `limit` (false for no samples).
torch::Tensor out_of_bounds(const torch::Tensor& z, double limit);

// Reference samples of p_k for the noise diagnostics (log.noise_reference_*),
// drawn from their own stream (`seed`), so training's stream is untouched.
NoiseReference draw_stage_reference(MultiStagePrior& prior, int64_t k, const LogConfig& log, uint64_t seed,
                                    torch::Device device);

// The noise diagnostics of the active stage k (`active` = f_k) into `terms`,
// as rank means over `world` ranks: the noise batch against the stage's
// reference samples of p_k, and log p_k on posterior samples.
void add_noise_diagnostics(StepTermsOf<torch::Tensor>& terms, MultiStagePrior& prior, RatioNet& active, int64_t k,
                           const NoiseReference& reference, const torch::Tensor& z_noise, const torch::Tensor& z_post,
                           int world);

}  // namespace latentebm
