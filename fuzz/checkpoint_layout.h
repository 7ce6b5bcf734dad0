#pragma once
// The small, fixed model layout the checkpoint harnesses read model.h5 against
// (a real model's layout comes from its modules; the reader's checks do not
// depend on which), and the memory matrix size of the memory harness. Shared
// by fuzz_model_file.cpp, fuzz_memory_file.cpp and make_checkpoint_seeds.cpp,
// so the committed seeds load.
#include <vector>

#include "train/checkpoint_files.h"

namespace fuzz_layout {

inline const std::vector<latentebm::TensorSpec>& model_tensors() {
  static const std::vector<latentebm::TensorSpec> specs{
      {"/generator/net.0.weight", {4, 3}},
      {"/generator/net.0.bias", {4}},
      {"/prior/stage_0.net.0.weight", {2, 3}},
      {"/prior/stage_0.scale", {1}},
      {"/optimizer/generator/net.0.weight/exp_avg", {4, 3}},
      {"/optimizer/generator/net.0.weight/exp_avg_sq", {4, 3}},
  };
  return specs;
}
constexpr const char* kOptimizerGroup = "/optimizer/generator";
constexpr int64_t kNumStages = 1;

constexpr int64_t kMemoryRows = 12;  // n_total
constexpr int64_t kMemoryNz = 4;
// A rank's rows, as a 2-rank job's rank 1 holds them: the shard seed covers exactly these.
constexpr int64_t kShardBegin = 6, kShardEnd = 12;

}  // namespace fuzz_layout
