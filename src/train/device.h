#pragma once
// Where a rank trains and from which random stream: its device (one GPU per
// node-local rank, or the CPU) and the seed of each iteration.
#include <torch/torch.h>

#include <cstdint>

#include "config.h"
#include "method.h"

namespace latentebm {

// The GPU of the node-local rank `local_rank` of `local_size` on a node with
// `gpus` GPUs: local_rank modulo gpus. Throws when the node has more ranks
// than GPUs, unless `share` (runtime.share_gpus) allows it.
int gpu_for_rank(int local_rank, int local_size, int gpus, bool share);
// Pick the device named by runtime.device ("auto" = CUDA when available);
// on GPUs, gpu_for_rank decides the index.
torch::Device resolve_device(DeviceChoice choice, int local_rank = 0, int local_size = 1, bool share_gpus = false);

class Communicator;
// This rank's device under runtime.device: the node-local rank (an MPI
// collective, asked only when a GPU is wanted and `comm` spans the MPI job)
// picks its GPU.
torch::Device rank_device(const RuntimeConfig& runtime, Communicator& comm);

// The seed LibTorch's generator gets at iteration t on `rank`.
uint64_t iteration_seed(uint64_t seed, int rank, int64_t t);

}  // namespace latentebm
