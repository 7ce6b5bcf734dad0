#include "train/replicas.h"

#include <stdexcept>

#include "data/dataset.h"
#include "distributed/communicator.h"
#include "distributed/tensor_comm.h"
#include "train/faults.h"

namespace latentebm {

void check_loaded(Communicator& comm, const std::vector<torch::Tensor>& params, const std::string& ckpt_dir,
                  const std::string& manifest) {
  data::Crc32 crc;
  crc.update(manifest.data(), manifest.size());
  if (!comm.all_equal(static_cast<int64_t>(crc.value()), "loaded checkpoint: manifest checksum"))
    throw std::runtime_error("the ranks loaded different checkpoints (manifest checksums differ) from '" + ckpt_dir +
                             "': a node sees another version of the run directory (a stale shared-file-system cache?); "
                             "make every node see the same files and run the same command again");
  if (!identical_on_all_ranks(comm, params, "initial parameters checksum"))
    throw std::runtime_error(ckpt_dir.empty() ? "ranks hold different parameters after start-up (the broadcast from rank 0 "
                                                "failed); run the same command again"
                                              : "ranks hold different parameters after loading checkpoint '" + ckpt_dir +
                                                    "': the ranks did not load the same checkpoint bytes; verify it "
                                                    "(latentebm verify) and run the same command again");
}

void check_replicas(Communicator& comm, const std::vector<torch::Tensor>& params, const char* when, int64_t iteration) {
  if (!identical_on_all_ranks(comm, params, "replicated parameters checksum"))
    throw std::runtime_error(std::string(when) + " at iteration " + std::to_string(iteration) +
                             ": the ranks hold different generator or prior parameters (they must stay bit-identical; "
                             "a rank's memory or its all-reduce is faulty). Nothing was written; resume from the last "
                             "checkpoint");
}

void share_frozen_ratio(Communicator& comm, const std::vector<torch::Tensor>& frozen, int64_t k) {
  comm.barrier("stage transition");
  broadcast_tensors(comm, frozen, 0, "stage transition: frozen ratio network");
  if (fault_point("train.stage-broadcast", comm.rank())) {  // test hook: one rank's copy goes bad
    torch::NoGradGuard no_grad;
    frozen.front().view(-1)[0].add_(1.0f);
  }
  if (!identical_on_all_ranks(comm, frozen, "stage transition: checksum"))
    throw std::runtime_error("stage transition " + std::to_string(k) + ": ranks hold different frozen ratio networks");
}

}  // namespace latentebm
