// Shared GoogleTest entry point. Initialises MPI when the binary was started by
// mpirun (so the same test sources run single-process and on several ranks),
// and keeps output from ranks other than 0 quiet.
//
// Exit status, agreed by every rank: 1 when a case failed on any rank (or no
// case matched the filter: a ctest entry that runs nothing cannot fail), else
// 77 when every case that ran was skipped on some rank (ctest's
// SKIP_RETURN_CODE: reported as Skipped, not Passed; tests/support/gpu.h),
// else 0.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <iostream>

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
  const int rc = RUN_ALL_TESTS();
  const auto& ut = *::testing::UnitTest::GetInstance();
  const bool listing = GTEST_FLAG_GET(list_tests);
  // 2: failed, 1: all skipped, 0: passed; the worst over the ranks wins.
  int mine = 0;
  if (rc != 0) {
    mine = 2;
  } else if (!listing && ut.test_to_run_count() == 0) {
    if (rank == 0) std::cerr << "no test case matches this binary's filter: nothing was checked\n";
    mine = 2;
  } else if (!listing && ut.skipped_test_count() == ut.test_to_run_count()) {
    mine = 1;
  }
  int worst = 0;
  MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst == 2 ? 1 : worst == 1 ? 77 : 0;
}
