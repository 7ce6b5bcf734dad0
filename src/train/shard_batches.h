#pragma once
// Step 1 of Algorithm 1: iteration t's mini-batch of this rank's shard, a
// pure function of (train.seed, t): whole batches of each epoch's order
// (data::epoch_order), the remainder of an epoch dropped, or, when the shard
// is smaller than its batch, one long run through the epochs' orders.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "data/dataset.h"

namespace latentebm {

// A mini-batch of this rank's shard.
struct Batch {
  std::vector<int64_t> indices;  // global example indices
  torch::Tensor x;               // [b, C, H, W] in [-1, 1]
};

class ShardBatches {
 public:
  // `local_batch` examples per iteration from `data` (kept by reference),
  // this rank's shard of `world`.
  ShardBatches(const data::ShardData& data, int world, int64_t local_batch, uint64_t seed, torch::Device device);
  Batch at(int64_t t);
  int64_t local_batch() const { return local_batch_; }

 private:
  const std::vector<int64_t>& order(int64_t epoch);

  const data::ShardData& data_;
  int64_t local_batch_, iters_per_epoch_;
  uint64_t seed_;
  torch::Device device_;
  int64_t cached_epoch_ = -1;  // the epoch whose order is cached
  std::vector<int64_t> epoch_order_;
};

}  // namespace latentebm
