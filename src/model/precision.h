#pragma once
// runtime.precision: the arithmetic the generator runs in.
//   fp32  float32 everywhere; TF32 off in cuBLAS and cuDNN
//   tf32  float32 tensors, TF32 tensor-core math in cuBLAS and cuDNN (a
//         process-wide LibTorch switch: the prior's matrix products too)
//   bf16  the generator's forward under autocast to bfloat16 (its backward
//         follows the dtypes autocast chose); its output is cast back to
//         float32, so the reconstruction error, the prior, the Langevin
//         updates and the optimiser stay float32. TF32 off.
// On CPU, tf32 changes nothing and bf16 uses LibTorch's CPU autocast.
#include <torch/torch.h>

#include <string>

#include "method.h"  // enum Precision (a runtime.* policy parsed with the config)

namespace latentebm {

class Generator;

// "fp32" | "tf32" | "bf16"; anything else throws.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision p);

// Sets LibTorch's process-wide TF32 switches (cuBLAS, cuDNN) for `p`.
void apply_float32_math(Precision p);

// Everything runtime.* sets for running a model on `device`, in one place
// (training, sampling, evaluation and scoring alike): the generator's
// precision, the TF32 switches, graphed or eager Langevin chains, and, on a
// CUDA device, cuDNN autotuning (the shapes of an iteration never change, so
// the fastest convolution algorithms are chosen once per shape).
void apply_runtime(Generator& g, Precision precision, bool cuda_graphs, const torch::Device& device);

// While alive, ops on `device`'s type run under autocast to bfloat16 (when
// `enabled`); the previous autocast state is restored afterwards.
class Bf16Autocast {
 public:
  Bf16Autocast(torch::DeviceType device, bool enabled);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  torch::DeviceType device_;
  bool enabled_, prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace latentebm
