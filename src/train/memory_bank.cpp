#include "train/memory_bank.h"

#include <algorithm>
#include <stdexcept>

#include "distributed/tensor_comm.h"
#include "io/h5.h"
#include "train/checkpoint_files.h"
#include "train/transfer.h"

namespace latentebm {

MemoryBank::MemoryBank(const data::Shard& shard, int64_t n_total, int64_t nz, uint64_t seed, torch::Device device)
    : shard_(shard), n_total_(n_total), nz_(nz) {
  // Deterministic, independent of the rank count: row i's initial value
  // depends only on (seed, i / 4096), drawn block by block on the CPU.
  auto cpu = torch::empty({shard.size(), nz});
  const int64_t kBlock = 4096;
  for (int64_t b = shard.begin / kBlock; b * kBlock < shard.end; ++b) {
    auto gen = at::detail::createCPUGenerator(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(b) + 17);
    auto block = at::randn({kBlock, nz}, gen);
    const int64_t lo = std::max(shard.begin, b * kBlock), hi = std::min(shard.end, (b + 1) * kBlock);
    cpu.narrow(0, lo - shard.begin, hi - lo).copy_(block.narrow(0, lo - b * kBlock, hi - lo));
  }
  rows_ = cpu.to(device);
  snapshot_ = rows_.clone();
  written_at_.assign(static_cast<size_t>(shard.size()), -1);
}

void MemoryBank::write(const std::vector<int64_t>& global_indices, const torch::Tensor& z, int64_t iteration) {
  std::vector<int64_t> local(global_indices.size());
  for (size_t i = 0; i < local.size(); ++i) {
    if (!shard_.contains(global_indices[i]))
      throw std::logic_error("memory bank: example " + std::to_string(global_indices[i]) + " is not in this rank's shard");
    local[i] = global_indices[i] - shard_.begin;
  }
  // index_copy_ leaves the winner of a repeated index unspecified (on CUDA):
  // keep only each row's last occurrence.
  std::vector<int64_t> keep;  // positions in the batch
  std::vector<char> seen(static_cast<size_t>(shard_.size()), 0);
  for (size_t i = local.size(); i-- > 0;)
    if (!seen[static_cast<size_t>(local[i])]) {
      seen[static_cast<size_t>(local[i])] = 1;
      keep.push_back(static_cast<int64_t>(i));
    }
  for (int64_t r : local) written_at_[static_cast<size_t>(r)] = iteration;
  torch::NoGradGuard no_grad;
  if (keep.size() == local.size()) {
    auto idx = to_device(torch::tensor(local, torch::TensorOptions().dtype(torch::kLong)), rows_.device());
    rows_.index_copy_(0, idx, z.detach().to(rows_.dtype()));
    return;
  }
  std::reverse(keep.begin(), keep.end());
  std::vector<int64_t> rows;
  for (int64_t i : keep) rows.push_back(local[static_cast<size_t>(i)]);
  const auto opts = torch::TensorOptions().dtype(torch::kLong);
  auto idx = to_device(torch::tensor(rows, opts), rows_.device());
  auto pick = to_device(torch::tensor(keep, opts), z.device());
  rows_.index_copy_(0, idx, z.detach().index_select(0, pick).to(rows_.dtype()));
}

int64_t MemoryBank::rows_written_since(int64_t since) const {
  int64_t n = 0;
  for (int64_t w : written_at_) n += w >= since ? 1 : 0;
  return n;
}

void MemoryBank::snapshot() { snapshot_ = rows_.clone(); }

torch::Tensor MemoryBank::draw(int64_t count) const {
  auto idx = torch::randint(0, snapshot_.size(0), {count}, torch::TensorOptions().dtype(torch::kLong).device(snapshot_.device()));
  return snapshot_.index_select(0, idx);
}

void MemoryBank::save(h5::File& file) const {
  auto m = rows_.to(torch::kCPU).contiguous();
  auto s = snapshot_.to(torch::kCPU).contiguous();
  write_memory_rows(file, shard_, n_total_, nz_, m.data_ptr<float>(), s.data_ptr<float>(), written_at_.data());
}

void MemoryBank::load(const std::vector<std::string>& shard_paths) {
  // The files are untrusted: read_memory_rows checks every range and value.
  MemoryRows r = read_memory_rows(shard_paths, shard_, n_total_, nz_);
  const auto device = rows_.defined() ? rows_.device() : torch::Device(torch::kCPU);
  rows_ = torch::from_blob(r.memory.data(), {shard_.size(), nz_}, torch::kFloat32).clone().to(device);
  snapshot_ = torch::from_blob(r.snapshot.data(), {shard_.size(), nz_}, torch::kFloat32).clone().to(device);
  written_at_ = std::move(r.written_at);
}

double refreshed_fraction(Communicator& comm, const MemoryBank& bank, int64_t since) {
  auto counts = torch::tensor({static_cast<float>(bank.rows_written_since(since)),
                               static_cast<float>(bank.shard().size())});  // exact below 2^24 rows
  allreduce_sum(comm, counts, "stage transition: memory rows refreshed");
  return counts[0].item<double>() / std::max(1.0, counts[1].item<double>());
}

}  // namespace latentebm
