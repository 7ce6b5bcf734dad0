#pragma once
// Host <-> device copies inside a training iteration that do not make the
// host wait for the device. A plain `tensor.to(cuda)` from pageable memory
// synchronises the stream (LibTorch waits for the copy), and reading a
// device value on the host waits for everything queued before it; the
// trainer's only wait of an iteration is the deferred read below.
//   to_device(host, device)  CUDA: through pinned memory, non-blocking (the
//                            pinned block is reused only after the copy);
//                            elsewhere a plain copy.
//   DeferredRead             start(values) enqueues a copy of device values
//                            into pinned host memory and records an event;
//                            get() waits for that event alone. For values
//                            already on the CPU both are immediate.
#include <torch/torch.h>

#include <memory>

namespace latentebm {

torch::Tensor to_device(const torch::Tensor& host, const torch::Device& device);

class DeferredRead {
 public:
  void start(const torch::Tensor& values);
  bool started() const { return host_.defined(); }
  // The values on the host (waits for the copy the first time).
  const torch::Tensor& get();

 private:
  torch::Tensor host_;
  std::shared_ptr<void> event_;  // the CUDA event after the copy (CUDA values only)
};

}  // namespace latentebm
