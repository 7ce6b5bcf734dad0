// NCCL backend of the Communicator interface. Compiled only when NCCL and the
// CUDA runtime are found (CMake option LATENTEBM_WITH_NCCL); otherwise
// nccl_stub.cpp provides make_nccl_communicator() that explains why not.
//
// Bootstrap (docs/DESIGN.md section 6): set the device first, rank 0 creates the
// ncclUniqueId and broadcasts it over MPI, every rank calls ncclCommInitRank,
// then a barrier. Device all-reduces are enqueued on the caller's stream
// (LibTorch's current stream) with no host synchronisation. Every NCCL and
// CUDA return code is checked; on failure the communicator is aborted
// (ncclCommAbort) and an exception names the rank and the collective.
#include <cuda_runtime.h>
#include <nccl.h>

#include <stdexcept>
#include <string>

#include "distributed/communicator.h"

namespace latentebm {
namespace {

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(std::unique_ptr<Communicator> control, int device) : control_(std::move(control)) {
    cuda_check(cudaSetDevice(device), "cudaSetDevice");
    ncclUniqueId id;
    if (control_->is_root()) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    control_->broadcast(&id, sizeof(id), 0, "NCCL unique id");
    nccl_check(ncclCommInitRank(&comm_, control_->size(), id, control_->rank()), "ncclCommInitRank");
    control_->barrier("NCCL communicator ready");
  }
  ~NcclCommunicator() override {
    if (comm_ != nullptr) ncclCommDestroy(comm_);
  }

  int rank() const override { return control_->rank(); }
  int size() const override { return control_->size(); }
  std::string backend() const override { return "nccl+" + control_->backend(); }

  void barrier(const char* what) override { control_->barrier(what); }
  void broadcast(void* data, size_t bytes, int root, const char* what) override { control_->broadcast(data, bytes, root, what); }
  void allreduce_sum(float* d, size_t n, const char* what) override { control_->allreduce_sum(d, n, what); }
  void allreduce_sum(double* d, size_t n, const char* what) override { control_->allreduce_sum(d, n, what); }
  void allreduce_min(int64_t* d, size_t n, const char* what) override { control_->allreduce_min(d, n, what); }
  void allreduce_max(int64_t* d, size_t n, const char* what) override { control_->allreduce_max(d, n, what); }

  bool supports_device_buffers() const override { return true; }
  void allreduce_sum_device(float* data, size_t count, void* stream, const char* what) override {
    nccl_check(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, static_cast<cudaStream_t>(stream)),
               std::string("ncclAllReduce '") + what + "'");
    // Errors of earlier asynchronous operations surface here without a sync.
    ncclResult_t async = ncclSuccess;
    nccl_check(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
    nccl_check(async, std::string("asynchronous NCCL error before '") + what + "'");
  }

 private:
  void nccl_check(ncclResult_t rc, const std::string& op) {
    if (rc == ncclSuccess || rc == ncclInProgress) return;
    const std::string msg = "rank " + std::to_string(rank()) + ": " + op + " failed: " + ncclGetErrorString(rc) +
                            " (set NCCL_DEBUG=INFO for details; a peer rank may have died)";
    if (comm_ != nullptr) {
      ncclCommAbort(comm_);
      comm_ = nullptr;
    }
    throw std::runtime_error(msg);
  }
  void cuda_check(cudaError_t rc, const char* op) {
    if (rc != cudaSuccess)
      throw std::runtime_error("rank " + std::to_string(rank()) + ": " + op + " failed: " + cudaGetErrorString(rc));
  }

  std::unique_ptr<Communicator> control_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> control, int cuda_device) {
  return std::make_unique<NcclCommunicator>(std::move(control), cuda_device);
}
bool nccl_available() { return true; }

}  // namespace latentebm
