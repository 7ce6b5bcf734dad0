#include "model/precision.h"

#include "model/cuda_graph_langevin.h"
#include "model/generator.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>

// LibTorch 2.4 replaced the per-device autocast setters (set_enabled,
// set_cpu_enabled, set_autocast_gpu_dtype, ...) by ones taking a device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define LATENTEBM_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace latentebm {

Precision parse_precision(const std::string& name) {
  if (auto p = parse_enum<Precision>(name)) return *p;
  throw std::runtime_error("runtime.precision = '" + name + "' is not one of " + enum_choices<Precision>());
}

const char* precision_name(Precision p) { return enum_name(p); }

void apply_float32_math(Precision p) {
  const bool tf32 = p == Precision::kTf32;
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
}

void apply_runtime(Generator& g, Precision precision, bool cuda_graphs, const torch::Device& device) {
  g->precision = precision;
  apply_float32_math(precision);
  graphed_langevin().set_enabled(cuda_graphs);
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
}

namespace {

bool autocast_enabled(torch::DeviceType d) {
#ifdef LATENTEBM_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(d);
#else
  return d == torch::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}
at::ScalarType autocast_dtype(torch::DeviceType d) {
#ifdef LATENTEBM_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(d);
#else
  return d == torch::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}
void set_autocast(torch::DeviceType d, bool enabled, at::ScalarType dtype) {
#ifdef LATENTEBM_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(d, enabled);
  at::autocast::set_autocast_dtype(d, dtype);
#else
  if (d == torch::kCPU) {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
}

}  // namespace

Bf16Autocast::Bf16Autocast(torch::DeviceType device, bool enabled) : device_(device), enabled_(enabled) {
  if (!enabled_) return;
  if (device_ != torch::kCPU && device_ != torch::kCUDA)
    throw std::runtime_error("runtime.precision = bf16 needs a CPU or CUDA device");
  prev_enabled_ = autocast_enabled(device_);
  prev_dtype_ = autocast_dtype(device_);
  set_autocast(device_, true, at::kBFloat16);
  at::autocast::increment_nesting();
}

Bf16Autocast::~Bf16Autocast() {
  if (!enabled_) return;
  // Leaving the outermost autocast region frees the cached low-precision
  // copies of the weights (as torch.autocast does).
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(device_, prev_enabled_, prev_dtype_);
}

}  // namespace latentebm
