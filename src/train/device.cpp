#include "train/device.h"

#include "distributed/communicator.h"

#include <stdexcept>
#include <string>

namespace latentebm {

int gpu_for_rank(int local_rank, int local_size, int gpus, bool share) {
  if (gpus < 1) throw std::invalid_argument("gpu_for_rank: no GPUs");
  if (local_size > gpus && !share)
    throw std::runtime_error(std::to_string(local_size) + " ranks run on this node but it has " + std::to_string(gpus) +
                             " GPU(s): ranks would share GPUs and run slower without saying so. Start one rank per GPU "
                             "(e.g. mpirun --map-by ppr:" + std::to_string(gpus) + ":node, or Slurm --ntasks-per-node=" +
                             std::to_string(gpus) + "), or set runtime.share_gpus=on to allow it");
  return local_rank % gpus;
}

torch::Device resolve_device(DeviceChoice choice, int local_rank, int local_size, bool share_gpus) {
  if (choice == DeviceChoice::kCpu) return torch::kCPU;
  if (choice == DeviceChoice::kCuda && !torch::cuda::is_available())
    throw std::runtime_error("runtime.device = cuda but this LibTorch sees no CUDA device (use runtime.device=cpu or auto)");
  if (choice == DeviceChoice::kCuda || torch::cuda::is_available()) {
    const int gpus = static_cast<int>(torch::cuda::device_count());
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(gpu_for_rank(local_rank, local_size, gpus, share_gpus)));
  }
  return torch::kCPU;
}

torch::Device rank_device(const RuntimeConfig& runtime, Communicator& comm) {
  const bool local = runtime.device == DeviceChoice::kCpu || comm.backend() == "single";
  return resolve_device(runtime.device, local ? 0 : node_local_rank(), local ? 1 : node_local_size(),
                        runtime.share_gpus == Switch::kOn);
}

uint64_t iteration_seed(uint64_t seed, int rank, int64_t t) {
  // splitmix64 of a mix of the three: distinct, well-spread streams.
  uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(rank) << 40) ^ static_cast<uint64_t>(t);
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace latentebm
