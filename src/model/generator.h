#pragma once
// Generator networks g(z): the architectures of generator_kind.h's table
// (paper Table 5 and variants), built from its layers.
#include <torch/torch.h>

#include "generator_kind.h"
#include "model/precision.h"

namespace latentebm {

struct GeneratorImpl : torch::nn::Module {
  GeneratorImpl(GeneratorKind kind, int64_t nz, int64_t ngf, int64_t channels);
  // z: [B, nz] -> images [B, C, H, W] in [-1, 1], float32 whatever the
  // precision (bf16: computed under autocast, cast back; see precision.h).
  torch::Tensor forward(const torch::Tensor& z);

  GeneratorKind kind;
  int64_t nz, channels, image_size;
  Precision precision = Precision::kFp32;  // runtime.precision
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(Generator);

// Xavier-normal weights, zero biases, for every Linear / ConvTranspose2d.
void xavier_init(torch::nn::Module& module);

}  // namespace latentebm
