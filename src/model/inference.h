#pragma once
// Test-time use of a trained model: samples from the learned prior, and
// reconstructions of given images through posterior Langevin. Tensors in,
// tensors out; pictures are drawn by report/.
#include <torch/torch.h>

#include <string>

#include "config.h"
#include "model/generator.h"
#include "model/prior.h"
#include "model/sampler.h"

namespace latentebm {

// n latents [n, nz] from p_stages by the method of `opt` (Langevin from
// N(0, I) or SIR).
torch::Tensor sample_latents(MultiStagePrior& prior, int64_t stages, const SampleConfig& opt, int64_t n,
                             torch::Device device);

// n latents from p_stages by the method of `opt` (Langevin from N(0, I) or
// SIR), decoded by g: images in [-1, 1]. Same draws as sample_latents.
torch::Tensor sample_images(Generator& g, MultiStagePrior& prior, int64_t stages, const SampleConfig& opt, int64_t n,
                            torch::Device device);

// g(z) for z a posterior sample (noise-initialised Langevin under p_stages).
torch::Tensor reconstruct_images(Generator& g, MultiStagePrior& prior, int64_t stages, const torch::Tensor& x,
                                 double sigma, const LangevinOptions& opt);

// uint8 x (N x C x H x W, 0..255) <-> float [-1, 1]: 0 -> -1, 255 -> 1.
torch::Tensor to_unit_range(const torch::Tensor& u8);
std::vector<uint8_t> to_bytes(const torch::Tensor& images);

// Stored images as the model's input: n uint8 images of c x h x w at
// `pixels` (row after row, as data::ImageSet holds them) -> float32
// [n, c, h, w] in [-1, 1], a tensor of its own (the bytes may go).
torch::Tensor model_images(const uint8_t* pixels, int64_t n, int64_t c, int64_t h, int64_t w);
// Rows [begin, begin + count) of a data::ImageSet (count < 0: to the end).
// (A template so that model/ needs no data/ header.)
template <class ImageSet>
torch::Tensor model_images(const ImageSet& set, int64_t begin = 0, int64_t count = -1) {
  if (count < 0) count = set.n - begin;
  return model_images(set.pixels.data() + begin * set.c * set.h * set.w, count, set.c, set.h, set.w);
}

}  // namespace latentebm
