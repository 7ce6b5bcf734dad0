#pragma once
// The thin interface the training loop uses for everything distributed.
// Two implementations: MPI (one process per rank, launched by mpirun) and a
// single-process one (world of 1, every collective is the identity).
//
// Contract: every rank calls every collective with the same sizes, in the
// same order. Every call names what it is for (`what`), so a failure reports
// the rank and the collective that failed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace latentebm {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;

  virtual void barrier(const char* what) = 0;
  virtual void broadcast(void* data, size_t bytes, int root, const char* what) = 0;
  virtual void allreduce_sum(float* data, size_t count, const char* what) = 0;
  virtual void allreduce_sum(double* data, size_t count, const char* what) = 0;
  virtual void allreduce_min(int64_t* data, size_t count, const char* what) = 0;
  virtual void allreduce_max(int64_t* data, size_t count, const char* what) = 0;
  // Rank r sends `bytes` bytes; `root` receives every rank's bytes one after
  // the other in rank order into `recv` (sizes in `recv_bytes`, one per rank;
  // read on root only). One writer for state every rank holds a part of (the
  // memory matrix in a checkpoint), so the file count does not grow with the
  // ranks.
  virtual void gather(const void* send, size_t bytes, void* recv, const std::vector<size_t>& recv_bytes, int root,
                      const char* what) = 0;

  // Device-memory all-reduce (NCCL). `stream` is a cudaStream_t; the sum is
  // enqueued on it, then, with the collective watchdog on, waited for (timed).
  virtual bool supports_device_buffers() const { return false; }
  virtual void allreduce_sum_device(float* device_data, size_t count, void* stream, const char* what);
  // The same sum, enqueued without the watchdog's timed wait, which
  // wait_device_collective() does later (the trainer: once the device has
  // the next iteration's work queued). At most one sum is left pending: a
  // second start waits for the first. Backends without a pending state (the
  // default) finish the sum inside start and wait for nothing.
  virtual void allreduce_sum_device_start(float* device_data, size_t count, void* stream, const char* what) {
    allreduce_sum_device(device_data, count, stream, what);
  }
  virtual void wait_device_collective() {}

  bool is_root() const { return rank() == 0; }
  // Every rank holds the same value? (min == max all-reduce)
  bool all_equal(int64_t value, const char* what);
  // Logical AND / OR of a flag over all ranks.
  bool all_true(bool flag, const char* what);
  bool any_true(bool flag, const char* what);
  // Broadcast a string from root.
  std::string broadcast_string(const std::string& s, int root, const char* what);
  // The outcome of a step every rank ran: the lowest rank whose `error` is
  // not empty and its message (broadcast from it), the same on every rank;
  // nullopt when every rank succeeded. No rank is left waiting on another.
  std::optional<std::pair<int, std::string>> first_error(const std::string& error, const char* what);
};

// World of one: every collective returns its input.
std::unique_ptr<Communicator> make_single_communicator();
// MPI_COMM_WORLD. MPI must already be initialised (see init_mpi).
std::unique_ptr<Communicator> make_mpi_communicator();

// NCCL communicator for GPU tensors, bootstrapped over `control` (MPI): rank
// 0's ncclUniqueId is broadcast, the device set, ncclCommInitRank called and a
// barrier taken. Host-side collectives still go through `control`. Throws if
// this build has no NCCL (see nccl_available()).
std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> control, int cuda_device);
bool nccl_available();

// This process's rank among the ranks on its node (MPI_COMM_TYPE_SHARED);
// 0 when MPI is not initialised. Used to pick the GPU before any CUDA work.
int node_local_rank();
// How many ranks of this job run on this node (1 when MPI is not
// initialised). With node_local_rank it decides the GPU of each rank.
int node_local_size();

// Initialise MPI (thread level FUNNELED) and install a terminate handler that
// calls MPI_Abort, so an uncaught error on any rank takes the whole job down
// instead of leaving the others waiting in a collective. Idempotent.
void init_mpi(int* argc, char*** argv);
void finalize_mpi();
// Abort every rank of the job (used after a fatal error on one rank).
[[noreturn]] void abort_job(int code);

// Collective watchdog. An MPI collective that has not returned `seconds`
// after it started makes this rank print its rank, the collective and what
// it was for, then exit with status 4; mpirun then takes the whole job
// down. This turns a stalled or silently dead peer into an error within a
// bounded time instead of a hang. 0 disables it (the default).
void set_collective_timeout(double seconds);
// The value last set (0 = disabled). The NCCL backend bounds its timed wait
// on device all-reduces by it (see collective_wait.h).
double collective_timeout();

}  // namespace latentebm
