// Which GPU each rank of a node takes, and the refusal of more ranks than
// GPUs (runtime.share_gpus). resolve_device itself needs a GPU; this is the
// rule it applies.
#include <gtest/gtest.h>

#include "train/trainer.h"

namespace latentebm {
namespace {

TEST(GpuForRank, OneRankPerGpuInNodeLocalOrder) {
  for (int r = 0; r < 8; ++r) EXPECT_EQ(gpu_for_rank(r, 8, 8, false), r);
  EXPECT_EQ(gpu_for_rank(3, 4, 8, false), 3);  // fewer ranks than GPUs: some idle, none shared
}

TEST(GpuForRank, MoreRanksThanGpusIsRefusedUnlessAllowed) {
  try {
    gpu_for_rank(0, 16, 8, false);
    ADD_FAILURE() << "16 ranks on 8 GPUs were allowed";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("16 ranks run on this node but it has 8 GPU(s)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("runtime.share_gpus=on"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--map-by ppr:8:node"), std::string::npos) << msg;
  }
  // Allowed: ranks wrap around the GPUs (2 ranks on the one GPU of a test machine).
  EXPECT_EQ(gpu_for_rank(1, 2, 1, true), 0);
  EXPECT_EQ(gpu_for_rank(9, 16, 8, true), 1);
  EXPECT_THROW(gpu_for_rank(0, 1, 0, true), std::invalid_argument);
}

}  // namespace
}  // namespace latentebm
