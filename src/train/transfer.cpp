#include "train/transfer.h"

#include <stdexcept>

#ifdef LATENTEBM_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace latentebm {

torch::Tensor to_device(const torch::Tensor& host, const torch::Device& device) {
#ifdef LATENTEBM_WITH_CUDA
  if (device.is_cuda() && host.device().is_cpu()) return host.pin_memory().to(device, /*non_blocking=*/true);
#endif
  return host.to(device);
}

void DeferredRead::start(const torch::Tensor& values) {
  event_.reset();
#ifdef LATENTEBM_WITH_CUDA
  if (values.device().is_cuda()) {
    host_ = torch::empty(values.sizes(), values.options().device(torch::kCPU).pinned_memory(true));
    host_.copy_(values, /*non_blocking=*/true);
    auto event = std::make_shared<at::cuda::CUDAEvent>();
    event->record(c10::cuda::getCurrentCUDAStream(values.device().index()));
    event_ = event;
    return;
  }
#endif
  if (!values.device().is_cpu())
    throw std::logic_error("DeferredRead: values on " + values.device().str() + " (this build reads CPU or CUDA values)");
  host_ = values;
}

const torch::Tensor& DeferredRead::get() {
  if (!host_.defined()) throw std::logic_error("DeferredRead::get before start");
#ifdef LATENTEBM_WITH_CUDA
  if (event_) {
    static_cast<at::cuda::CUDAEvent*>(event_.get())->synchronize();
    event_.reset();
  }
#endif
  return host_;
}

}  // namespace latentebm
