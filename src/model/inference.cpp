#include "model/inference.h"

#include "model/cuda_graph_langevin.h"

namespace latentebm {

torch::Tensor sample_latents(MultiStagePrior& prior, int64_t stages, const SampleConfig& opt, int64_t n,
                             torch::Device device) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  if (opt.method == SampleMethod::kSir) return sir_sample(prior, stages, n, opt.sir_proposals, options);
  return graphed_langevin().prior(prior, stages, torch::randn({n, prior->nz}, options), {opt.steps, opt.delta});
}

torch::Tensor sample_images(Generator& g, MultiStagePrior& prior, int64_t stages, const SampleConfig& opt, int64_t n,
                            torch::Device device) {
  const auto z = sample_latents(prior, stages, opt, n, device);
  torch::NoGradGuard no_grad;
  return g->forward(z);
}

torch::Tensor reconstruct_images(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                 double sigma, const LangevinOptions& opt) {
  auto z = graphed_langevin().posterior(g, prior, stages, x, torch::randn({x.size(0), prior->nz}, x.options()), sigma, opt);
  torch::NoGradGuard no_grad;
  return g->forward(z);
}

torch::Tensor to_unit_range(const torch::Tensor& u8) { return u8.to(torch::kFloat32).div(127.5).sub(1.0); }

torch::Tensor model_images(const uint8_t* pixels, int64_t n, int64_t c, int64_t h, int64_t w) {
  // from_blob only views the bytes; the conversion to float copies them.
  return to_unit_range(torch::from_blob(const_cast<uint8_t*>(pixels), {n, c, h, w}, torch::kUInt8));
}

std::vector<uint8_t> to_bytes(const torch::Tensor& images) {
  auto u8 = images.detach().to(torch::kCPU).add(1.0).mul(127.5).round().clamp(0, 255).to(torch::kUInt8).contiguous();
  return std::vector<uint8_t>(u8.data_ptr<uint8_t>(), u8.data_ptr<uint8_t>() + u8.numel());
}

}  // namespace latentebm
