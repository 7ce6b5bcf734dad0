// The NCCL communicator. On a machine with a GPU: a 1-rank (or N-rank, under
// mpirun) communicator all-reduces device memory correctly. Without a GPU the
// data-path tests skip, and the error path is still checked: asking for a
// device that does not exist fails with a message naming the CUDA call.
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <vector>

#include "distributed/communicator.h"

using namespace latentebm;

namespace {
int gpu_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
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

TEST(NcclBackend, AllReducesDeviceMemory) {
  if (gpu_count() == 0) GTEST_SKIP() << "no CUDA device on this machine";
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
