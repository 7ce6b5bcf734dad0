// Shared GoogleTest entry point. Initialises MPI when the binary was started by
// mpirun (so the same test sources run single-process and on several ranks),
// and keeps output from ranks other than 0 quiet.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  torch::set_num_threads(1);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  // Every rank must agree on the verdict, or ctest would only see rank 0's.
  int worst = 0;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
