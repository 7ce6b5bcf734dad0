// The NCCL communicator. ctest runs this binary three ways
// (tests/CMakeLists.txt):
//   distributed_nccl_backend            the error path, on every machine: asking
//                                       for a device that does not exist fails
//                                       with a message naming the CUDA call;
//   distributed_nccl_backend_gpu_smoke  one rank on one GPU: the data path runs
//                                       (upload, all-reduce, sync, download).
//                                       A smoke test only: with one rank the sum
//                                       is the input, so an all-reduce that does
//                                       nothing passes it;
//   distributed_nccl_backend_2gpu       the same case under `mpirun -np 2`, one
//                                       GPU per rank, inputs that differ by rank:
//                                       each rank must end with the sum over
//                                       both, which a missing or one-sided
//                                       reduction does not give.
// Without the GPUs a case needs it skips (ctest: Skipped); with
// LATENTEBM_REQUIRE_GPU=N (bench/gpu/check.sh) a case needing at most N GPUs
// fails instead (tests/support/gpu.h).
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <vector>

#include "distributed/communicator.h"
#include "support/gpu.h"

using namespace latentebm;

namespace {
int gpu_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

// All-reduces rank-dependent inputs (element i of rank r is i + r) on device
// memory and checks every element against sum_r (i + r).
void check_allreduce_on_device() {
  auto comm = make_nccl_communicator(make_mpi_communicator(), node_local_rank() % gpu_count());
  EXPECT_TRUE(comm->supports_device_buffers());
  const int n = 1000, world = comm->size(), rank = comm->rank();
  std::vector<float> host(n);
  for (int i = 0; i < n; ++i) host[i] = static_cast<float>(i + rank);
  float* dev = nullptr;
  ASSERT_EQ(cudaMalloc(&dev, n * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dev, host.data(), n * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  comm->allreduce_sum_device(dev, n, stream, "test");
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(host.data(), dev, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  // sum over ranks r of (i + r) = world * i + world (world - 1) / 2
  for (int i = 0; i < n; ++i) ASSERT_FLOAT_EQ(host[i], world * i + world * (world - 1) / 2.0f) << "element " << i;
  cudaStreamDestroy(stream);
  cudaFree(dev);
}

int world_size() {
  int w = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &w);
  return w;
}
}  // namespace

TEST(NcclBackend, ReportsMissingDeviceClearly) {
  const int bad_device = gpu_count() + 7;
  try {
    make_nccl_communicator(make_mpi_communicator(), bad_device);
    FAIL() << "expected an error for CUDA device " << bad_device;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cudaSetDevice"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rank"), std::string::npos) << e.what();
  }
}

// One rank per GPU. Under one rank (distributed_nccl_backend_gpu_smoke) only a
// smoke test: the expected sum is the input itself. Under mpirun -np 2
// (distributed_nccl_backend_2gpu) the real check.
TEST(NcclBackendGpu, AllReducesRankDependentInputsOnDeviceMemory) {
  const int gpus = gpu_count(), world = world_size();
  if (gpus < world)
    LATENTEBM_SKIP_WITHOUT_GPUS(world, "needs one CUDA device per rank: " << world << " rank(s), " << gpus
                                                                          << " device(s) on this machine");
  check_allreduce_on_device();
}
