#include "train/shard_batches.h"

#include <cstring>

#include "model/inference.h"
#include "train/transfer.h"

namespace latentebm {

ShardBatches::ShardBatches(const data::ShardData& data, int world, int64_t local_batch, uint64_t seed, torch::Device device)
    : data_(data),
      local_batch_(local_batch),
      // Whole batches of a rank's share of the data per pass over it; a
      // shard smaller than its batch wraps around (at).
      iters_per_epoch_(std::max<int64_t>(1, (data.split_size() / world) / local_batch)),
      seed_(seed),
      device_(device) {}

const std::vector<int64_t>& ShardBatches::order(int64_t epoch) {
  if (epoch != cached_epoch_) {
    epoch_order_ = data::epoch_order(data_.split_size(), data_.shard(), seed_, epoch);
    cached_epoch_ = epoch;
  }
  return epoch_order_;
}

Batch ShardBatches::at(int64_t t) {
  Batch b;
  const int64_t shard_size = data_.shard().size();
  if (local_batch_ <= shard_size) {
    // Whole batches of each epoch's order; the remainder of an epoch is dropped.
    const auto& o = order(t / iters_per_epoch_);
    const int64_t pos = t % iters_per_epoch_;
    b.indices.assign(o.begin() + pos * local_batch_, o.begin() + (pos + 1) * local_batch_);
  } else {
    // The shard is smaller than the batch (many ranks, little data): the
    // batch runs on through the epochs' orders, one after the other, so every
    // example is used equally often (an example may appear twice in a batch).
    for (int64_t k = t * local_batch_; k < (t + 1) * local_batch_; ++k)
      b.indices.push_back(order(k / shard_size)[static_cast<size_t>(k % shard_size)]);
  }
  const auto& info = data_.info();
  const int64_t bytes = info.c * info.h * info.w;
  auto u8 = torch::empty({local_batch_, info.c, info.h, info.w}, torch::kUInt8);
  for (int64_t i = 0; i < local_batch_; ++i)
    std::memcpy(u8.data_ptr<uint8_t>() + i * bytes, data_.image(b.indices[static_cast<size_t>(i)]), static_cast<size_t>(bytes));
  b.x = to_unit_range(to_device(u8, device_));  // the bytes travel, not floats; no wait on CUDA
  return b;
}

}  // namespace latentebm
