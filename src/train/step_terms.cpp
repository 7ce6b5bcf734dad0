#include "train/step_terms.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace latentebm {

StepTermsOf<torch::Tensor> accumulate_gradients(Generator& g, RatioNet* active, const torch::Tensor& x,
                                                const torch::Tensor& z_post, const torch::Tensor& z_noise, double sigma,
                                                int64_t global_batch, PriorObjective objective) {
  const double B = static_cast<double>(global_batch);
  // Generator: -log p(x | z) at the posterior samples, summed, over the global batch.
  auto gen = (x - g->forward(z_post.detach())).pow(2).sum() / (2.0 * sigma * sigma) / B;
  auto total = gen;
  auto nce = torch::zeros({}, x.options());
  auto correct = torch::zeros({}, x.options());
  if (active != nullptr) {
    auto f_post = (*active)->forward(z_post.detach());
    auto f_noise = (*active)->forward(z_noise.detach());
    if (objective == PriorObjective::kNce) {
      // Logistic NCE: posterior samples (q_k) are the data, prior samples (p_k) the noise.
      nce = -(torch::log_sigmoid(f_post).sum() + torch::log_sigmoid(-f_noise).sum()) / B;
      correct = ((f_post > 0).sum() + (f_noise < 0).sum()).to(torch::kFloat32).detach() / (2.0 * B);
    } else {
      // LEBM maximum likelihood: raise f on posterior samples, lower it on prior samples.
      nce = (f_noise.sum() - f_post.sum()) / B;
    }
    total = total + nce;
  }
  total.backward();
  StepTermsOf<torch::Tensor> terms;
  terms.gen_loss = gen.detach();
  terms.nce_loss = nce.detach();
  terms.nce_acc = correct;
  return terms;
}

torch::Tensor out_of_bounds(const torch::Tensor& z, double limit) {
  if (z.numel() == 0) return torch::zeros({}, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
  return torch::isfinite(z).all().logical_not().logical_or(z.abs().max() > limit);
}

void add_noise_diagnostics(StepTermsOf<torch::Tensor>& terms, MultiStagePrior& prior, RatioNet& active, int64_t k,
                           const NoiseReference& reference, const torch::Tensor& z_noise, const torch::Tensor& z_post,
                           int world) {
  torch::NoGradGuard no_grad;
  const auto options = terms.gen_loss.options();
  const double w = static_cast<double>(world);
  auto mean = [&](const torch::Tensor& v) { return v.to(options.dtype()) / w; };
  terms.diagnosed = torch::ones({}, options) / w;
  terms.mmd2 = mean(mmd2(z_noise, reference.z, reference.bandwidth));
  terms.logp_noise = mean(prior->log_density(z_noise, k).mean());
  terms.logp_reference = mean(reference.log_p.mean());
  terms.logp_posterior = mean(prior->log_density(z_post, k).mean());
  terms.f_noise = mean(active->forward(z_noise).mean());
  terms.f_reference = mean(active->forward(reference.z).mean());
}

NoiseReference draw_stage_reference(MultiStagePrior& prior, int64_t k, const LogConfig& log, uint64_t seed,
                                    torch::Device device) {
  // Its own stream: the same reference on resume, training's stream untouched.
  torch::manual_seed(seed);
  const auto t0 = std::chrono::steady_clock::now();
  auto reference = draw_noise_reference(prior, k, log.noise_reference_samples,
                                        {log.noise_reference_steps, log.noise_reference_delta},
                                        torch::TensorOptions().dtype(torch::kFloat32).device(device));
  spdlog::debug("noise reference for stage {}: {} samples of p_{} ({} prior Langevin steps), bandwidth {:.3f}, "
                "importance ESS of p_{} / N(0, I) {:.4f} of draws, {:.1f} s",
                k, log.noise_reference_samples, k, k == 0 ? 0 : log.noise_reference_steps, reference.bandwidth, k,
                reference.importance_ess,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return reference;
}

}  // namespace latentebm
