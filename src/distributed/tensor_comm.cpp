#include "distributed/tensor_comm.h"

#include <stdexcept>

#ifdef LATENTEBM_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace latentebm {

torch::Tensor pack(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}));
  if (flat.empty()) return torch::zeros({0});
  return torch::cat(flat).contiguous();
}

void unpack(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  int64_t off = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(flat.narrow(0, off, n).view_as(t));
    off += n;
  }
  if (off != flat.numel()) throw std::logic_error("unpack: buffer size does not match the tensors");
}

void allreduce_sum(Communicator& comm, torch::Tensor& flat, const char* what) {
  start_allreduce_sum(comm, flat, what);
  finish_allreduce(comm);
}

void finish_allreduce(Communicator& comm) { comm.wait_device_collective(); }

void start_allreduce_sum(Communicator& comm, torch::Tensor& flat, const char* what) {
  if (comm.size() == 1) return;
  if (flat.scalar_type() != torch::kFloat32 || !flat.is_contiguous())
    throw std::logic_error(std::string("allreduce_sum '") + what + "': needs a contiguous float32 tensor");
  if (flat.device().is_cpu()) {
    comm.allreduce_sum(flat.data_ptr<float>(), static_cast<size_t>(flat.numel()), what);
  } else if (comm.supports_device_buffers()) {
#ifdef LATENTEBM_WITH_CUDA
    // NCCL, enqueued on LibTorch's current stream: no host synchronisation.
    comm.allreduce_sum_device_start(flat.data_ptr<float>(), static_cast<size_t>(flat.numel()),
                                    c10::cuda::getCurrentCUDAStream(flat.device().index()).stream(), what);
#else
    throw std::logic_error("device all-reduce requested in a build without CUDA");
#endif
  } else {
    auto host = flat.to(torch::kCPU).contiguous();
    comm.allreduce_sum(host.data_ptr<float>(), static_cast<size_t>(host.numel()), what);
    flat.copy_(host);
  }
}

void broadcast_tensors(Communicator& comm, const std::vector<torch::Tensor>& tensors, int root, const char* what) {
  if (comm.size() == 1) return;
  auto host = pack(tensors).to(torch::kCPU).contiguous();
  comm.broadcast(host.data_ptr(), static_cast<size_t>(host.numel()) * host.element_size(), root, what);
  unpack(host.to(tensors.empty() ? torch::kCPU : tensors.front().device()), tensors);
}

uint64_t checksum(const std::vector<torch::Tensor>& tensors) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& t : tensors) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    const auto* p = static_cast<const unsigned char*>(c.data_ptr());
    const size_t n = static_cast<size_t>(c.numel()) * c.element_size();
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 1099511628211ull;
    }
  }
  return h;
}

bool identical_on_all_ranks(Communicator& comm, const std::vector<torch::Tensor>& tensors, const char* what) {
  // Compare the full 64 bits as two halves (the reduction type is signed).
  const uint64_t h = checksum(tensors);
  const int64_t hi = static_cast<int64_t>(h >> 32), lo = static_cast<int64_t>(h & 0xffffffffull);
  const bool same_hi = comm.all_equal(hi, what);
  const bool same_lo = comm.all_equal(lo, what);
  return same_hi && same_lo;
}

}  // namespace latentebm
