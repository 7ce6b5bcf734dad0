// The NCCL backend's timed wait (collective_wait.h), driven by fake status
// sources so the error and hang paths are checked without a GPU: a collective
// that completes returns without aborting; one that reports an error, or never
// completes, aborts the communicator exactly once and throws an error that
// names the rank and the collective, after the timeout (not before, not much
// later).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "distributed/collective_wait.h"

using namespace latentebm;
using ::testing::HasSubstr;

namespace {

CollectiveWaitOptions options(double timeout_s) {
  CollectiveWaitOptions o;
  o.rank = 3, o.op = "NCCL all-reduce", o.what = "gradients", o.timeout_s = timeout_s;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(CollectiveWait, ReturnsWhenTheCollectiveCompletes) {
  int polls = 0, aborts = 0;
  wait_for_collective([&] { return ++polls < 4 ? CollectiveState::pending() : CollectiveState::done(); },
                      [&] { ++aborts; }, options(5));
  EXPECT_EQ(polls, 4);
  EXPECT_EQ(aborts, 0);
}

TEST(CollectiveWait, AnAsynchronousErrorAbortsAndNamesRankAndCollective) {
  int polls = 0, aborts = 0;
  try {
    wait_for_collective(
        [&] { return ++polls < 3 ? CollectiveState::pending() : CollectiveState::failed("remote process exited"); },
        [&] { ++aborts; }, options(5));
    FAIL() << "expected a CollectiveError";
  } catch (const CollectiveError& e) {
    EXPECT_FALSE(e.timed_out);
    EXPECT_THAT(e.what(), HasSubstr("rank 3"));
    EXPECT_THAT(e.what(), HasSubstr("NCCL all-reduce 'gradients'"));
    EXPECT_THAT(e.what(), HasSubstr("remote process exited"));
  }
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(aborts, 1);
}

TEST(CollectiveWait, AHangAbortsAfterTheTimeout) {
  int aborts = 0;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    wait_for_collective([] { return CollectiveState::pending(); }, [&] { ++aborts; }, options(0.3));
    FAIL() << "expected a CollectiveError";
  } catch (const CollectiveError& e) {
    EXPECT_TRUE(e.timed_out);
    EXPECT_THAT(e.what(), HasSubstr("rank 3: NCCL all-reduce 'gradients' has not completed after"));
    EXPECT_THAT(e.what(), HasSubstr("runtime.collective_timeout_s = 0.3"));
  }
  const double waited = seconds_since(t0);
  EXPECT_EQ(aborts, 1);
  EXPECT_GE(waited, 0.3);
  EXPECT_LT(waited, 5.0) << "the wait should end soon after the timeout, even on a loaded machine";
}

TEST(CollectiveWait, WithoutATimeoutOnlyCompletionOrAnErrorEndsTheWait) {
  int polls = 0, aborts = 0;
  auto o = options(0);
  o.max_poll_interval = std::chrono::milliseconds(1);
  // 300 polls at <= 1 ms: longer than any timeout would allow if 0 meant "immediately".
  wait_for_collective([&] { return ++polls < 300 ? CollectiveState::pending() : CollectiveState::done(); },
                      [&] { ++aborts; }, o);
  EXPECT_EQ(polls, 300);
  EXPECT_EQ(aborts, 0);
}
