#pragma once
// The ranks' replicated state (generator, prior) must stay bit-identical:
// collective checks after start-up, a load, and before each checkpoint.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentebm {

class Communicator;

// After a start-up (empty `ckpt_dir`) or a load: every rank holds the same
// checkpoint (rank 0's manifest, compared by checksum) and bit-identical
// `params`; throws naming the mismatch and what to do.
void check_loaded(Communicator& comm, const std::vector<torch::Tensor>& params, const std::string& ckpt_dir,
                  const std::string& manifest);
// `params` identical on every rank at `iteration`? Throws (before `when`, e.g. "checkpoint") if not.
void check_replicas(Communicator& comm, const std::vector<torch::Tensor>& params, const char* when, int64_t iteration);

// Stage k begins: every rank adopts rank 0's bytes of the frozen f_{k-1}
// (`frozen`) and proves it holds them (throws if not).
void share_frozen_ratio(Communicator& comm, const std::vector<torch::Tensor>& frozen, int64_t k);

}  // namespace latentebm
