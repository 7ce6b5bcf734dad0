// Builds without NCCL: the GPU communicator is unavailable, and says so.
#include <stdexcept>

#include "distributed/communicator.h"

namespace latentebm {

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator>, int) {
  throw std::runtime_error(
      "this latentebm build has no NCCL backend: rebuild with a CUDA LibTorch and NCCL found "
      "(cmake -DCMAKE_PREFIX_PATH=<torch cmake dir>), or set runtime.device=cpu");
}
bool nccl_available() { return false; }

}  // namespace latentebm
