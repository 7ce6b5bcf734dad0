#pragma once
// Collectives on LibTorch tensors, built on the Communicator interface:
// one flat buffer per call, tensors packed in the order given.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "distributed/communicator.h"

namespace latentebm {

// Concatenate tensors (any shapes, float32) into one contiguous 1-D buffer.
torch::Tensor pack(const std::vector<torch::Tensor>& tensors);
// Copy slices of `flat` back into `tensors` (same order and sizes as pack).
void unpack(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors);

// In-place sum over ranks of a contiguous float32 tensor. CPU tensors go
// through the communicator directly; device tensors are staged through host
// memory (the NCCL backend replaces this on GPUs).
void allreduce_sum(Communicator& comm, torch::Tensor& flat, const char* what);
// The same sum in two halves: start_allreduce_sum enqueues it (NCCL on a
// device tensor) and finish_allreduce does the watchdog's timed wait; call
// finish before reading `flat` on the host or starting another. Everywhere
// else the sum is complete when start returns and finish does nothing.
void start_allreduce_sum(Communicator& comm, torch::Tensor& flat, const char* what);
void finish_allreduce(Communicator& comm);

// Overwrite `tensors` on every rank with root's values (one broadcast).
void broadcast_tensors(Communicator& comm, const std::vector<torch::Tensor>& tensors, int root, const char* what);

// FNV-1a 64-bit hash of the tensors' bytes, in order (used to prove that
// every rank holds bit-identical parameters).
uint64_t checksum(const std::vector<torch::Tensor>& tensors);

// True when every rank's checksum equals rank 0's.
bool identical_on_all_ranks(Communicator& comm, const std::vector<torch::Tensor>& tensors, const char* what);

}  // namespace latentebm
