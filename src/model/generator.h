#pragma once
// Generator networks g(z) of paper Table 5 (DCGAN-like transposed
// convolutions, LeakyReLU 0.2, Tanh output) and two variants:
//   mnist28      1x28x28 (or 3-channel) : 7x7 -> 14 -> 28
//   svhn32       Table 5 top            : 4 -> 8 -> 16 -> 32
//   cifar32      Table 5 bottom         : 8x8 -> 16 -> 32, 3x3 stride-1 output
//   celeba64     Table 5 middle         : 4 -> 8 -> 16 -> 32 -> 64
//   celebahq128  one more doubling      : 4 -> 8 -> ... -> 128
// All weights Xavier-normal, biases zero.
#include <torch/torch.h>

#include <string>

#include "model/precision.h"

namespace latentebm {

struct GeneratorImpl : torch::nn::Module {
  GeneratorImpl(const std::string& arch, int64_t nz, int64_t ngf, int64_t channels);
  // z: [B, nz] -> images [B, C, H, W] in [-1, 1], float32 whatever the
  // precision (bf16: computed under autocast, cast back; see precision.h).
  torch::Tensor forward(const torch::Tensor& z);

  std::string arch;
  int64_t nz, channels, image_size;
  Precision precision = Precision::kFp32;  // runtime.precision
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(Generator);

// Image side length produced by an architecture name (throws on unknown).
int64_t generator_image_size(const std::string& arch);

// Xavier-normal weights, zero biases, for every Linear / ConvTranspose2d.
void xavier_init(torch::nn::Module& module);

}  // namespace latentebm
