// NCCL backend of the Communicator interface. Compiled only when NCCL and the
// CUDA runtime are found (CMake option LATENTEBM_WITH_NCCL); otherwise
// nccl_stub.cpp provides make_nccl_communicator() that explains why not.
//
// Bootstrap (docs/DESIGN.md section 6): set the device first, rank 0 creates the
// ncclUniqueId and broadcasts it over MPI, every rank calls ncclCommInitRank,
// then a barrier. Device all-reduces are enqueued on the caller's stream
// (LibTorch's current stream). Every NCCL and CUDA return code is checked;
// on failure the communicator is aborted (ncclCommAbort) and an exception
// names the rank and the collective.
//
// Hangs and asynchronous errors: with the collective watchdog on
// (runtime.collective_timeout_s > 0) each device all-reduce is followed by a
// timed wait (collective_wait.h) that polls a CUDA event recorded after it and
// ncclCommGetAsyncError; a peer that died or stalled ends the wait after the
// timeout with ncclCommAbort and an error naming the rank and the all-reduce.
// allreduce_sum_device_start leaves that wait to wait_device_collective():
// the trainer enqueues the next iteration's sampling first, so the host
// waits for the all-reduce while the device already has work. With the
// watchdog off the all-reduce is only enqueued, without host synchronisation.
#include <cuda_runtime.h>
#include <nccl.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "distributed/collective_wait.h"
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
    cuda_check(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), "cudaEventCreate");
  }
  ~NcclCommunicator() override {
    if (done_ != nullptr) cudaEventDestroy(done_);
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
  void gather(const void* send, size_t bytes, void* recv, const std::vector<size_t>& recv_bytes, int root,
              const char* what) override {
    control_->gather(send, bytes, recv, recv_bytes, root, what);
  }

  bool supports_device_buffers() const override { return true; }
  void allreduce_sum_device(float* data, size_t count, void* stream, const char* what) override {
    allreduce_sum_device_start(data, count, stream, what);
    wait_device_collective();
  }

  void allreduce_sum_device_start(float* data, size_t count, void* stream, const char* what) override {
    wait_device_collective();  // at most one pending
    if (comm_ == nullptr)
      throw std::runtime_error("rank " + std::to_string(rank()) + ": NCCL all-reduce '" + what +
                               "': the communicator was aborted after an earlier error");
    const auto s = static_cast<cudaStream_t>(stream);
    nccl_check(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, s), std::string("ncclAllReduce '") + what + "'");
    if (collective_timeout() <= 0) {
      // Errors of earlier asynchronous operations surface here without a sync.
      ncclResult_t async = ncclSuccess;
      nccl_check(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
      nccl_check(async, std::string("asynchronous NCCL error before '") + what + "'");
      return;
    }
    cuda_check(cudaEventRecord(done_, s), "cudaEventRecord");
    pending_ = std::string(what);
  }

  // The timed wait on the pending all-reduce, if any.
  void wait_device_collective() override {
    if (!pending_) return;
    CollectiveWaitOptions opt;
    opt.rank = rank(), opt.op = "NCCL all-reduce", opt.what = *pending_, opt.timeout_s = collective_timeout();
    pending_.reset();
    wait_for_collective([this] { return poll(); },
                        [this] {
                          ncclCommAbort(comm_);
                          comm_ = nullptr;
                        },
                        opt);
  }

 private:
  // The state of the last enqueued all-reduce: NCCL's asynchronous error
  // first (a dead peer shows there), then whether the stream reached it.
  CollectiveState poll() {
    ncclResult_t async = ncclSuccess;
    const ncclResult_t rc = ncclCommGetAsyncError(comm_, &async);
    if (rc != ncclSuccess) return CollectiveState::failed(std::string("ncclCommGetAsyncError: ") + ncclGetErrorString(rc));
    if (async != ncclSuccess && async != ncclInProgress)
      return CollectiveState::failed(std::string(ncclGetErrorString(async)) + ": " + ncclGetLastError(comm_));
    const cudaError_t ev = cudaEventQuery(done_);
    if (ev == cudaSuccess) return CollectiveState::done();
    if (ev == cudaErrorNotReady) return CollectiveState::pending();
    return CollectiveState::failed(std::string("CUDA: ") + cudaGetErrorString(ev));
  }
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
  cudaEvent_t done_ = nullptr;  // recorded after each watched all-reduce
  std::optional<std::string> pending_;  // what the watched all-reduce not yet waited for is for
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> control, int cuda_device) {
  return std::make_unique<NcclCommunicator>(std::move(control), cuda_device);
}
bool nccl_available() { return true; }

}  // namespace latentebm
